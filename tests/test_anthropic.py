"""The anthropic SDK, every call shape, over real HTTP to the fake server.

Runs against whichever anthropic is installed (the oldest supported one in CI too): features a
version lacks (``messages.parse``, the SDK's own spans) are skipped, never faked.
"""

from __future__ import annotations

import gc
import inspect
import json
import logging
import types
import warnings
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anthropic
import pytest
from agentwrap.patches import anthropic as anthropic_patch
from agentwrap.patches._anthropic_messages import MessagesEndpoint
from opentelemetry import context as otel_context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

import agentwrap
from agentwrap.demo import (
    AIRLINE_SCRIPT,
    FINAL_ANSWER,
    SYSTEM_PROMPT,
    USER_PROMPT,
    run_airline_agent,
    search_flights,
)
from agentwrap.testing import ErrorReply, Reply, ToolCall, Usage, capture

from .conftest import API_KEY

MODEL = "claude-fake-1"
USER = [{"role": "user", "content": "Hello there"}]
WEATHER = ToolCall("get_weather", {"city": "Paris", "units": "C"}, id="toolu_w1")
SDK_TRACES = "open_telemetry" in inspect.signature(anthropic.Anthropic).parameters
HAS_PARSE = hasattr(anthropic.resources.messages.Messages, "parse")
try:
    from anthropic.lib.streaming import AsyncMessageStream, MessageStream
except ImportError:  # pragma: no cover - every supported version has them
    MessageStream = AsyncMessageStream = None  # type: ignore[assignment,misc]


def _attrs(span: Any) -> dict[str, Any]:
    return dict(span.attributes or {})


def _client(server: Any, **options: Any) -> anthropic.Anthropic:
    options.setdefault("max_retries", 0)
    return anthropic.Anthropic(base_url=server.anthropic_base_url, api_key=API_KEY, **options)


@pytest.fixture
def claude(server: Any) -> Iterator[anthropic.Anthropic]:
    client = _client(server)
    yield client
    client.close()


@pytest.fixture
async def aclaude(server: Any) -> AsyncIterator[anthropic.AsyncAnthropic]:
    client = anthropic.AsyncAnthropic(base_url=server.anthropic_base_url, api_key=API_KEY, max_retries=0)
    yield client
    await client.close()


def _create(client: Any, **kwargs: Any) -> Any:
    return client.messages.create(
        model=MODEL, max_tokens=100, messages=kwargs.pop("messages", USER), **kwargs
    )


# -- create ----------------------------------------------------------------------------------


def test_create_makes_one_span_with_genai_attributes(server, claude, captured):
    server.enqueue(Reply(text="Hi!", usage=Usage(11, 3), model="claude-fake-1-20250929"))
    message = _create(claude, system="Be brief.", stop_sequences=["END"])
    assert message.content[0].text == "Hi!"
    [span] = captured.spans
    attrs = _attrs(span)
    assert span.name == f"chat {MODEL}"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.provider.name"] == "anthropic"
    assert attrs["gen_ai.request.model"] == MODEL
    assert attrs["gen_ai.request.max_tokens"] == 100
    assert attrs["gen_ai.request.stop_sequences"] == ("END",)
    assert attrs["gen_ai.response.model"] == "claude-fake-1-20250929"
    assert attrs["gen_ai.response.id"] == message.id
    assert attrs["gen_ai.response.finish_reasons"] == ("end_turn",)
    assert attrs["gen_ai.usage.input_tokens"] == 11
    assert attrs["gen_ai.usage.output_tokens"] == 3
    assert attrs["server.address"] == "127.0.0.1" and attrs["server.port"] == server.port
    assert attrs["agentwrap.prompt.hash"].startswith("sha256-")
    assert attrs["agentwrap.prompt.version_hash"].startswith("sha256-")
    assert "gen_ai.request.stream" not in attrs
    assert not any(key.startswith(("gen_ai.input", "gen_ai.output")) for key in attrs)
    assert "gen_ai.system_instructions" not in attrs


@pytest.mark.parametrize("how", ["keywords", "extra_body", "post"])
def test_sampling_parameters_are_recorded(server, claude, captured, how):
    params = {"temperature": 0.2, "top_p": 0.9, "top_k": 5}
    if how == "keywords":
        if "temperature" not in inspect.signature(anthropic.resources.messages.Messages.create).parameters:
            pytest.skip("newer SDKs dropped them from create(): they go in extra_body")
        _create(claude, **params)
    elif how == "extra_body":
        _create(claude, extra_body=params)
    else:  # a direct post(), as LiteLLM and other wrappers do
        body = {"model": MODEL, "max_tokens": 100, "messages": USER, **params}
        claude.post("/v1/messages", body=body, cast_to=anthropic.types.Message)
    attrs = _attrs(captured.spans[0])
    assert (attrs["gen_ai.request.temperature"], attrs["gen_ai.request.top_p"]) == (0.2, 0.9)
    assert attrs["gen_ai.request.top_k"] == 5
    assert server.requests[0].body["top_k"] == 5


def test_cache_tokens_are_part_of_the_input_total(server, claude, captured):
    server.enqueue(
        Reply(text="cached", usage=Usage(30, 9, cache_read_input_tokens=10, cache_creation_input_tokens=2))
    )
    message = _create(claude)
    assert message.usage.input_tokens == 30  # the SDK's object is untouched
    attrs = _attrs(captured.spans[0])
    assert attrs["gen_ai.usage.input_tokens"] == 42
    assert attrs["gen_ai.usage.cache_read.input_tokens"] == 10
    assert attrs["gen_ai.usage.cache_creation.input_tokens"] == 2
    assert attrs["gen_ai.usage.output_tokens"] == 9


def test_streamed_cache_tokens(server, claude, captured):
    server.enqueue(
        Reply(
            text="cached stream",
            usage=Usage(30, 9, cache_read_input_tokens=10, cache_creation_input_tokens=2),
        )
    )
    for _ in _create(claude, stream=True):
        pass
    attrs = _attrs(captured.spans[0])
    assert attrs["gen_ai.usage.input_tokens"] == 42
    assert attrs["gen_ai.usage.cache_read.input_tokens"] == 10
    assert attrs["gen_ai.usage.output_tokens"] == 9
    assert "agentwrap.usage.estimated" not in attrs


