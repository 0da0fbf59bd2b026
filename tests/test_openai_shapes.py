"""Every OpenAI call shape beyond chat ``create``: parse, the stream() helper, raw responses,
embeddings; and differential tests (the same script with and without agentwrap)."""

from __future__ import annotations

import logging
from typing import Any

import openai
import pydantic
import pytest

import agentwrap
from agentwrap.testing import ErrorReply, Reply, ToolCall, Usage, capture

from ._openai_compat import HAS_RESPONSES, attrs, chat_completions_helpers, requires_responses

MESSAGES = [{"role": "user", "content": "Where is Paris?"}]
CITY_JSON = '{"name": "Paris", "country": "FR"}'


class City(pydantic.BaseModel):
    name: str
    country: str


# -- parse and the chat stream() helper ------------------------------------------------------


def test_chat_parse_is_traced_and_returns_the_parsed_model(server, openai_client, captured):
    server.enqueue(Reply(text=CITY_JSON, usage=Usage(12, 9)))
    completion = chat_completions_helpers(openai_client).parse(
        model="gpt-4o", messages=MESSAGES, response_format=City
    )
    assert completion.choices[0].message.parsed == City(name="Paris", country="FR")
    [span] = captured.spans
    found = attrs(span)
    assert span.name == "chat gpt-4o"
    assert found["gen_ai.output.type"] == "json"
    assert found["gen_ai.usage.output_tokens"] == 9
    assert found["gen_ai.response.id"] == completion.id


async def test_async_chat_parse(server, async_openai_client, captured):
    server.enqueue(Reply(text=CITY_JSON))
    completion = await chat_completions_helpers(async_openai_client).parse(
        model="m", messages=MESSAGES, response_format=City
    )
    assert completion.choices[0].message.parsed.name == "Paris"
    assert len(captured.spans) == 1


def test_chat_stream_helper_events_and_final_completion(server, openai_client, captured):
    server.enqueue(Reply(text="Paris is in France", usage=Usage(6, 4)))
    helpers = chat_completions_helpers(openai_client)
    with helpers.stream(model="m", messages=MESSAGES, stream_options={"include_usage": True}) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_completion()
    assert "content.delta" in kinds and "content.done" in kinds
    assert final.choices[0].message.content == "Paris is in France"
    [span] = captured.spans
    found = attrs(span)
    assert found["gen_ai.response.id"] == final.id
    assert found["gen_ai.usage.output_tokens"] == 4
    assert found["agentwrap.stream.completed"] is True


async def test_async_chat_stream_helper_parses_and_collects_tool_calls(server, async_openai_client, captured):
    server.enqueue(Reply(tool_calls=[ToolCall("lookup", {"q": "x"}, id="c1")]))
    schema = {
        "type": "object",
        "properties": {"q": {"type": "string"}},
        "required": ["q"],
        "additionalProperties": False,
    }
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": schema, "strict": True}}]
    async with chat_completions_helpers(async_openai_client).stream(
        model="m", messages=MESSAGES, tools=tools
    ) as stream:
        final = await stream.get_final_completion()
    assert final.choices[0].message.tool_calls[0].function.name == "lookup"
    [span] = captured.spans
    assert attrs(span)["gen_ai.response.finish_reasons"] == ("tool_calls",)
    assert attrs(span)["agentwrap.usage.estimated"] is True  # no usage chunk was asked for


# -- raw responses ---------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
def test_with_raw_response(server, openai_client, captured, stream):
    server.enqueue(Reply(text="raw text", usage=Usage(3, 2)))
    kwargs = {"stream": True, "stream_options": {"include_usage": True}} if stream else {}
    raw = openai_client.chat.completions.with_raw_response.create(model="m", messages=MESSAGES, **kwargs)
    assert raw.http_request.url.path.endswith("/chat/completions")
    parsed = raw.parse()
    if stream:
        assert isinstance(parsed, openai.Stream)
        assert raw.parse() is parsed
        text = "".join(c.choices[0].delta.content or "" for c in parsed if c.choices)
    else:
        assert raw.parse() is parsed
        text = parsed.choices[0].message.content
    assert text == "raw text"
    [span] = captured.spans
    assert attrs(span)["gen_ai.usage.output_tokens"] == 2


@pytest.mark.parametrize("stream", [False, True])
async def test_async_with_raw_response(server, async_openai_client, captured, stream):
    server.enqueue(Reply(text="raw text", usage=Usage(3, 2)))
    kwargs = {"stream": True, "stream_options": {"include_usage": True}} if stream else {}
    raw = await async_openai_client.chat.completions.with_raw_response.create(
        model="m", messages=MESSAGES, **kwargs
    )
    parsed = raw.parse()
    if stream:
        assert isinstance(parsed, openai.AsyncStream)
        text = "".join([c.choices[0].delta.content or "" async for c in parsed if c.choices])
    else:
        text = parsed.choices[0].message.content
    assert text == "raw text"
    assert attrs(captured.spans[0])["gen_ai.usage.output_tokens"] == 2


