"""The google-genai SDK, every call shape, over real HTTP to the fake server's Gemini wire format."""

from __future__ import annotations

import asyncio
import gc
import json
import types as pytypes
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from google import genai
from google.genai import errors
from google.genai import types as gtypes
from opentelemetry import context as otel_context
from opentelemetry.trace import SpanKind, StatusCode

import agentwrap
from agentwrap.testing import ErrorReply, Reply, ToolCall, Usage

from .conftest import API_KEY

MODEL = "gemini-fake-2.5"
WEATHER = ToolCall("get_weather", {"city": "Paris"})
WEATHER_DECL = gtypes.FunctionDeclaration(
    name="get_weather",
    description="The weather now.",
    parameters=gtypes.Schema(type="OBJECT", properties={"city": gtypes.Schema(type="STRING")}),
)
TOOLS = [gtypes.Tool(function_declarations=[WEATHER_DECL])]
NO_AFC = gtypes.AutomaticFunctionCallingConfig(disable=True)
LONG = " ".join(f"w{i}" for i in range(12))
# With aiohttp installed (it is here), the SDK's async client subclasses its ClientSession.
pytestmark = pytest.mark.filterwarnings("ignore:Inheritance class AiohttpClientSession:DeprecationWarning")


def _attrs(span: Any) -> dict[str, Any]:
    return dict(span.attributes or {})


def make_client(server: Any, **options: Any) -> genai.Client:
    """A client of the fake server (no retries: the SDK retries nothing unless asked)."""
    return genai.Client(
        api_key=API_KEY, http_options=gtypes.HttpOptions(base_url=server.anthropic_base_url), **options
    )


@pytest.fixture
def gemini(server: Any) -> Iterator[genai.Client]:
    client = make_client(server)
    yield client
    if hasattr(client, "close"):  # google-genai 1.27 and later
        client.close()


@pytest.fixture
async def agemini(server: Any) -> AsyncIterator[Any]:
    """``client.aio``, closed at the end (its aiohttp session holds connections)."""
    client = make_client(server)
    yield client.aio
    if hasattr(client.aio, "aclose"):
        await client.aio.aclose()


def _config(**fields: Any) -> gtypes.GenerateContentConfig:
    return gtypes.GenerateContentConfig(automatic_function_calling=NO_AFC, **fields)


# -- generate_content ------------------------------------------------------------------------


def test_generate_content_makes_one_span_with_genai_attributes(server, gemini, captured):
    server.enqueue(Reply(text="Hi!", usage=Usage(11, 3), model="gemini-fake-2.5-001"))
    config = _config(
        system_instruction="Be brief.",
        temperature=0.2,
        top_p=0.9,
        top_k=5,
        max_output_tokens=100,
        stop_sequences=["END"],
        seed=7,
    )
    response = gemini.models.generate_content(model=MODEL, contents="Hello there", config=config)
    assert response.text == "Hi!"
    [span] = captured.spans
    attrs = _attrs(span)
    assert span.name == f"generate_content {MODEL}"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    assert attrs["gen_ai.operation.name"] == "generate_content"
    assert attrs["gen_ai.provider.name"] == "gcp.gemini"
    assert attrs["gen_ai.request.model"] == MODEL
    assert (attrs["gen_ai.request.temperature"], attrs["gen_ai.request.top_p"]) == (0.2, 0.9)
    assert (attrs["gen_ai.request.top_k"], attrs["gen_ai.request.max_tokens"]) == (5, 100)
    assert attrs["gen_ai.request.stop_sequences"] == ("END",)
    assert attrs["gen_ai.request.seed"] == 7
    assert attrs["gen_ai.response.model"] == "gemini-fake-2.5-001" == response.model_version
    assert attrs["gen_ai.response.id"] == "resp_1"  # responseId (read by SDKs from 1.21 on)
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (11, 3)
    assert attrs["server.address"] == "127.0.0.1" and attrs["server.port"] == server.port
    assert attrs["agentwrap.prompt.hash"].startswith("sha256-")
    assert attrs["agentwrap.prompt.version_hash"].startswith("sha256-")
    assert "gen_ai.request.stream" not in attrs
    assert not any(key.startswith(("gen_ai.input", "gen_ai.output", "gen_ai.system")) for key in attrs)