def test_usage_mapping_of_the_sdk_usage_type():
    # Fields the fake server does not send: read from the SDK's own Usage model.
    usage = anthropic.types.Usage.model_validate(
        {
            "input_tokens": 3,
            "output_tokens": 9,
            "cache_read_input_tokens": None,
            "cache_creation_input_tokens": 2,
            "output_tokens_details": {"thinking_tokens": 4},
        }
    )
    mapped = MessagesEndpoint().response(types.SimpleNamespace(usage=usage, content=[])).usage
    assert (mapped.input_tokens, mapped.output_tokens) == (5, 9)
    assert (mapped.cache_read_input_tokens, mapped.cache_creation_input_tokens) == (None, 2)
    assert mapped.reasoning_output_tokens == 4  # a model field, or an extra dict on older SDKs


async def test_async_create(server, aclaude, captured):
    server.enqueue(Reply(text="async hi", tool_calls=[WEATHER], usage=Usage(5, 2)))
    message = await _create(aclaude)
    assert isinstance(message, anthropic.types.Message)
    [span] = captured.spans
    attrs = _attrs(span)
    assert attrs["gen_ai.usage.output_tokens"] == 2
    assert attrs["gen_ai.response.finish_reasons"] == ("tool_use",)


def test_content_capture_uses_the_parts_form(server, claude, captured_content):
    server.enqueue(Reply(text="Checking.", tool_calls=[WEATHER]))
    tools = [{"name": "get_weather", "description": "Weather now.", "input_schema": {"type": "object"}}]
    messages = [
        {"role": "user", "content": "Weather in Paris?"},
        {
            "role": "assistant",
            "content": [
                {"type": "tool_use", "id": "toolu_0", "name": "get_weather", "input": {"city": "Rome"}}
            ],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_0", "content": "sunny"}]},
    ]
    _create(claude, messages=messages, system=[{"type": "text", "text": "You forecast."}], tools=tools)
    attrs = _attrs(captured_content.spans_named("chat")[0])
    assert json.loads(attrs["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]},
        {
            "role": "assistant",
            "parts": [
                {"type": "tool_call", "id": "toolu_0", "name": "get_weather", "arguments": {"city": "Rome"}}
            ],
        },
        {"role": "user", "parts": [{"type": "tool_call_response", "id": "toolu_0", "response": "sunny"}]},
    ]
    assert json.loads(attrs["gen_ai.system_instructions"]) == [{"type": "text", "content": "You forecast."}]
    assert json.loads(attrs["gen_ai.tool.definitions"]) == [
        {
            "type": "function",
            "name": "get_weather",
            "description": "Weather now.",
            "parameters": {"type": "object"},
        }
    ]
    assert json.loads(attrs["gen_ai.output.messages"]) == [
        {
            "role": "assistant",
            "parts": [
                {"type": "text", "content": "Checking."},
                {
                    "type": "tool_call",
                    "id": "toolu_w1",
                    "name": "get_weather",
                    "arguments": WEATHER.arguments,
                },
            ],
            "finish_reason": "tool_use",
        }
    ]


def test_every_block_kind_is_read_without_error(server, claude, captured_content):
    # SDK models in the request (an assistant turn appended as response.content), images,
    # thinking, list-valued tool results and server tools: all read, none raises.
    server.enqueue(Reply(tool_calls=[WEATHER]), Reply(text="ok"))
    first = _create(claude)
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}
    messages = [
        {"role": "user", "content": [{"type": "text", "text": "look"}, image]},
        {
            "role": "assistant",
            "content": [{"type": "thinking", "thinking": "hmm", "signature": "s"}, *first.content],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_w1",
                    "content": [{"type": "text", "text": "22C"}],
                }
            ],
        },
    ]
    tools = [
        {"name": "get_weather", "input_schema": {"type": "object"}},
        {"type": "web_search_20250305", "name": "web_search"},
    ]
    with agentwrap.run() as run:
        _create(claude, messages=messages, tools=tools)
    attrs = _attrs(captured_content.spans_named("chat")[1])
    parts = [message["parts"] for message in json.loads(attrs["gen_ai.input.messages"])]
    assert parts[0] == [{"type": "text", "content": "look"}, {"type": "image"}]
    assert parts[1][0] == {"type": "reasoning", "content": "hmm"}
    assert parts[1][1] == {
        "type": "tool_call",
        "id": "toolu_w1",
        "name": "get_weather",
        "arguments": WEATHER.arguments,
    }
    assert parts[2] == [
        {"type": "tool_call_response", "id": "toolu_w1", "response": [{"type": "text", "text": "22C"}]}
    ]
    assert json.loads(attrs["gen_ai.tool.definitions"])[1] == {
        "type": "web_search_20250305",
        "name": "web_search",
    }
    assert run.summary["total_number_of_turns"] == 1  # the tool call came from outside the run


def test_prompt_version_hash_follows_system_and_tools_not_messages(server, claude, captured):
    tools = [{"name": "t", "description": "d", "input_schema": {"type": "object"}}]
    cached = [{"type": "text", "text": "A", "cache_control": {"type": "ephemeral"}}]
    _create(claude, system="A", tools=tools)
    _create(claude, system="A", tools=tools, messages=[{"role": "user", "content": "other"}])
    _create(claude, system=cached, tools=[{**tools[0], "cache_control": {"type": "ephemeral"}}])
    _create(claude, system="B", tools=tools)
    first, second, third, fourth = (_attrs(s) for s in captured.spans_named("chat"))
    version = first["agentwrap.prompt.version_hash"]
    assert version == second["agentwrap.prompt.version_hash"] == third["agentwrap.prompt.version_hash"]
    assert version != fourth["agentwrap.prompt.version_hash"]
    assert first["agentwrap.prompt.hash"] != second["agentwrap.prompt.hash"]


