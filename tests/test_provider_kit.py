"""The provider kit fits an SDK of any shape: a toy SDK of its own family, patched with the kit alone.

The toy client takes keyword arguments (no request layer, no JSON body, no URL), returns a
result object or, for ``stream=True``, an iterator of chunks, as google-genai's
``generate_content`` / ``generate_content_stream`` do. Its patch is what a new provider module
would hold: an Endpoint, call hooks (EndpointCalls plus ``begin``), Patches.
"""

from __future__ import annotations

import asyncio
import types
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

import agentwrap
from agentwrap.provider import (
    Call,
    EndpointCalls,
    Exchange,
    LLMRequest,
    LLMResponse,
    Patches,
    StreamProxy,
    Usage,
    end_stream,
    in_traced_call,
    stand_in_span,
    traced_async,
    traced_sync,
)


class Refused(Exception):
    """What the toy SDK raises for a model named "refuse"."""


class ToyClient:
    def generate(self, *, model: str, prompt: str, stream: bool = False) -> Any:
        self.inside = in_traced_call(), stand_in_span()
        if model == "refuse":
            raise Refused(model)
        if stream:
            return iter([types.SimpleNamespace(text=word) for word in prompt.split()])
        return types.SimpleNamespace(text=prompt.upper(), tokens=(len(prompt), 2))


class AsyncToyClient:
    async def generate(self, *, model: str, prompt: str, stream: bool = False) -> Any:
        await asyncio.sleep(0)
        if stream:
            return _chunks(prompt)
        return types.SimpleNamespace(text=prompt.upper(), tokens=(len(prompt), 2))


async def _chunks(prompt: str) -> AsyncIterator[Any]:
    for word in prompt.split():
        yield types.SimpleNamespace(text=word)


class ToyAccumulator:
    def __init__(self) -> None:
        self.words: list[str] = []

    def add(self, chunk: Any) -> None:
        self.words.append(chunk.text)

    def response(self, completed: bool) -> LLMResponse:
        return LLMResponse(output_text=" ".join(self.words), finish_reasons=["stop"] if completed else [])


class ToyEndpoint:
    def request(self, body: dict[str, Any], stream: bool) -> LLMRequest:
        return LLMRequest(provider="toy", operation="chat", model=body["model"], stream=stream)

    def response(self, result: Any) -> LLMResponse:
        prompt_tokens, output_tokens = result.tokens
        return LLMResponse(output_text=result.text, usage=Usage(prompt_tokens, output_tokens))

    def accumulator(self, request: LLMRequest, body: dict[str, Any]) -> ToyAccumulator:
        return ToyAccumulator()


class ToyCalls(EndpointCalls):
    endpoint = ToyEndpoint()

    def begin(
        self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[LLMRequest, Exchange] | None:
        body = dict(kwargs)
        return self.endpoint.request(body, bool(kwargs.get("stream"))), (self.endpoint, body)


@pytest.fixture
def patched() -> Iterator[Patches]:
    originals = (vars(ToyClient)["generate"], vars(AsyncToyClient)["generate"])
    patches = Patches()
    patches.wrap(ToyClient, "generate", traced_sync(ToyCalls()))
    patches.wrap(AsyncToyClient, "generate", traced_async(ToyCalls()))
    yield patches
    patches.restore()
    assert (vars(ToyClient)["generate"], vars(AsyncToyClient)["generate"]) == originals
    assert all(a is b for a, b in zip(originals, (ToyClient.generate, AsyncToyClient.generate), strict=True))


def test_a_call_of_another_sdk_family_is_one_span(patched, captured):
    client = ToyClient()
    with agentwrap.run(name="toy"):
        result = client.generate(model="toy-1", prompt="hello there")
    assert result.text == "HELLO THERE"
    [span] = captured.spans_named("chat")
    assert span.name == "chat toy-1"
    assert span.attributes["gen_ai.provider.name"] == "toy"
    assert span.attributes["gen_ai.usage.input_tokens"] == 11
    assert span.attributes["gen_ai.usage.output_tokens"] == 2
    traced, stand_in = client.inside
    assert traced and stand_in.get_span_context() == span.get_span_context()
    assert not stand_in.is_recording()
    assert not in_traced_call() and stand_in_span() is None  # outside the SDK method


def test_the_sdk_exception_passes_through_as_the_same_object(patched, captured):
    client = ToyClient()
    with pytest.raises(Refused) as raised:
        client.generate(model="refuse", prompt="x")
    [span] = captured.spans_named("chat")
    assert span.attributes["error.type"] == "Refused"
    assert isinstance(raised.value, Refused) and raised.value.args == ("refuse",)


def test_a_stream_ends_its_call_once_when_drained(patched, captured):
    stream = ToyClient().generate(model="toy-1", prompt="one two three", stream=True)
    assert isinstance(stream, StreamProxy)
    assert [chunk.text for chunk in stream] == ["one", "two", "three"]
    end_stream(stream)  # already ended: nothing more
    [span] = captured.spans_named("chat")
    assert span.attributes["agentwrap.stream.completed"] is True
    assert span.attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert "gen_ai.response.time_to_first_chunk" in span.attributes


def test_end_stream_ends_a_stream_broken_off(patched, captured):
    stream = ToyClient().generate(model="toy-1", prompt="one two", stream=True)
    next(stream)
    end_stream(stream)
    end_stream(object())  # not a stream proxy: left alone
    [span] = captured.spans_named("chat")
    assert span.attributes["agentwrap.stream.completed"] is False
    assert [e.name for e in span.events] == []


async def test_async_calls_and_streams(patched, captured):
    client = AsyncToyClient()
    assert (await client.generate(model="toy-1", prompt="hi")).text == "HI"
    stream = await client.generate(model="toy-1", prompt="a b", stream=True)
    assert [chunk.text async for chunk in stream] == ["a", "b"]
    spans = captured.spans_named("chat")
    assert [s.attributes.get("agentwrap.stream.completed") for s in spans] == [None, True]


def test_a_failing_on_result_gives_back_the_sdk_result_and_ends_the_call(fail_open, captured):
    class Broken(ToyCalls):
        def on_result(self, call: Call, exchange: Exchange, result: Any, is_async: bool) -> Any:
            raise RuntimeError("a bug of ours")

    patches = Patches()
    patches.wrap(ToyClient, "generate", traced_sync(Broken()))
    try:
        result = ToyClient().generate(model="toy-1", prompt="hi")
    finally:
        patches.restore()
    assert result.text == "HI"
    [span] = captured.spans_named("chat")
    assert span.end_time is not None


def test_a_dropped_stream_without_close_ends_as_abandoned(patched, captured):
    stream = ToyClient().generate(model="toy-1", prompt="one two", stream=True)
    next(stream)
    del stream  # a plain iterator: nothing to close, the call still ends
    [span] = captured.spans_named("chat")
    assert span.attributes["agentwrap.stream.completed"] is False
    assert [e.name for e in span.events] == ["stream.abandoned"]