def test_with_streaming_response_not_streamed(server, openai_client, captured):
    server.enqueue(Reply(text="body", usage=Usage(3, 1)))
    with openai_client.chat.completions.with_streaming_response.create(
        model="m", messages=MESSAGES
    ) as response:
        assert response.headers["content-type"].startswith("application/json")
        completion = response.parse()
    assert completion.choices[0].message.content == "body"
    assert attrs(captured.spans[0])["gen_ai.usage.output_tokens"] == 1


async def test_async_with_streaming_response_not_streamed(server, async_openai_client, captured):
    server.enqueue(Reply(text="body", usage=Usage(3, 1)))
    manager = async_openai_client.chat.completions.with_streaming_response.create(
        model="m", messages=MESSAGES
    )
    async with manager as response:
        completion = await response.parse()
    assert completion.choices[0].message.content == "body"
    assert attrs(captured.spans[0])["gen_ai.usage.output_tokens"] == 1


@requires_responses
def test_responses_with_raw_response(server, openai_client, captured):
    server.enqueue(Reply(text="raw responses", usage=Usage(2, 2)))
    raw = openai_client.responses.with_raw_response.create(model="m", input="x")
    response = raw.parse()
    assert response.output_text == "raw responses"
    [span] = captured.spans
    assert attrs(span)["gen_ai.response.id"] == response.id
    assert attrs(span)["openai.api.type"] == "responses"


def test_with_streaming_response_read_without_parse_still_ends_the_span(server, openai_client, captured):
    with openai_client.chat.completions.with_streaming_response.create(
        model="m", messages=MESSAGES
    ) as response:
        lines = list(response.iter_lines())
    assert lines
    [span] = captured.spans
    assert "gen_ai.response.id" not in attrs(span)  # the body was read by the caller, not parsed


@requires_responses
async def test_async_responses_with_streaming_response_as_the_agents_sdk_uses_it(
    server, async_openai_client, captured
):
    server.enqueue(Reply(text="streamed via raw", usage=Usage(4, 3)))
    manager = async_openai_client.responses.with_streaming_response.create(model="m", input="x", stream=True)
    response = await manager.__aenter__()
    stream = await response.parse()
    assert isinstance(stream, openai.AsyncStream)
    kinds = [event.type async for event in stream]
    await manager.__aexit__(None, None, None)
    assert kinds[-1] == "response.completed"
    [span] = captured.spans
    assert attrs(span)["gen_ai.usage.output_tokens"] == 3
    assert attrs(span)["agentwrap.stream.completed"] is True


# -- embeddings ------------------------------------------------------------------------------


def test_embeddings_make_a_span_that_is_not_a_turn(server, openai_client, captured):
    server.enqueue(Reply(usage=Usage(7, 0)), Reply(text="ok"))
    with agentwrap.run() as run:
        result = openai_client.embeddings.create(
            model="text-embedding-3-small", input=["a", "b"], encoding_format="float"
        )
        openai_client.chat.completions.create(model="m", messages=MESSAGES)
    assert len(result.data) == 2
    span = captured.spans_named("embeddings")[0]
    found = attrs(span)
    assert span.name == "embeddings text-embedding-3-small"
    assert found["gen_ai.operation.name"] == "embeddings"
    assert found["gen_ai.usage.input_tokens"] == 7
    assert found["gen_ai.request.encoding_formats"] == ("float",)
    assert found["gen_ai.embeddings.dimension.count"] == len(result.data[0].embedding)
    assert "openai.api.type" not in found
    assert run.summary["total_number_of_turns"] == 1


async def test_async_embeddings_default_encoding(server, async_openai_client, captured):
    result = await async_openai_client.embeddings.create(model="e", input="hello")
    [span] = captured.spans
    assert attrs(span)["gen_ai.embeddings.dimension.count"] == len(result.data[0].embedding)
    assert attrs(span)["gen_ai.usage.input_tokens"] >= 1


# -- differential: the same script with and without agentwrap --------------------------------


def _plain(value: Any) -> Any:
    """Comparable data: models dumped, wall-clock fields dropped."""
    if isinstance(value, pydantic.BaseModel):
        value = value.model_dump(warnings=False)  # parsed models warn, with or without us
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k not in ("created", "created_at", "completed_at")}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _headers(response: Any) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.lower() != "date"}