def test_system_prompt_is_part_of_the_input_hash(server, claude, captured):
    _create(claude, system="A")
    _create(claude, system="B")
    _create(claude)
    hashes = [_attrs(s)["agentwrap.prompt.hash"] for s in captured.spans_named("chat")]
    assert len(set(hashes)) == 3


# -- streams ---------------------------------------------------------------------------------


def test_create_stream_keeps_type_and_records_the_response(server, claude, captured):
    server.enqueue(Reply(text="one two three", tool_calls=[WEATHER], usage=Usage(9, 4), chunk_delay=0.01))
    stream = _create(claude, stream=True)
    assert isinstance(stream, anthropic.Stream)
    assert captured.spans == []  # still open while the caller reads
    events = list(stream)
    assert [e.type for e in events][0] == "message_start" and events[-1].type == "message_stop"
    assert any(
        getattr(e.delta, "type", None) == "input_json_delta"
        for e in events
        if e.type == "content_block_delta"
    )
    [span] = captured.spans
    attrs = _attrs(span)
    assert attrs["gen_ai.request.stream"] is True
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (9, 4)
    assert attrs["gen_ai.response.finish_reasons"] == ("tool_use",)
    assert attrs["gen_ai.response.id"] == events[0].message.id
    assert 0 < attrs["gen_ai.response.time_to_first_chunk"] < (span.end_time - span.start_time) / 1e9
    assert attrs["agentwrap.stream.completed"] is True


def test_streamed_tool_input_is_assembled(server, claude, captured_content):
    server.enqueue(Reply(text="Let me look.", tool_calls=[WEATHER, ToolCall("noop", {}, id="toolu_n")]))
    with _create(claude, stream=True) as stream:
        for _ in stream:
            pass
    output = json.loads(_attrs(captured_content.spans[0])["gen_ai.output.messages"])
    assert output[0]["parts"] == [
        {"type": "text", "content": "Let me look."},
        {"type": "tool_call", "id": "toolu_w1", "name": "get_weather", "arguments": WEATHER.arguments},
        {"type": "tool_call", "id": "toolu_n", "name": "noop", "arguments": {}},
    ]


def test_stream_broken_off_before_its_usage_estimates_the_output(server, claude, captured):
    server.enqueue(Reply(text=LONG, usage=Usage(5, 70)))
    stream = _create(claude, stream=True)
    for i, _ in enumerate(stream):
        if i == 4:  # message_start, content_block_start and a few text deltas
            break
    stream.close()
    attrs = _attrs(captured.spans[0])
    assert attrs["gen_ai.usage.input_tokens"] == 5  # message_start reported it
    assert 1 <= attrs["gen_ai.usage.output_tokens"] < 70  # counted from the text seen, not the placeholder
    assert attrs["agentwrap.usage.estimated"] is True
    assert attrs["agentwrap.stream.completed"] is False


async def test_async_create_stream(server, aclaude, captured):
    server.enqueue(Reply(text="async streamed words", usage=Usage(3, 3)))
    stream = await _create(aclaude, stream=True)
    assert isinstance(stream, anthropic.AsyncStream)
    texts = [e.delta.text async for e in stream if e.type == "content_block_delta"]
    assert "".join(texts) == "async streamed words"
    [span] = captured.spans
    assert _attrs(span)["gen_ai.usage.output_tokens"] == 3
    assert _attrs(span)["agentwrap.stream.completed"] is True


def test_stream_helper_text_stream_and_final_message(server, claude, captured):
    server.enqueue(Reply(text="Looking it up", tool_calls=[WEATHER], usage=Usage(15, 7)))
    with claude.messages.stream(model=MODEL, max_tokens=100, messages=USER) as stream:
        assert isinstance(stream, MessageStream)
        texts = list(stream.text_stream)
        final = stream.get_final_message()
        assert stream.response.status_code == 200
    assert texts == ["Looking ", "it ", "up"]
    assert final.content[1].input == WEATHER.arguments
    [span] = captured.spans
    attrs = _attrs(span)
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (15, 7)
    assert attrs["gen_ai.response.id"] == final.id
    assert attrs["gen_ai.response.finish_reasons"] == ("tool_use",)
    assert attrs["agentwrap.stream.completed"] is True
    assert "gen_ai.response.time_to_first_chunk" in attrs


def test_stream_helper_until_done(server, claude, captured):
    server.enqueue(Reply(text="done now", usage=Usage(4, 2)))
    with claude.messages.stream(model=MODEL, max_tokens=100, messages=USER) as stream:
        stream.until_done()
        assert stream.get_final_text() == "done now"
    [span] = captured.spans
    assert _attrs(span)["agentwrap.stream.completed"] is True


async def test_async_stream_helper(server, aclaude, captured):
    server.enqueue(Reply(text="async helper text", usage=Usage(6, 3)))
    async with aclaude.messages.stream(model=MODEL, max_tokens=100, messages=USER) as stream:
        assert isinstance(stream, AsyncMessageStream)
        texts = [t async for t in stream.text_stream]
        final = await stream.get_final_message()
    assert "".join(texts) == "async helper text" == final.content[0].text
    [span] = captured.spans
    assert _attrs(span)["gen_ai.usage.output_tokens"] == 3
    assert _attrs(span)["agentwrap.stream.completed"] is True


async def test_async_stream_helper_until_done(server, aclaude, captured):
    server.enqueue(Reply(text="x y z", usage=Usage(6, 3)))
    async with aclaude.messages.stream(model=MODEL, max_tokens=100, messages=USER) as stream:
        await stream.until_done()
    [span] = captured.spans
    assert _attrs(span)["agentwrap.stream.completed"] is True


# -- the stream grid: {sync, async} x {create(stream=True), stream(), beta stream()} x 5 endings --

CASES = ["drained", "broken_off_closed", "error_in_with", "server_error", "abandoned"]
LONG = " ".join(f"w{i}" for i in range(12))


class Boom(Exception):
    pass


def _open_sync(client: Any, shape: str) -> Any:
    """A context manager whose __enter__ gives the object the caller iterates."""
    if shape == "create":
        return _create(client, stream=True)
    messages = client.beta.messages if shape == "beta_helper" else client.messages
    return messages.stream(model=MODEL, max_tokens=100, messages=USER)


