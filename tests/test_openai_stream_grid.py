"""Every OpenAI stream shape x every way a stream can end, sync and async.

Kinds: ``create(stream=True)`` on Chat Completions and Responses, the ``stream()`` helpers
of both (which close the HTTP response behind the stream's back), and
``with_streaming_response.create(stream=True)``. Endings: drained; broken off and closed;
an error raised inside ``with``; the server dropping the connection mid-stream; abandoned and
garbage-collected. Each case asserts one span, ended once, with the right status, and that
the caller's OTel context is the same object after every read.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import pytest
from opentelemetry import context, trace
from opentelemetry.trace import StatusCode

from agentwrap.testing import Reply, Usage

from ._openai_compat import HAS_RESPONSES, attrs, chat_completions_helpers, double_end_warnings

KINDS = ["chat", "chat_helper", "responses", "responses_helper", "streaming_response"]
SCENARIOS = ["drained", "broken_off_closed", "error_in_with", "server_error", "abandoned"]
MESSAGES = [{"role": "user", "content": "hi"}]
USAGE = {"include_usage": True}
WORDS = " ".join(f"w{i}" for i in range(12))


class Boom(Exception):
    """The caller's own error, raised inside the ``with`` block."""


def _request(kind: str, client: Any, **extra: Any) -> Any:
    if kind == "chat":
        return client.chat.completions.create(model="m", messages=MESSAGES, stream=True, stream_options=USAGE)
    if kind == "chat_helper":
        return chat_completions_helpers(client).stream(model="m", messages=MESSAGES, stream_options=USAGE)
    if kind == "responses":
        return client.responses.create(model="m", input="hi", stream=True)
    if kind == "responses_helper":
        return client.responses.stream(model="m", input="hi")
    return client.chat.completions.with_streaming_response.create(
        model="m", messages=MESSAGES, stream=True, stream_options=USAGE
    )


@contextmanager
def _open(kind: str, client: Any) -> Iterator[Any]:
    with _request(kind, client) as opened:
        yield opened.parse() if kind == "streaming_response" else opened


@asynccontextmanager
async def _aopen(kind: str, client: Any) -> AsyncIterator[Any]:
    request = _request(kind, client)
    if kind in ("chat", "responses"):
        request = await request
    async with request as opened:
        yield (await opened.parse()) if kind == "streaming_response" else opened


def _open_unmanaged(kind: str, client: Any) -> Any:
    request = _request(kind, client)
    if kind in ("chat", "responses"):
        return request
    opened = request.__enter__()
    return opened.parse() if kind == "streaming_response" else opened


async def _aopen_unmanaged(kind: str, client: Any) -> Any:
    request = _request(kind, client)
    if kind in ("chat", "responses"):
        return await request
    opened = await request.__aenter__()
    return (await opened.parse()) if kind == "streaming_response" else opened


@pytest.fixture
def caller(captured):
    """A span of the caller's own, current while the test runs."""
    tracer = trace.get_tracer("caller", tracer_provider=captured.provider)
    with tracer.start_as_current_span("caller") as span:
        yield span


def _script(server, kind: str, scenario: str) -> None:
    if kind.startswith("responses") and not HAS_RESPONSES:
        pytest.skip("the Responses API needs openai>=1.66")
    if scenario == "server_error":
        server.enqueue(Reply(text=WORDS, fail_after_chunks=3))
    else:
        server.enqueue(Reply(text=WORDS, usage=Usage(5, 12)))


def _check(captured, caplog, caller, scenario: str, error: BaseException | None) -> None:
    [span] = captured.spans_named("chat")
    assert double_end_warnings(caplog.records) == []
    assert span.parent is not None and span.parent.span_id == caller.get_span_context().span_id
    found = attrs(span)
    if scenario in ("error_in_with", "server_error"):
        assert error is not None
        assert span.status.status_code is StatusCode.ERROR
        assert found["error.type"] == type(error).__qualname__
        return
    assert span.status.status_code is StatusCode.UNSET
    assert "error.type" not in found
    assert found["agentwrap.stream.completed"] is (scenario == "drained")
    assert [e.name for e in span.events] == (["stream.abandoned"] if scenario == "abandoned" else [])
    if scenario == "drained":
        assert found["gen_ai.usage.output_tokens"] == 12
        assert "agentwrap.usage.estimated" not in found


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("kind", KINDS)
def test_sync_stream(kind, scenario, server, openai_client, captured, caplog, caller):
    _script(server, kind, scenario)
    before = context.get_current()
    error: BaseException | None = None
    if scenario == "drained":
        with _open(kind, openai_client) as stream:
            for _ in stream:
                assert context.get_current() is before
    elif scenario == "broken_off_closed":
        with _open(kind, openai_client) as stream:
            for i, _ in enumerate(stream):
                assert context.get_current() is before
                if i == 2:
                    break
            stream.close()
            assert len(captured.spans_named("chat")) == 1  # ended by close(), not by the exit
    elif scenario == "error_in_with":
        with pytest.raises(Boom) as info:
            with _open(kind, openai_client) as stream:
                next(iter(stream))
                assert context.get_current() is before
                raise Boom()
        error = info.value
    elif scenario == "server_error":
        with pytest.raises(Exception) as caught:
            with _open(kind, openai_client) as stream:
                for _ in stream:
                    assert context.get_current() is before
        error = caught.value
    else:
        stream = _open_unmanaged(kind, openai_client)
        next(iter(stream))
        assert context.get_current() is before
        assert captured.spans_named("chat") == []
        del stream
        gc.collect()
    assert context.get_current() is before
    _check(captured, caplog, caller, scenario, error)


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("kind", KINDS)
async def test_async_stream(kind, scenario, server, async_openai_client, captured, caplog, caller):
    _script(server, kind, scenario)
    client = async_openai_client
    before = context.get_current()
    error: BaseException | None = None
    if scenario == "drained":
        async with _aopen(kind, client) as stream:
            async for _ in stream:
                assert context.get_current() is before
    elif scenario == "broken_off_closed":
        async with _aopen(kind, client) as stream:
            count = 0
            async for _ in stream:
                assert context.get_current() is before
                count += 1
                if count == 3:
                    break
            await stream.close()
            assert len(captured.spans_named("chat")) == 1
    elif scenario == "error_in_with":
        with pytest.raises(Boom) as info:
            async with _aopen(kind, client) as stream:
                await stream.__anext__()
                assert context.get_current() is before
                raise Boom()
        error = info.value
    elif scenario == "server_error":
        with pytest.raises(Exception) as caught:
            async with _aopen(kind, client) as stream:
                async for _ in stream:
                    assert context.get_current() is before
        error = caught.value
    else:
        stream = await _aopen_unmanaged(kind, client)
        await stream.__anext__()
        assert context.get_current() is before
        assert captured.spans_named("chat") == []
        del stream
        gc.collect()
    assert context.get_current() is before
    _check(captured, caplog, caller, scenario, error)