def test_cached_and_thinking_tokens(server, gemini, captured):
    server.enqueue(
        Reply(text="thought it over", usage=Usage(40, 6, cache_read_input_tokens=30, reasoning_tokens=9))
    )
    response = gemini.models.generate_content(model=MODEL, contents="Think.")
    assert response.usage_metadata.candidates_token_count == 6  # the SDK's object is untouched
    attrs = _attrs(captured.spans[0])
    assert attrs["gen_ai.usage.input_tokens"] == 40  # promptTokenCount includes the cached part
    assert attrs["gen_ai.usage.cache_read.input_tokens"] == 30
    assert attrs["gen_ai.usage.output_tokens"] == 15  # the thoughts are output too
    assert attrs["gen_ai.usage.reasoning.output_tokens"] == 9


def test_json_output_type_and_vertex_provider(server, captured):
    vertex = genai.Client(
        vertexai=True, api_key=API_KEY, http_options=gtypes.HttpOptions(base_url=server.anthropic_base_url)
    )
    vertex.models.generate_content(
        model=MODEL, contents="json please", config=_config(response_mime_type="application/json")
    )
    assert "/publishers/google/models/" in server.requests[0].path
    attrs = _attrs(captured.spans[0])
    assert attrs["gen_ai.provider.name"] == "gcp.vertex_ai"
    assert attrs["gen_ai.output.type"] == "json"
    assert attrs["gen_ai.request.model"] == MODEL


async def test_async_generate_content(server, agemini, captured):
    server.enqueue(Reply(text="async hi", usage=Usage(5, 2)))
    response = await agemini.models.generate_content(model=MODEL, contents="hi")
    assert isinstance(response, gtypes.GenerateContentResponse) and response.text == "async hi"
    [span] = captured.spans
    assert _attrs(span)["gen_ai.usage.output_tokens"] == 2
    assert span.name == f"generate_content {MODEL}"


def test_other_api_requests_are_not_traced(server, gemini, captured):
    # countTokens is not a route of the fake server: the SDK's error passes through, untraced.
    with pytest.raises(errors.ClientError):
        gemini.models.count_tokens(model=MODEL, contents="how many?")
    assert captured.spans == []


