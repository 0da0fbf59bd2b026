"""OpenAI chat completions, sync, async and streamed, over real HTTP to the fake server."""

from __future__ import annotations

import gc

import openai
import pytest
from opentelemetry.trace import SpanKind, StatusCode

from agentwrap.testing import ErrorReply, Reply, ToolCall, Usage

from .conftest import API_KEY

MESSAGES = [{"role": "user", "content": "Hello there"}]


def _attrs(span):
    return dict(span.attributes or {})


def test_create_makes_one_span_with_genai_attributes(server, openai_client, captured):
    server.enqueue(
        Reply(text="Hi!", usage=Usage(11, 3, cache_read_input_tokens=4), model="gpt-4o-2024-08-06")
    )

    result = openai_client.chat.completions.create(
        model="gpt-4o", messages=MESSAGES, temperature=0.2, max_tokens=50, top_p=0.9, stop=["END"], seed=7
    )

    assert result.choices[0].message.content == "Hi!"
    [span] = captured.spans
    attrs = _attrs(span)
    assert span.name == "chat gpt-4o"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.provider.name"] == "openai"
    assert attrs["gen_ai.request.model"] == "gpt-4o"
    assert attrs["gen_ai.request.temperature"] == 0.2
    assert attrs["gen_ai.request.max_tokens"] == 50
    assert attrs["gen_ai.request.top_p"] == 0.9
    assert attrs["gen_ai.request.seed"] == 7
    assert attrs["gen_ai.request.stop_sequences"] == ("END",)
    assert attrs["gen_ai.response.model"] == "gpt-4o-2024-08-06"
    assert attrs["gen_ai.response.id"] == result.id
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert attrs["gen_ai.usage.input_tokens"] == 11
    assert attrs["gen_ai.usage.output_tokens"] == 3
    assert attrs["gen_ai.usage.cache_read.input_tokens"] == 4
    assert attrs["server.address"] == "127.0.0.1"
    assert attrs["server.port"] == server.port
    assert attrs["openai.api.type"] == "chat_completions"
    assert attrs["agentwrap.prompt.hash"].startswith("sha256-") and len(attrs["agentwrap.prompt.hash"]) == 71
    assert "gen_ai.request.stream" not in attrs


def test_prompt_hash_is_stable_and_order_independent(server, openai_client, captured):
    openai_client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x", "name": "a"}])
    openai_client.chat.completions.create(model="m", messages=[{"name": "a", "content": "x", "role": "user"}])
    openai_client.chat.completions.create(model="m", messages=[{"role": "user", "content": "y", "name": "a"}])
    first, second, third = (_attrs(s)["agentwrap.prompt.hash"] for s in captured.spans_named("chat"))
    assert first == second != third


async def test_async_create(server, async_openai_client, captured):
    server.enqueue(Reply(text="async hi", usage=Usage(5, 2)))
    result = await async_openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert result.choices[0].message.content == "async hi"
    [span] = captured.spans
    assert span.name == "chat gpt-4o-mini"
    assert _attrs(span)["gen_ai.usage.output_tokens"] == 2


def test_stream_keeps_type_and_records_usage_and_ttft(server, openai_client, captured):
    server.enqueue(Reply(text="one two three four", usage=Usage(9, 4), chunk_delay=0.01))
    stream = openai_client.chat.completions.create(
        model="gpt-4o", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    assert isinstance(stream, openai.Stream)
    assert captured.spans == []  # still open while the caller reads
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == "one two three four"
    [span] = captured.spans
    attrs = _attrs(span)
    assert attrs["gen_ai.request.stream"] is True
    assert attrs["gen_ai.usage.input_tokens"] == 9
    assert attrs["gen_ai.usage.output_tokens"] == 4
    assert "agentwrap.usage.estimated" not in attrs
    assert 0 < attrs["gen_ai.response.time_to_first_chunk"] < (span.end_time - span.start_time) / 1e9
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert attrs["agentwrap.stream.completed"] is True


def test_stream_without_usage_chunk_estimates_tokens(server, openai_client, captured):
    server.enqueue(Reply(text="a reply of some length"))
    for _ in openai_client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True):
        pass
    attrs = _attrs(captured.spans[0])
    assert attrs["agentwrap.usage.estimated"] is True
    assert attrs["gen_ai.usage.output_tokens"] >= 1
    assert attrs["gen_ai.usage.input_tokens"] >= 1


def test_stream_context_manager_returns_the_proxy(server, openai_client, captured):
    server.enqueue(Reply(text="x y"))
    with openai_client.chat.completions.create(model="m", messages=MESSAGES, stream=True) as stream:
        assert isinstance(stream, openai.Stream)
        chunks = list(stream)
    assert len(chunks) >= 2
    assert len(captured.spans) == 1


def test_stream_broken_off_and_closed_ends_span_once(server, openai_client, captured):
    server.enqueue(Reply(text=" ".join(f"w{i}" for i in range(30))))
    stream = openai_client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    for i, _ in enumerate(stream):
        if i == 2:
            break
    stream.close()
    stream.close()
    [span] = captured.spans
    assert _attrs(span)["agentwrap.stream.completed"] is False
    assert span.status.status_code is StatusCode.UNSET


