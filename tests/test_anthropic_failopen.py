"""Fail open on every Anthropic call shape: a fault injected into agentwrap's own translators,
accumulators and hooks never reaches the caller or changes what it gets back."""

from __future__ import annotations

import inspect
import logging
from typing import Any

import anthropic
import pytest
from opentelemetry.sdk.trace import TracerProvider

import agentwrap
from agentwrap.testing import Reply, ToolCall, Usage, capture

from .conftest import API_KEY

USER = [{"role": "user", "content": "hi"}]
REPLY = Reply(text="some words here", tool_calls=[ToolCall("t", {"a": 1}, id="toolu_1")], usage=Usage(7, 3))
SDK_TRACES = "open_telemetry" in inspect.signature(anthropic.Anthropic).parameters


class Boom(Exception):
    pass


def _boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("injected fault in agentwrap")


def _dump(value: Any) -> Any:
    return value.model_dump(warnings=False) if hasattr(value, "model_dump") else value


def _every_shape(client: Any, server: Any) -> list[Any]:
    server.reset()
    server.enqueue(*[REPLY] * 9)
    kwargs: dict[str, Any] = {"model": "claude-fake-1", "max_tokens": 50, "messages": USER}
    out: list[Any] = [_dump(client.messages.create(**kwargs))]
    stream = client.messages.create(stream=True, **kwargs)
    out.append((isinstance(stream, anthropic.Stream), [_dump(e) for e in stream]))
    with client.messages.stream(**kwargs) as helper:
        out.append((list(helper.text_stream), _dump(helper.get_final_message())))
    with client.messages.stream(**kwargs) as helper:
        out.append(next(iter(helper)).type)  # broken off: the stream is closed at exit
    try:
        with client.messages.stream(**kwargs) as helper:
            next(iter(helper))
            raise Boom("the caller's own error")
    except Boom as exc:
        out.append(str(exc))
    raw = client.messages.with_raw_response.create(**kwargs)
    out.append(_dump(raw.parse()))
    with client.messages.with_streaming_response.create(stream=True, **kwargs) as response:
        out.append([_dump(e) for e in response.parse()])
    out.append(_dump(client.beta.messages.create(**kwargs)))
    with client.beta.messages.stream(**kwargs) as helper:
        out.append(_dump(helper.get_final_message()))
    return out


TARGETS = [
    "agentwrap.patches._anthropic_messages.MessagesEndpoint.request",
    "agentwrap.patches._anthropic_messages.MessagesEndpoint.response",
    "agentwrap.patches._anthropic_messages.MessagesStreamAccumulator.add",
    "agentwrap.patches._anthropic_messages.MessagesStreamAccumulator.response",
    "agentwrap.patches.anthropic._helper_raw_stream",
    pytest.param(
        "agentwrap.patches.anthropic._stand_in_span",
        marks=pytest.mark.skipif(not SDK_TRACES, reason="this anthropic emits no spans of its own"),
    ),
]


@pytest.mark.parametrize("target", TARGETS)
def test_a_fault_in_our_code_never_changes_what_the_caller_gets(
    server, fail_open, monkeypatch, caplog, target
):
    # The SDK's own tracing on where it has it, so that the hand-off runs too.
    own = {"open_telemetry": {"tracer_provider": TracerProvider()}} if SDK_TRACES else {}
    client = anthropic.Anthropic(base_url=server.anthropic_base_url, api_key=API_KEY, max_retries=0, **own)
    expected = _every_shape(client, server)
    monkeypatch.setattr(target, _boom)
    with capture() as captured, caplog.at_level(logging.WARNING, logger="agentwrap"):
        with agentwrap.run():
            got = _every_shape(client, server)
    client.close()
    assert got == expected
    places = [r.args[0] for r in caplog.records if "internal error" in r.getMessage()]
    assert places and len(places) == len(set(places))  # logged once per place, not per call
    assert captured.spans_named("invoke_agent")  # the run itself still closed normally