def test_content_capture_uses_the_parts_form(server, gemini, captured_content):
    server.enqueue(
        Reply(text="Checking.", tool_calls=[ToolCall("get_weather", {"city": "Paris"}, id="fc_1")])
    )
    contents = [
        gtypes.Content(role="user", parts=[gtypes.Part(text="Weather in Rome?")]),
        gtypes.Content(
            role="model", parts=[gtypes.Part.from_function_call(name="get_weather", args={"city": "Rome"})]
        ),
        gtypes.Content(
            role="user",
            parts=[gtypes.Part.from_function_response(name="get_weather", response={"output": "sunny"})],
        ),
    ]
    gemini.models.generate_content(
        model=MODEL, contents=contents, config=_config(system_instruction="You forecast.", tools=TOOLS)
    )
    attrs = _attrs(captured_content.spans_named("generate_content")[0])
    assert json.loads(attrs["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "Weather in Rome?"}]},
        {
            "role": "assistant",
            "parts": [
                {"type": "tool_call", "id": None, "name": "get_weather", "arguments": {"city": "Rome"}}
            ],
        },
        {
            "role": "user",
            "parts": [{"type": "tool_call_response", "id": None, "response": {"output": "sunny"}}],
        },
    ]
    assert json.loads(attrs["gen_ai.system_instructions"]) == [{"type": "text", "content": "You forecast."}]
    [tool] = json.loads(attrs["gen_ai.tool.definitions"])
    assert (tool["type"], tool["name"], tool["description"]) == (
        "function",
        "get_weather",
        "The weather now.",
    )
    assert json.loads(attrs["gen_ai.output.messages"]) == [
        {
            "role": "assistant",
            "parts": [
                {"type": "text", "content": "Checking."},
                {"type": "tool_call", "id": "fc_1", "name": "get_weather", "arguments": {"city": "Paris"}},
            ],
            "finish_reason": "stop",
        }
    ]


def test_prompt_version_hash_follows_system_and_tools_not_contents(server, gemini, captured):
    for system, contents in (("A", "one"), ("A", "two"), ("B", "one")):
        gemini.models.generate_content(
            model=MODEL, contents=contents, config=_config(system_instruction=system, tools=TOOLS)
        )
    first, second, third = (_attrs(s) for s in captured.spans_named("generate_content"))
    assert first["agentwrap.prompt.version_hash"] == second["agentwrap.prompt.version_hash"]
    assert first["agentwrap.prompt.version_hash"] != third["agentwrap.prompt.version_hash"]
    assert first["agentwrap.prompt.hash"] != second["agentwrap.prompt.hash"]
    assert first["agentwrap.prompt.hash"] != third["agentwrap.prompt.hash"]


# -- streams ---------------------------------------------------------------------------------


def test_stream_drained_keeps_the_sdk_generator_and_records_the_response(server, gemini, captured):
    server.enqueue(Reply(text="one two three", usage=Usage(9, 4), chunk_delay=0.01))
    stream = gemini.models.generate_content_stream(model=MODEL, contents="count")
    assert isinstance(stream, pytypes.GeneratorType)  # the SDK's own generator
    before = otel_context.get_current()
    texts = []
    for chunk in stream:
        assert otel_context.get_current() is before
        texts.append(chunk.text or "")
    assert "".join(texts) == "one two three"
    [span] = captured.spans
    attrs = _attrs(span)
    assert attrs["gen_ai.request.stream"] is True
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (9, 4)
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert attrs["gen_ai.response.id"] == "resp_1"
    assert 0 < attrs["gen_ai.response.time_to_first_chunk"] < (span.end_time - span.start_time) / 1e9
    assert attrs["agentwrap.stream.completed"] is True
    assert "agentwrap.usage.estimated" not in attrs


@pytest.mark.parametrize("ending", ["break", "close", "gc"])
def test_stream_let_go_ends_its_span_once_with_ttft(server, gemini, captured, ending):
    server.enqueue(Reply(text=LONG, usage=Usage(5, 70)))
    stream = gemini.models.generate_content_stream(model=MODEL, contents="long")
    if ending == "break":
        for _ in stream:
            break
    elif ending == "close":
        next(stream)
        stream.close()
    else:
        next(stream)
    del stream
    gc.collect()
    [span] = captured.spans
    attrs = _attrs(span)
    assert attrs["agentwrap.stream.completed"] is False
    assert "gen_ai.response.time_to_first_chunk" in attrs
    assert attrs["gen_ai.usage.input_tokens"] == 5  # the chunks seen carried the prompt's count
    assert 1 <= attrs["gen_ai.usage.output_tokens"] < 70  # counted from the text seen
    assert attrs["agentwrap.usage.estimated"] is True
    gc.collect()
    assert len(captured.spans) == 1


def test_stream_without_usage_is_estimated(server, gemini, captured):
    server.enqueue(Reply(text="no counts here", include_usage=False))
    for _ in gemini.models.generate_content_stream(model=MODEL, contents="hi"):
        pass
    attrs = _attrs(captured.spans[0])
    assert attrs["agentwrap.usage.estimated"] is True
    assert attrs["gen_ai.usage.input_tokens"] >= 1 and attrs["gen_ai.usage.output_tokens"] >= 1


def test_streamed_function_calls_are_tool_calls(server, gemini, captured):
    server.enqueue(Reply(text="Let me look.", tool_calls=[WEATHER, ToolCall("noop", {})]))
    with agentwrap.run() as run:
        chunks = list(
            gemini.models.generate_content_stream(model=MODEL, contents="go", config=_config(tools=TOOLS))
        )
    assert [c.function_calls[0].name for c in chunks if c.function_calls] == ["get_weather", "noop"]
    tools = run.summary["sequence_of_tool_calls"]
    assert [t["tool"] for t in tools] == ["get_weather", "noop"]


async def test_async_stream_drained_and_broken_off(server, agemini, captured):
    server.enqueue(Reply(text="async streamed words", usage=Usage(3, 3)), Reply(text=LONG))
    stream = await agemini.models.generate_content_stream(model=MODEL, contents="hi")
    texts = [chunk.text async for chunk in stream]
    assert "".join(t or "" for t in texts) == "async streamed words"
    stream = await agemini.models.generate_content_stream(model=MODEL, contents="long")
    async for _ in stream:
        break
    await stream.aclose()
    del stream
    # The SDK's inner async generators are closed by asyncio's finalizer, a loop turn each.
    for _ in range(20):
        gc.collect()
        await asyncio.sleep(0)
    drained, broken = captured.spans_named("generate_content")
    assert _attrs(drained)["agentwrap.stream.completed"] is True
    assert _attrs(drained)["gen_ai.usage.output_tokens"] == 3
    assert _attrs(broken)["agentwrap.stream.completed"] is False
    assert "gen_ai.response.time_to_first_chunk" in _attrs(broken)


# -- chats and function calling -----------------------------------------------------------------


def test_chat_function_call_and_response_make_an_execute_tool_span(server, gemini, captured):
    server.enqueue(
        Reply(tool_calls=[WEATHER], usage=Usage(20, 5)), Reply(text="Sunny in Paris.", usage=Usage(30, 4))
    )
    with agentwrap.run(name="gemini-weather") as run:
        chat = gemini.chats.create(model=MODEL, config=_config(tools=TOOLS))
        first = chat.send_message("Weather in Paris?")
        [call] = first.function_calls
        assert call.id is None  # the Gemini Developer API sends no call id
        reply = chat.send_message(
            gtypes.Part.from_function_response(name=call.name, response={"output": "sunny"})
        )
        assert reply.text == "Sunny in Paris."
    [tool] = captured.spans_named("execute_tool")
    calls = captured.spans_named("generate_content")
    assert tool.name == "execute_tool get_weather"
    assert _attrs(tool)["gen_ai.tool.call.id"].startswith("get_weather-")
    assert "agentwrap.tool.call.result_missing" not in _attrs(tool)
    assert calls[0].end_time <= tool.start_time and tool.end_time <= calls[1].end_time
    summary = run.summary
    assert summary["total_number_of_turns"] == 2
    assert summary["selected_tool_calls"] == ["get_weather"]
    assert summary["llm_model"] == MODEL
    [usage] = summary["token_usage_of_each_tool_call"].values()
    assert usage == {"prompt_tokens": 20, "completion_tokens": 5, "total_tokens": 25}


def test_function_calls_with_ids_pair_by_id(server, gemini, captured):
    calls = [
        ToolCall("get_weather", {"city": "A"}, id="fc_a"),
        ToolCall("get_weather", {"city": "B"}, id="fc_b"),
    ]
    server.enqueue(Reply(tool_calls=calls), Reply(text="done"))
    with agentwrap.run():
        chat = gemini.chats.create(model=MODEL, config=_config(tools=TOOLS))
        chat.send_message("two cities")
        # Answered in the other order: the ids, not the order, pair them.
        chat.send_message(
            [
                gtypes.Part(
                    function_response=gtypes.FunctionResponse(
                        id=i, name="get_weather", response={"output": i}
                    )
                )
                for i in ("fc_b", "fc_a")
            ]
        )
    tools = captured.spans_named("execute_tool")
    assert sorted(_attrs(t)["gen_ai.tool.call.id"] for t in tools) == ["fc_a", "fc_b"]
    assert not any("agentwrap.tool.call.result_missing" in _attrs(t) for t in tools)


def test_automatic_function_calling_runs_the_tool_between_two_spans(server, gemini, captured):
    ran = []

    def get_weather(city: str) -> str:
        """The weather now."""
        ran.append(city)
        return "sunny"

    get_weather.__annotations__ = {"city": str, "return": str}  # types, not this module's strings

    server.enqueue(Reply(tool_calls=[WEATHER]), Reply(text="It is sunny."))
    with agentwrap.run() as run:
        config = gtypes.GenerateContentConfig(tools=[get_weather])
        assert (
            gemini.models.generate_content(model=MODEL, contents="Weather?", config=config).text
            == "It is sunny."
        )
    assert ran == ["Paris"]
    assert len(captured.spans_named("generate_content")) == 2  # one per request the SDK sent
    [tool] = captured.spans_named("execute_tool")
    assert "agentwrap.tool.call.result_missing" not in _attrs(tool)
    assert run.summary["sequence_of_tool_calls"][0]["tool"] == "get_weather"


def test_chat_stream(server, gemini, captured):
    server.enqueue(Reply(text="streamed chat answer", usage=Usage(4, 3)))
    chat = gemini.chats.create(model=MODEL)
    assert "".join(c.text or "" for c in chat.send_message_stream("hi")) == "streamed chat answer"
    [span] = captured.spans
    assert _attrs(span)["agentwrap.stream.completed"] is True
    assert _attrs(span)["gen_ai.request.stream"] is True


async def test_async_chat(server, agemini, captured):
    server.enqueue(Reply(text="async chat"), Reply(text="async chat stream"))
    chat = agemini.chats.create(model=MODEL)
    assert (await chat.send_message("hi")).text == "async chat"
    chunks = [c.text async for c in await chat.send_message_stream("again")]
    assert "".join(t or "" for t in chunks) == "async chat stream"
    assert len(captured.spans_named("generate_content")) == 2


def test_a_result_the_app_reports_as_an_error_marks_the_tool_span(server, gemini, captured):
    server.enqueue(Reply(tool_calls=[WEATHER]), Reply(text="sorry"))
    with agentwrap.run():
        chat = gemini.chats.create(model=MODEL, config=_config(tools=TOOLS))
        chat.send_message("weather?")
        chat.send_message(gtypes.Part.from_function_response(name="get_weather", response={"error": "down"}))
    [tool] = captured.spans_named("execute_tool")
    assert tool.status.status_code is StatusCode.ERROR


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "error_class"), [(429, errors.ClientError), (500, errors.ServerError)])
def test_sdk_errors_pass_through_as_the_same_object(
    server, gemini, captured, monkeypatch, status, error_class
):
    raised: list[BaseException] = []
    original = error_class.__init__

    def keep(self: Any, *args: Any, **kwargs: Any) -> None:
        raised.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(error_class, "__init__", keep)
    server.enqueue(ErrorReply(status, "slow down" if status == 429 else "broken"))
    with pytest.raises(error_class) as caught:
        gemini.models.generate_content(model=MODEL, contents="hi")
    assert caught.value is raised[-1]
    [span] = captured.spans
    assert span.status.status_code is StatusCode.ERROR
    assert _attrs(span)["error.type"] == error_class.__name__


def test_stream_errors_end_the_span_as_failed(server, gemini, captured):
    server.enqueue(ErrorReply(429, "slow down"), Reply(text=LONG, fail_after_chunks=2))
    with pytest.raises(errors.ClientError):
        list(gemini.models.generate_content_stream(model=MODEL, contents="hi"))
    with pytest.raises(Exception) as broken:  # the connection drops mid-stream
        list(gemini.models.generate_content_stream(model=MODEL, contents="hi"))
    assert not isinstance(broken.value, AssertionError)
    first, second = captured.spans_named("generate_content")
    assert first.status.status_code is StatusCode.ERROR and second.status.status_code is StatusCode.ERROR
    assert "gen_ai.response.time_to_first_chunk" in _attrs(second)