def _check_grid_span(captured: Any, case: str, caplog: Any, error: BaseException | None) -> None:
    [span] = captured.spans  # one span, exported once
    assert "ended span" not in caplog.text  # never ended twice
    attrs = _attrs(span)
    if case == "drained":
        assert span.status.status_code is StatusCode.UNSET
        assert attrs["agentwrap.stream.completed"] is True
        assert attrs["gen_ai.usage.output_tokens"] == 7
    elif case in ("broken_off_closed", "abandoned"):
        assert span.status.status_code is StatusCode.UNSET
        assert attrs["agentwrap.stream.completed"] is False
        assert [e.name for e in span.events] == (["stream.abandoned"] if case == "abandoned" else [])
    else:
        assert error is not None
        assert span.status.status_code is StatusCode.ERROR
        assert attrs["error.type"] == type(error).__qualname__


@pytest.mark.parametrize("shape", ["create", "helper", "beta_helper"])
@pytest.mark.parametrize("case", CASES)
def test_sync_stream_grid(server, claude, captured, caplog, shape, case):
    server.enqueue(
        Reply(text=LONG, usage=Usage(5, 7), fail_after_chunks=3 if case == "server_error" else None)
    )
    before = otel_context.get_current()
    error: BaseException | None = None
    if case == "abandoned":
        manager = _open_sync(claude, shape)
        stream = manager.__enter__() if shape != "create" else manager
        next(stream)
        assert otel_context.get_current() is before
        del stream, manager
        gc.collect()
    else:
        try:
            with _open_sync(claude, shape) as stream:
                for i, _ in enumerate(stream):
                    assert otel_context.get_current() is before
                    if case == "broken_off_closed" and i == 2:
                        break
                    if case == "error_in_with" and i == 2:
                        raise Boom("caller's own error")
                if case == "broken_off_closed":
                    stream.close()
                    stream.close()
        except Exception as exc:  # noqa: BLE001 - the grid checks which one it was
            error = exc
        if case in ("error_in_with", "server_error"):
            assert error is not None and (case != "error_in_with" or isinstance(error, Boom))
        else:
            assert error is None
    assert otel_context.get_current() is before
    _check_grid_span(captured, case, caplog, error)


async def _open_async(client: Any, shape: str) -> Any:
    if shape == "create":
        return await _create(client, stream=True)
    messages = client.beta.messages if shape == "beta_helper" else client.messages
    return messages.stream(model=MODEL, max_tokens=100, messages=USER)


@pytest.mark.parametrize("shape", ["create", "helper", "beta_helper"])
@pytest.mark.parametrize("case", CASES)
async def test_async_stream_grid(server, aclaude, captured, caplog, shape, case):
    server.enqueue(
        Reply(text=LONG, usage=Usage(5, 7), fail_after_chunks=3 if case == "server_error" else None)
    )
    before = otel_context.get_current()
    error: BaseException | None = None
    if case == "abandoned":
        manager = await _open_async(aclaude, shape)
        stream = await manager.__aenter__() if shape != "create" else manager
        await stream.__anext__()
        assert otel_context.get_current() is before
        del stream, manager
        gc.collect()
    else:
        try:
            async with await _open_async(aclaude, shape) as stream:
                i = 0
                async for _ in stream:
                    assert otel_context.get_current() is before
                    if case == "broken_off_closed" and i == 2:
                        break
                    if case == "error_in_with" and i == 2:
                        raise Boom("caller's own error")
                    i += 1
                if case == "broken_off_closed":
                    await stream.close()
        except Exception as exc:  # noqa: BLE001
            error = exc
        if case in ("error_in_with", "server_error"):
            assert error is not None and (case != "error_in_with" or isinstance(error, Boom))
        else:
            assert error is None
    assert otel_context.get_current() is before
    _check_grid_span(captured, case, caplog, error)


# -- beta, parse, raw responses, count_tokens -----------------------------------------------------


def test_beta_messages_are_traced(server, claude, captured):
    server.enqueue(Reply(text="beta", usage=Usage(3, 1)), Reply(text="beta stream", usage=Usage(4, 2)))
    message = claude.beta.messages.create(model=MODEL, max_tokens=10, messages=USER)
    with claude.beta.messages.stream(model=MODEL, max_tokens=10, messages=USER) as stream:
        final = stream.get_final_message()
    assert message.content[0].text == "beta" and final.content[0].text == "beta stream"
    first, second = captured.spans_named("chat")
    assert _attrs(first)["gen_ai.usage.output_tokens"] == 1
    assert _attrs(second)["gen_ai.usage.output_tokens"] == 2
    assert _attrs(second)["agentwrap.stream.completed"] is True


@pytest.mark.skipif(not HAS_PARSE, reason="this anthropic has no messages.parse")
def test_parse_is_traced_and_unchanged(server, claude, captured):
    from pydantic import BaseModel

    class Forecast(BaseModel):
        city: str
        celsius: int

    payload = '{"city": "Paris", "celsius": 21}'
    results = []
    for instrumented in (False, True):
        server.reset()
        server.enqueue(Reply(text=payload, usage=Usage(8, 6)))
        if not instrumented:
            agentwrap.uninstrument()
        else:
            agentwrap.instrument(
                tracer_provider=captured.provider, sinks=[captured.sink], log_summaries=False
            )
        results.append(
            claude.messages.parse(model=MODEL, max_tokens=50, messages=USER, output_format=Forecast)
        )
    plain, traced = results
    assert type(plain) is type(traced)
    assert traced.parsed_output == Forecast(city="Paris", celsius=21) == plain.parsed_output
    with warnings.catch_warnings():  # some 1.x SDKs warn while serializing their own ParsedMessage
        warnings.simplefilter("ignore", UserWarning)
        assert traced.model_dump() == plain.model_dump()
    [span] = captured.spans
    assert _attrs(span)["gen_ai.output.type"] == "json"
    assert _attrs(span)["gen_ai.usage.output_tokens"] == 6


