"""Fail open on every OpenAI call shape: a fault injected into agentwrap's own translators,
accumulators and close hooks never reaches the caller or changes what it gets back."""

from __future__ import annotations

import logging
from typing import Any

import pytest

import agentwrap
from agentwrap.testing import Reply, ToolCall, Usage, capture

from ._openai_compat import HAS_RESPONSES, chat_completions_helpers, requires_responses

MESSAGES = [{"role": "user", "content": "hi"}]
REPLY = Reply(text="some words here", tool_calls=[ToolCall("t", {"a": 1}, id="c1")], usage=Usage(7, 3))


def _boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("injected fault in agentwrap")


def _dump(value: Any) -> Any:
    drop = {"created", "created_at", "completed_at"}
    if hasattr(value, "model_dump"):
        value = value.model_dump(warnings=False)
    if isinstance(value, dict):
        return {k: _dump(v) for k, v in value.items() if k not in drop}
    if isinstance(value, list):
        return [_dump(v) for v in value]
    return value


def _every_shape(client: Any, server: Any) -> list[Any]:
    server.reset()
    server.enqueue(*[REPLY] * 8)
    out: list[Any] = []
    with chat_completions_helpers(client).stream(model="m", messages=MESSAGES) as helper:
        out.append(_dump(helper.get_final_completion()))
    with chat_completions_helpers(client).stream(model="m", messages=MESSAGES) as helper:
        out.append(next(iter(helper)).type)  # broken off: the close hook runs at exit
    raw = client.chat.completions.with_raw_response.create(model="m", messages=MESSAGES)
    out.append(_dump(raw.parse()))
    with client.chat.completions.with_streaming_response.create(
        model="m", messages=MESSAGES, stream=True
    ) as r:
        out.append([_dump(chunk) for chunk in r.parse()])
    out.append(_dump(client.embeddings.create(model="e", input="x")))
    if HAS_RESPONSES:
        out.append(_dump(client.responses.create(model="m", input="x")))
        out.append([_dump(e) for e in client.responses.create(model="m", input="x", stream=True)])
        with client.responses.stream(model="m", input="x") as helper:
            out.append(_dump(helper.get_final_response()))
    return out


RESPONSES = "agentwrap.patches._openai_responses."
TARGETS = [
    *(
        pytest.param(RESPONSES + name, marks=requires_responses)
        for name in (
            "ResponsesEndpoint.request",
            "ResponsesEndpoint.response",
            "ResponsesStreamAccumulator.add",
            "ResponsesStreamAccumulator.response",
        )
    ),
    "agentwrap.patches._openai_embeddings.EmbeddingsEndpoint.response",
    "agentwrap.patches._openai_chat.ChatStreamAccumulator.add",
    "agentwrap.patches._closing._end_raw_stream",
    "agentwrap.patches._raw._RawState.on_parsed",
    "agentwrap.patches._raw._RawState.on_close",
]


@pytest.mark.parametrize("target", TARGETS)
def test_a_fault_in_our_code_never_changes_what_the_caller_gets(
    server, openai_client, fail_open, monkeypatch, caplog, target
):
    expected = _every_shape(openai_client, server)
    monkeypatch.setattr(target, _boom)
    with capture() as captured, caplog.at_level(logging.WARNING, logger="agentwrap"):
        with agentwrap.run():
            got = _every_shape(openai_client, server)
    assert got == expected
    places = [r.args[0] for r in caplog.records if "internal error" in r.getMessage()]
    assert places and len(places) == len(set(places))  # logged once per place, not per call
    assert captured.spans_named("invoke_agent")  # the run itself still closed normally