def _chat_script(client: Any, server: Any) -> list[Any]:
    server.reset()
    out: list[Any] = []
    server.enqueue(Reply(text="one", usage=Usage(1, 1)), Reply(text="two words"), Reply(text=CITY_JSON))
    completion = client.chat.completions.create(model="m", messages=MESSAGES)
    out += [isinstance(completion, openai.types.chat.ChatCompletion), _plain(completion)]
    stream = client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    out += [isinstance(stream, openai.Stream), stream.__class__.__name__, [_plain(c) for c in stream]]
    parsed = chat_completions_helpers(client).parse(model="m", messages=MESSAGES, response_format=City)
    out += [_plain(parsed), parsed.choices[0].message.parsed]
    server.enqueue(Reply(text="helper text"), Reply(text="raw"), Reply(text="streamed raw"))
    with chat_completions_helpers(client).stream(model="m", messages=MESSAGES) as helper:
        out += [type(helper).__name__, [e.type for e in helper], _plain(helper.get_final_completion())]
    raw = client.chat.completions.with_raw_response.create(model="m", messages=MESSAGES)
    # type(raw) is the proxy's class (a wrapt limitation); isinstance and __class__ are the SDK's.
    legacy = isinstance(raw, openai._legacy_response.LegacyAPIResponse)
    out += [raw.__class__.__name__, legacy, raw.status_code, _headers(raw), _plain(raw.parse())]
    out.append(raw.parse() is raw.parse())
    with client.chat.completions.with_streaming_response.create(
        model="m", messages=MESSAGES, stream=True
    ) as r:
        out += [_headers(r), [_plain(c) for c in r.parse()]]
    server.enqueue(ErrorReply(status=400, message="bad request"))
    try:
        client.chat.completions.create(model="m", messages=MESSAGES)
    except openai.BadRequestError as exc:
        out += [type(exc).__name__, exc.status_code, exc.body, str(exc)]
    out.append(_plain(client.embeddings.create(model="e", input=["x", "y"])))
    return out


def _responses_script(client: Any, server: Any) -> list[Any]:
    server.reset()
    out: list[Any] = []
    server.enqueue(Reply(tool_calls=[ToolCall("f", {"a": 1})]), Reply(text="streamed"), Reply(text="helper"))
    response = client.responses.create(model="m", input="go")
    out += [isinstance(response, openai.types.responses.Response), _plain(response), response.output_text]
    stream = client.responses.create(model="m", input="go", stream=True)
    out += [isinstance(stream, openai.Stream), [_plain(e) for e in stream]]
    with client.responses.stream(model="m", input="go") as helper:
        out += [[e.type for e in helper], _plain(helper.get_final_response())]
    server.enqueue(Reply(text=CITY_JSON))
    parsed = client.responses.parse(model="m", input="city", text_format=City)
    out += [_plain(parsed), parsed.output_parsed]
    return out


def test_same_results_with_and_without_agentwrap(server, openai_client):
    plain = _chat_script(openai_client, server)
    with capture() as captured:
        traced = _chat_script(openai_client, server)
    assert traced == plain
    assert len(captured.spans_named("chat")) == 7 and len(captured.spans_named("embeddings")) == 1


@requires_responses
def test_same_responses_results_with_and_without_agentwrap(server, openai_client):
    plain = _responses_script(openai_client, server)
    with capture() as captured:
        traced = _responses_script(openai_client, server)
    assert traced == plain
    assert len(captured.spans_named("chat")) == 4


async def test_same_async_results_with_and_without_agentwrap(server, async_openai_client):
    async def script() -> list[Any]:
        server.reset()
        server.enqueue(Reply(text="a b c"), Reply(text="d e"))
        client = async_openai_client
        out: list[Any] = [_plain(await client.chat.completions.create(model="m", messages=MESSAGES))]
        stream = await client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
        out += [isinstance(stream, openai.AsyncStream), [_plain(c) async for c in stream]]
        async with chat_completions_helpers(client).stream(model="m", messages=MESSAGES) as helper:
            out.append(_plain(await helper.get_final_completion()))
        if HAS_RESPONSES:
            async with client.responses.stream(model="m", input="x") as responses_helper:
                out.append(_plain(await responses_helper.get_final_response()))
        return out

    plain = await script()
    with capture() as captured:
        traced = await script()
    assert traced == plain
    assert len(captured.spans_named("chat")) == (4 if HAS_RESPONSES else 3)


# -- SDK versions ----------------------------------------------------------------------------


def test_a_method_missing_in_the_sdk_is_skipped_with_one_debug_line(
    server, openai_client, caplog, monkeypatch
):
    from openai.lib.streaming.chat import ChatCompletionStream

    agentwrap.uninstrument()
    monkeypatch.delattr(ChatCompletionStream, "close")  # as if this SDK version had none
    with caplog.at_level(logging.DEBUG, logger="agentwrap"), capture() as captured:
        openai_client.chat.completions.create(model="m", messages=MESSAGES)
    skipped = [r.getMessage() for r in caplog.records if "ChatCompletionStream.close" in r.getMessage()]
    assert len(skipped) == 1 and "skipped" in skipped[0]
    assert not any(r.levelno >= logging.WARNING for r in caplog.records if r.name == "agentwrap")
    assert len(captured.spans) == 1
    assert not hasattr(ChatCompletionStream, "close")  # uninstrument put back exactly what it found


def test_an_unsupported_sdk_version_is_left_alone_with_one_warning(
    server, openai_client, caplog, monkeypatch
):
    agentwrap.uninstrument()
    monkeypatch.setattr(openai, "__version__", "1.39.0")
    with caplog.at_level(logging.DEBUG, logger="agentwrap"), capture() as captured:
        assert "openai" not in agentwrap.instrumented_providers()
        completion = openai_client.chat.completions.create(model="m", messages=MESSAGES)
    assert completion.choices[0].message.content == "ok"
    assert captured.spans == []
    [line] = [r for r in caplog.records if "not supported" in r.getMessage()]
    assert line.levelno == logging.WARNING and "1.39.0" in line.getMessage()