def test_raw_response_is_traced_and_unchanged(server, claude, captured):
    server.enqueue(Reply(text="raw!", usage=Usage(4, 2)))
    raw = claude.messages.with_raw_response.create(model=MODEL, max_tokens=10, messages=USER)
    assert raw.headers.get("content-type", "").startswith("application/json")
    message = raw.parse()
    assert message.content[0].text == "raw!"
    assert raw.parse() is message
    [span] = captured.spans
    assert _attrs(span)["gen_ai.usage.output_tokens"] == 2


def test_streaming_response_is_traced(server, claude, captured):
    server.enqueue(Reply(text="streamed raw", usage=Usage(4, 2)))
    with claude.messages.with_streaming_response.create(
        model=MODEL, max_tokens=10, messages=USER, stream=True
    ) as response:
        events = list(response.parse())
    assert events[-1].type == "message_stop"
    [span] = captured.spans
    assert _attrs(span)["gen_ai.usage.output_tokens"] == 2
    assert _attrs(span)["agentwrap.stream.completed"] is True


async def test_async_raw_response_is_traced(server, aclaude, captured):
    server.enqueue(Reply(text="async raw", usage=Usage(4, 3)))
    raw = await aclaude.messages.with_raw_response.create(model=MODEL, max_tokens=10, messages=USER)
    message = raw.parse()
    if inspect.isawaitable(message):  # parse() is async on newer SDKs' async responses only
        message = await message
    assert message.content[0].text == "async raw"
    [span] = captured.spans
    assert _attrs(span)["gen_ai.usage.output_tokens"] == 3


@pytest.mark.skipif(not hasattr(anthropic, "beta_tool"), reason="this anthropic has no tool runner")
def test_beta_tool_runner_calls_and_tools_are_traced(server, claude, captured_content):
    @anthropic.beta_tool
    def get_weather(city: str, units: str) -> str:
        """Weather now."""
        return f"sunny in {city}"

    server.enqueue(
        Reply(tool_calls=[WEATHER], usage=Usage(10, 4)), Reply(text="It is sunny.", usage=Usage(20, 5))
    )
    with agentwrap.run(name="runner") as run:
        runner = claude.beta.messages.tool_runner(
            model=MODEL, max_tokens=50, messages=USER, tools=[get_weather]
        )
        stops = [message.stop_reason for message in runner]
    assert stops == ["tool_use", "end_turn"]
    assert len(captured_content.spans_named("chat")) == 2
    [tool] = captured_content.spans_named("execute_tool")
    assert tool.attributes["gen_ai.tool.call.id"] == "toolu_w1"
    assert run.summary["sequence_of_tool_calls"][0]["result"] == "sunny in Paris"
    assert run.summary["total_number_of_turns"] == 2
    second = captured_content.spans_named("chat")[1]
    if "thread" in server.requests[1].body:  # 2.x: the server keeps the conversation
        assert second.attributes["gen_ai.request.previous_response.id"] == "msg_1"


def test_count_tokens_is_not_a_chat_turn(server, claude, captured):
    # The fake server has no count_tokens route: a 404. Traced as a call, it would make a span.
    with agentwrap.run() as run:
        with pytest.raises(anthropic.NotFoundError):
            claude.messages.count_tokens(model=MODEL, messages=USER)
    assert server.requests[0].path == "/v1/messages/count_tokens"
    assert captured.spans_named("chat") == []
    assert run.summary["total_number_of_turns"] == 0


def test_vertex_client_calls_name_the_platform(server, captured):
    # With the SDK's own tracing on where it has one: still one span, agentwrap's.
    own = {"open_telemetry": {"tracer_provider": captured.provider}} if SDK_TRACES else {}
    client = anthropic.AnthropicVertex(
        region="us-east5",
        project_id="proj",
        access_token="t",
        base_url=server.anthropic_base_url,
        max_retries=0,
        **own,
    )
    with pytest.raises(anthropic.NotFoundError):  # the fake server speaks no Vertex paths
        client.messages.create(model=MODEL, max_tokens=10, messages=USER)
    client.close()
    assert server.requests[0].path.endswith(f"/models/{MODEL}:rawPredict")
    [span] = captured.spans
    assert span.attributes["gen_ai.provider.name"] == "gcp.vertex_ai"
    assert span.attributes["gen_ai.request.model"] == MODEL
    assert span.attributes["error.type"] == "NotFoundError"


def test_route_table():
    route = anthropic_patch.route
    assert route("post", "/v1/messages") is not None
    assert route("post", "/v1/messages?beta=true") is not None
    assert route("post", "https://proxy.example/anthropic/v1/messages") is not None
    assert route("post", "/v1/messages/count_tokens") is None
    assert route("post", "/v1/messages/batches") is None
    assert route("get", "/v1/messages") is None


# -- errors ------------------------------------------------------------------------------------


class RecordingAnthropic(anthropic.Anthropic):
    """The real client, noting the status-error objects it creates (to check identity)."""

    made: list[BaseException]

    def _make_status_error(self, err_msg, *, body, response):  # type: ignore[override]
        error = super()._make_status_error(err_msg, body=body, response=response)
        self.made.append(error)
        return error


def test_http_error_propagates_the_same_exception(server, captured):
    client = RecordingAnthropic(base_url=server.anthropic_base_url, api_key=API_KEY, max_retries=0)
    client.made = []
    server.enqueue(ErrorReply(529, "busy", "overloaded_error"))
    with pytest.raises(anthropic.APIStatusError) as info:
        _create(client)
    client.close()
    assert info.value is client.made[0]
    [span] = captured.spans
    assert span.status.status_code is StatusCode.ERROR
    assert _attrs(span)["error.type"] == type(info.value).__qualname__


async def test_async_http_error_marks_span(server, aclaude, captured):
    server.enqueue(ErrorReply(500))
    with pytest.raises(anthropic.InternalServerError):
        await _create(aclaude)
    [span] = captured.spans
    assert _attrs(span)["error.type"] == "InternalServerError"


def test_retries_are_inside_one_span(server, captured):
    client = _client(server, max_retries=2)
    server.enqueue(ErrorReply(500, headers={"retry-after-ms": "1"}), Reply(text="fine"))
    assert _create(client).content[0].text == "fine"
    client.close()
    assert len(server.requests) == 2
    [span] = captured.spans
    assert span.status.status_code is StatusCode.UNSET