def test_abandoned_stream_ends_span_with_warning(server, openai_client, captured):
    server.enqueue(Reply(text="a b c d e f"))
    stream = openai_client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    next(iter(stream))
    del stream
    gc.collect()
    [span] = captured.spans
    assert [e.name for e in span.events] == ["stream.abandoned"]
    [event] = captured.events
    assert event["name"] == "stream.abandoned" and event["fields"]["chunks_received"] == 1


async def test_async_stream(server, async_openai_client, captured):
    server.enqueue(Reply(text="async streamed words", usage=Usage(3, 3)))
    stream = await async_openai_client.chat.completions.create(
        model="m", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    assert isinstance(stream, openai.AsyncStream)
    parts = [c.choices[0].delta.content async for c in stream if c.choices and c.choices[0].delta.content]
    assert "".join(parts) == "async streamed words"
    [span] = captured.spans
    assert _attrs(span)["gen_ai.usage.output_tokens"] == 3
    assert _attrs(span)["agentwrap.stream.completed"] is True


async def test_async_stream_closed_early(server, async_openai_client, captured):
    server.enqueue(Reply(text=" ".join(["w"] * 20)))
    async with await async_openai_client.chat.completions.create(
        model="m", messages=MESSAGES, stream=True
    ) as s:
        async for _ in s:
            break
    [span] = captured.spans
    assert _attrs(span)["agentwrap.stream.completed"] is False


def test_stream_tool_calls_are_assembled(server, openai_client, captured):
    server.enqueue(Reply(tool_calls=[ToolCall("lookup", {"q": "abc"}, id="call_9")]))
    stream = openai_client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    list(stream)
    attrs = _attrs(captured.spans[0])
    assert attrs["gen_ai.response.finish_reasons"] == ("tool_calls",)


class RecordingOpenAI(openai.OpenAI):
    """The real client, noting the status-error objects it creates (to check identity)."""

    made: list[BaseException]

    def _make_status_error(self, err_msg, *, body, response):  # type: ignore[override]
        error = super()._make_status_error(err_msg, body=body, response=response)
        self.made.append(error)
        return error


def test_http_500_propagates_the_same_exception_and_marks_span(server, captured):
    client = RecordingOpenAI(base_url=server.base_url, api_key=API_KEY, max_retries=0)
    client.made = []
    server.enqueue(ErrorReply(status=500, message="boom"))
    with pytest.raises(openai.InternalServerError) as info:
        client.chat.completions.create(model="m", messages=MESSAGES)
    client.close()
    assert info.value is client.made[0]
    [span] = captured.spans
    assert span.status.status_code is StatusCode.ERROR
    assert _attrs(span)["error.type"] == "InternalServerError"


def test_retries_are_inside_one_span(server, captured):
    client = openai.OpenAI(base_url=server.base_url, api_key=API_KEY, max_retries=2)
    server.enqueue(ErrorReply(status=500, headers={"retry-after-ms": "1"}), Reply(text="fine"))
    result = client.chat.completions.create(model="m", messages=MESSAGES)
    client.close()
    assert result.choices[0].message.content == "fine"
    assert len(server.requests) == 2
    [span] = captured.spans
    assert span.status.status_code is StatusCode.UNSET


def test_timeout_propagates_and_marks_span(server, captured):
    client = openai.OpenAI(base_url=server.base_url, api_key=API_KEY, max_retries=0, timeout=0.2)
    server.enqueue(Reply(text="late", delay=1.0))
    with pytest.raises(openai.APITimeoutError):
        client.chat.completions.create(model="m", messages=MESSAGES)
    client.close()
    [span] = captured.spans
    assert span.status.status_code is StatusCode.ERROR
    assert _attrs(span)["error.type"] == "APITimeoutError"


def test_server_error_mid_stream_marks_span(server, openai_client, captured):
    server.enqueue(Reply(text=" ".join(["w"] * 20), fail_after_chunks=3))
    stream = openai_client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    with pytest.raises(Exception) as info:
        list(stream)
    [span] = captured.spans
    assert span.status.status_code is StatusCode.ERROR
    assert _attrs(span)["error.type"] == type(info.value).__qualname__
    # Chunks had arrived before the connection dropped: the time to the first one is kept.
    assert 0 < _attrs(span)["gen_ai.response.time_to_first_chunk"] < (span.end_time - span.start_time) / 1e9


def test_raw_response_is_traced_and_unchanged(server, openai_client, captured):
    server.enqueue(Reply(text="raw!", usage=Usage(4, 2)))
    raw = openai_client.chat.completions.with_raw_response.create(model="m", messages=MESSAGES)
    assert raw.headers.get("content-type", "").startswith("application/json")
    completion = raw.parse()
    assert completion.choices[0].message.content == "raw!"
    assert raw.parse() is completion
    [span] = captured.spans
    assert _attrs(span)["gen_ai.usage.output_tokens"] == 2


def test_calls_outside_a_run_still_get_spans(server, openai_client, captured):
    openai_client.chat.completions.create(model="m", messages=MESSAGES)
    [span] = captured.spans
    assert span.parent is None
    assert captured.summaries == []


def test_untraced_endpoints_pass_through(server, openai_client, captured):
    # A GET the SDK makes (models.list) is not an LLM call: no span, no error.
    try:
        openai_client.models.list()
    except openai.NotFoundError:
        pass
    assert captured.spans == []