# -- runs: tool spans and the summary --------------------------------------------------------

ANTHROPIC_TOOLS = [
    {
        "name": "search_flights",
        "description": "Search flights between two airports.",
        "input_schema": {
            "type": "object",
            "properties": {"origin": {"type": "string"}, "dest": {"type": "string"}},
            "required": ["origin", "dest"],
        },
    }
]


def _blocks_from_events(events: list[Any]) -> list[dict[str, Any]]:
    """What a caller reading raw events assembles: text and tool_use blocks, as dicts."""
    blocks: dict[int, dict[str, Any]] = {}
    for event in events:
        if event.type == "content_block_start":
            blocks[event.index] = event.content_block.model_dump(exclude_none=True) | {"_json": ""}
        elif event.type == "content_block_delta" and event.delta.type == "text_delta":
            blocks[event.index]["text"] += event.delta.text
        elif event.type == "content_block_delta" and event.delta.type == "input_json_delta":
            blocks[event.index]["_json"] += event.delta.partial_json
    out = []
    for index in sorted(blocks):
        block = blocks[index]
        raw = block.pop("_json")
        if block["type"] == "tool_use":
            block["input"] = json.loads(raw) if raw else {}
        out.append(block)
    return out


def _next_message(client: Any, shape: str, messages: list[Any]) -> list[Any]:
    kwargs = {
        "model": "qwen-3.5-72b-instruct",
        "max_tokens": 500,
        "system": SYSTEM_PROMPT,
        "tools": ANTHROPIC_TOOLS,
    }
    if shape == "create":
        return list(client.messages.create(messages=messages, **kwargs).content)
    if shape == "stream":
        return _blocks_from_events(list(client.messages.create(messages=messages, stream=True, **kwargs)))
    with client.messages.stream(messages=messages, **kwargs) as stream:
        return list(stream.get_final_message().content)


async def _anext_message(client: Any, shape: str, messages: list[Any]) -> list[Any]:
    kwargs = {
        "model": "qwen-3.5-72b-instruct",
        "max_tokens": 500,
        "system": SYSTEM_PROMPT,
        "tools": ANTHROPIC_TOOLS,
    }
    if shape == "create":
        return list((await client.messages.create(messages=messages, **kwargs)).content)
    if shape == "stream":
        return _blocks_from_events(
            [e async for e in await client.messages.create(messages=messages, stream=True, **kwargs)]
        )
    async with client.messages.stream(messages=messages, **kwargs) as stream:
        return list((await stream.get_final_message()).content)


def _field(block: Any, name: str) -> Any:
    return block[name] if isinstance(block, dict) else getattr(block, name)


def _after_reply(messages: list[Any], content: list[Any]) -> str | None:
    """Append the assistant turn and the tool results; the final text when there is no tool use."""
    uses = [b for b in content if _field(b, "type") == "tool_use"]
    if not uses:
        return "".join(_field(b, "text") for b in content if _field(b, "type") == "text")
    messages.append({"role": "assistant", "content": content})
    results = [
        {
            "type": "tool_result",
            "tool_use_id": _field(b, "id"),
            "content": search_flights(**_field(b, "input")),
        }
        for b in uses
    ]
    messages.append({"role": "user", "content": results})
    return None


def run_anthropic_airline(client: Any, shape: str) -> str:
    messages: list[Any] = [{"role": "user", "content": USER_PROMPT}]
    for _ in range(10):
        answer = _after_reply(messages, _next_message(client, shape, messages))
        if answer is not None:
            return answer
    return "gave up"


async def arun_anthropic_airline(client: Any, shape: str) -> str:
    messages: list[Any] = [{"role": "user", "content": USER_PROMPT}]
    for _ in range(10):
        answer = _after_reply(messages, await _anext_message(client, shape, messages))
        if answer is not None:
            return answer
    return "gave up"


def _shape_of(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary without its ids and times (they differ per run); the prompt hash stays:
    one prompt has one version hash whichever API ran it."""
    ids = {entry["span_id"]: f"tool{i}" for i, entry in enumerate(summary["sequence_of_tool_calls"])}
    return {
        **summary,
        "trace_id": len(summary["trace_id"]),
        "sequence_of_tool_calls": [
            {**e, "span_id": ids[e["span_id"]]} for e in summary["sequence_of_tool_calls"]
        ],
        "timing_of_each_tool_calls": [ids[k] for k in summary["timing_of_each_tool_calls"]],
        "token_usage_of_each_tool_call": {
            ids[k]: v for k, v in summary["token_usage_of_each_tool_call"].items()
        },
        "overall_latency": summary["overall_latency"].endswith("s"),
    }


_REFERENCE: dict[str, Any] = {}


@pytest.fixture
def openai_reference(server: Any) -> dict[str, Any]:
    """The seed's airline run through OpenAI chat: the summary every provider must match."""
    if _REFERENCE:  # computed once per session
        return _REFERENCE
    openai = pytest.importorskip("openai")
    openai_client = openai.OpenAI(base_url=server.base_url, api_key=API_KEY, max_retries=0)
    server.enqueue(*AIRLINE_SCRIPT())
    with capture(log_summaries=False) as cap:
        with agentwrap.run(name="airline-agent", release="v1.4.2"):
            assert run_airline_agent(openai_client) == FINAL_ANSWER
    openai_client.close()
    server.reset()
    [summary] = cap.summaries
    _REFERENCE.update(_shape_of(summary))
    return _REFERENCE


def _check_airline(captured: Any, run: Any, reference: dict[str, Any], server: Any) -> None:
    summary = run.summary
    assert summary["number_of_same_tool_retries"] == 2
    assert summary["total_number_of_turns"] == 4
    assert [t["tool"] for t in summary["sequence_of_tool_calls"]] == ["search_flights"] * 3
    assert _shape_of(summary) == reference
    tools = captured.spans_named("execute_tool")
    chats = captured.spans_named("chat")
    assert len(tools) == 3 and len(chats) == 4
    for i, tool in enumerate(tools):
        assert tool.start_time == chats[i].end_time and tool.end_time == chats[i + 1].start_time
        sent = [b["tool_use_id"] for b in server.requests[i + 1].body["messages"][-1]["content"]]
        assert tool.attributes["gen_ai.tool.call.id"] == sent[-1]


@pytest.mark.parametrize("shape", ["create", "stream", "helper"])
def test_airline_run_matches_the_openai_summary(server, claude, openai_reference, shape):
    server.enqueue(*AIRLINE_SCRIPT())
    with capture(log_summaries=False) as cap:
        with agentwrap.run(name="airline-agent", release="v1.4.2") as run:
            assert run_anthropic_airline(claude, shape) == FINAL_ANSWER
        _check_airline(cap, run, openai_reference, server)


@pytest.mark.parametrize("shape", ["create", "stream", "helper"])
async def test_async_airline_run_matches_the_openai_summary(server, aclaude, openai_reference, shape):
    server.enqueue(*AIRLINE_SCRIPT())
    with capture(log_summaries=False) as cap:
        async with agentwrap.run(name="airline-agent", release="v1.4.2") as run:
            assert await arun_anthropic_airline(aclaude, shape) == FINAL_ANSWER
        _check_airline(cap, run, openai_reference, server)


@pytest.mark.parametrize("shape", ["create", "helper"])
def test_airline_without_a_run_is_one_implicit_run(server, claude, openai_reference, shape):
    server.enqueue(*AIRLINE_SCRIPT())
    with capture(log_summaries=False, implicit_runs=True) as cap:
        assert run_anthropic_airline(claude, shape) == FINAL_ANSWER
        agentwrap.uninstrument()  # closes the implicit run
    [record] = [r for r in cap.records if r.get("type") == "run.summary"]
    summary = record["summarized_metadata"]
    assert _shape_of(summary) == {**openai_reference, "release_version": summary["release_version"]}
    [root] = cap.spans_named("invoke_agent")
    assert root.attributes["agentwrap.run.implicit"] == "conversation"


def test_tool_result_errors_mark_the_tool_span(server, claude, captured_content):
    server.enqueue(Reply(tool_calls=[WEATHER]), Reply(text="Sorry."))
    with agentwrap.run() as run:
        first = _create(claude)
        messages = [
            *USER,
            {"role": "assistant", "content": first.content},
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_w1",
                        "content": [{"type": "text", "text": "timeout"}],
                        "is_error": True,
                    }
                ],
            },
        ]
        _create(claude, messages=messages)
    [tool] = captured_content.spans_named("execute_tool")
    assert tool.status.status_code is StatusCode.ERROR
    assert tool.attributes["gen_ai.tool.call.result"] == "timeout"
    assert json.loads(tool.attributes["gen_ai.tool.call.arguments"]) == WEATHER.arguments
    assert run.summary["sequence_of_tool_calls"][0]["result"] == "timeout"


# -- differential: the same script with and without agentwrap --------------------------------------


def _helper_script(client: Any) -> dict[str, Any]:
    with client.messages.stream(model=MODEL, max_tokens=100, messages=USER) as stream:
        kinds = (isinstance(stream, MessageStream), type(stream).__name__)
        texts = list(stream.text_stream)
        final = stream.get_final_message()
        final_text = stream.get_final_text()
    with client.messages.stream(model=MODEL, max_tokens=100, messages=USER) as stream:
        stream.until_done()
        snapshot = stream.current_message_snapshot.model_dump()
    raw = _create(client, stream=True)
    raw_kinds = (isinstance(raw, anthropic.Stream), raw.__class__.__name__)  # type() names the proxy
    events = [e.model_dump() for e in raw]
    message = _create(client)
    return {
        "kinds": kinds,
        "texts": texts,
        "final": final.model_dump(),
        "final_type": type(final).__name__,
        "final_text": final_text,
        "snapshot": snapshot,
        "raw_kinds": raw_kinds,
        "events": events,
        "message": message.model_dump(),
        "message_type": type(message),
    }


def _replies(server: Any) -> None:
    server.reset()
    for _ in range(4):
        server.enqueue(Reply(text="same words each time", tool_calls=[WEATHER], usage=Usage(7, 5)))


def test_differential_sync(server, claude):
    _replies(server)
    plain = _helper_script(claude)
    _replies(server)
    with capture() as cap:
        traced = _helper_script(claude)
    assert traced == plain
    assert len(cap.spans) == 4


async def _async_script(client: Any) -> dict[str, Any]:
    async with client.messages.stream(model=MODEL, max_tokens=100, messages=USER) as stream:
        kinds = (isinstance(stream, AsyncMessageStream), type(stream).__name__)
        texts = [t async for t in stream.text_stream]
        final = await stream.get_final_message()
    raw = await _create(client, stream=True)
    raw_kinds = (isinstance(raw, anthropic.AsyncStream), raw.__class__.__name__)
    events = [e.model_dump() async for e in raw]
    message = await _create(client)
    return {
        "kinds": kinds,
        "texts": texts,
        "final": final.model_dump(),
        "raw": raw_kinds,
        "events": events,
        "message": message.model_dump(),
    }


async def test_differential_async(server, aclaude):
    _replies(server)
    plain = await _async_script(aclaude)
    _replies(server)
    with capture() as cap:
        traced = await _async_script(aclaude)
    assert traced == plain
    assert len(cap.spans) == 3


# -- the SDK's own spans (anthropic 1.14 and later) ---------------------------------------------


def _sdk_provider() -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


def _traceparent(span: Any) -> str:
    ctx = span.get_span_context()
    return f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}"


def _sent_parent(request: Any) -> str | None:
    header = request.headers.get("traceparent")
    return header.rsplit("-", 1)[0] if header else None  # without the trace flags


@pytest.mark.skipif(not SDK_TRACES, reason="this anthropic emits no spans of its own")
def test_sdk_tracing_alone_emits_its_own_span(server):
    # The control: without agentwrap, this client's own tracing is on and emits a span.
    provider, exporter = _sdk_provider()
    client = _client(server, open_telemetry={"tracer_provider": provider})
    _create(client)
    client.close()
    [span] = exporter.get_finished_spans()
    assert span.name == "anthropic.messages.create"
    assert span.attributes["gen_ai.usage.output_tokens"] >= 1
    assert _sent_parent(server.requests[0]) == _traceparent(span)


@pytest.mark.skipif(not SDK_TRACES, reason="this anthropic emits no spans of its own")
def test_sdk_tracing_on_gives_one_span_per_call(server, captured):
    client = _client(server, open_telemetry={"tracer_provider": captured.provider})
    server.enqueue(
        Reply(text="a", usage=Usage(10, 2, cache_read_input_tokens=5)),
        Reply(text="b c", usage=Usage(10, 3)),
        Reply(text="d e", usage=Usage(10, 4)),
    )
    _create(client)
    for _ in _create(client, stream=True):
        pass
    with client.messages.stream(model=MODEL, max_tokens=100, messages=USER) as stream:
        stream.get_final_message()
    with pytest.raises(anthropic.NotFoundError):
        client.messages.count_tokens(model=MODEL, messages=USER)
    client.close()
    chats = captured.spans_named("chat")
    others = [s for s in captured.spans if not s.name.startswith("chat")]
    assert len(chats) == 3
    # Calls agentwrap does not trace keep the SDK's span.
    assert [s.name for s in others] == ["anthropic.messages.count_tokens"]
    # Tokens appear once: on agentwrap's spans only.
    assert sum(s.attributes.get("gen_ai.usage.output_tokens", 0) for s in captured.spans) == 9
    assert sum(s.attributes.get("gen_ai.usage.input_tokens", 0) for s in captured.spans) == 35
    # The SDK still propagates trace context: now that of agentwrap's span.
    sent = [_sent_parent(r) for r in server.requests[:3]]
    assert sent == [_traceparent(s) for s in chats]


@pytest.mark.skipif(not SDK_TRACES, reason="this anthropic emits no spans of its own")
async def test_sdk_tracing_on_async(server, captured):
    client = anthropic.AsyncAnthropic(
        base_url=server.anthropic_base_url,
        api_key=API_KEY,
        max_retries=0,
        open_telemetry={"tracer_provider": captured.provider},
    )
    await _create(client)
    async for _ in await _create(client, stream=True):
        pass
    await client.close()
    assert [s.name for s in captured.spans] == [f"chat {MODEL}"] * 2
    assert _sent_parent(server.requests[0]) == _traceparent(captured.spans[0])


@pytest.mark.skipif(not SDK_TRACES, reason="this anthropic emits no spans of its own")
def test_sdk_tracing_off_gives_one_span_and_no_propagation(server, captured):
    client = _client(server, open_telemetry=False)
    _create(client)
    client.close()
    [span] = captured.spans
    assert span.name == f"chat {MODEL}"
    assert "traceparent" not in server.requests[0].headers


@pytest.mark.skipif(not SDK_TRACES, reason="this anthropic emits no spans of its own")
def test_sdk_spans_come_back_after_uninstrument(server, captured):
    provider, exporter = _sdk_provider()
    client = _client(server, open_telemetry={"tracer_provider": provider})
    _create(client)
    assert exporter.get_finished_spans() == ()
    agentwrap.uninstrument()
    _create(client)
    client.close()
    assert [s.name for s in exporter.get_finished_spans()] == ["anthropic.messages.create"]


# -- install / uninstall ------------------------------------------------------------------------


def test_uninstrument_restores_every_patched_attribute(server):
    from anthropic import _base_client
    from anthropic.lib.streaming import _messages

    def originals() -> list[Any]:
        found = [vars(_base_client.SyncAPIClient)["request"], vars(_base_client.AsyncAPIClient)["request"]]
        found.append(vars(_messages.MessageStreamManager)["__exit__"])
        from anthropic import _streaming

        metas = [getattr(_streaming, name, None) for name in ("_SyncStreamMeta", "_AsyncStreamMeta")]
        found += [vars(meta)["__instancecheck__"] for meta in metas if meta is not None]  # 0.x only
        return found + ([_base_client.start_api_call_span] if SDK_TRACES else [])

    before = originals()
    agentwrap.instrument(providers=["anthropic"])
    assert "anthropic" in agentwrap.instrumented_providers()
    assert not any(now is then for now, then in zip(originals(), before, strict=True))  # proxies are ==
    agentwrap.uninstrument()
    assert all(now is then for now, then in zip(originals(), before, strict=True))


def test_missing_sdk_parts_are_skipped_with_a_debug_line(caplog):
    caplog.set_level(logging.DEBUG, logger="agentwrap")
    assert anthropic_patch.install(types.SimpleNamespace(__version__="9.0.0")) is False
    assert "has no _base_client" in caplog.text
    # A module whose stream helpers cannot be found: the request layer is still patched.
    stand_in = types.ModuleType("not_anthropic")
    stand_in._base_client = anthropic._base_client  # type: ignore[attr-defined]
    try:
        assert anthropic_patch.install(stand_in) is True
        assert "has no MessageStreamManager; skipped" in caplog.text
    finally:
        anthropic_patch.uninstall()
    assert "agentwrap" not in type(vars(anthropic._base_client.SyncAPIClient)["request"]).__module__


def test_an_unsupported_sdk_version_is_left_alone_with_one_warning(server, claude, caplog, monkeypatch):
    monkeypatch.setattr(anthropic, "__version__", "0.42.0")  # its stream helper is out of our sight
    with caplog.at_level(logging.DEBUG, logger="agentwrap"), capture() as cap:
        assert "anthropic" not in agentwrap.instrumented_providers()
        assert _create(claude).content[0].text == "ok"
    assert cap.spans == []
    [line] = [r for r in caplog.records if "not supported" in r.getMessage()]
    assert line.levelno == logging.WARNING and "0.42.0" in line.getMessage()
    assert anthropic_patch.supported("0.43.0") and anthropic_patch.supported("2.14.0rc1")
    assert not anthropic_patch.supported("0.9.1")
