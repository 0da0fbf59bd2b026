"""Refusals and reasoning, through the real SDKs over real HTTP, streamed and not.

A refusal is an answer: with content capture it is a text part of ``gen_ai.output.messages``
(the conventions have no refusal part), ``agentwrap.response.refusal`` marks the span either
way, and ``response.empty`` does not fire. Reasoning (Anthropic thinking blocks, Responses
reasoning items) becomes ``reasoning`` parts, before the answer's text, with capture on only.
"""

from __future__ import annotations

import json
from typing import Any

import anthropic
import pytest

import agentwrap
from agentwrap.testing import Reply, Usage, capture

from ._openai_compat import requires_responses
from .conftest import API_KEY
from .test_gemini import make_client

REFUSAL = "I'm sorry, I can't help with that."
THINKING = "The user wants a number. Two plus two is four."
SCHEMA = {
    "type": "json_schema",
    "json_schema": {"name": "n", "schema": {"type": "object", "properties": {"n": {"type": "integer"}}}},
}
USER = [{"role": "user", "content": "2+2?"}]
STREAM = pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])


def _drain(answer: Any, stream: bool) -> None:
    if stream:
        for _ in answer:
            pass


def _chat(client: Any, stream: bool) -> None:
    answer = client.chat.completions.create(
        model="gpt-4o", messages=USER, response_format=SCHEMA, stream=stream
    )
    _drain(answer, stream)


def _responses(client: Any, stream: bool) -> None:
    _drain(client.responses.create(model="o4-mini", input="2+2?", stream=stream), stream)


def _anthropic(server: Any, stream: bool) -> None:
    with anthropic.Anthropic(base_url=server.anthropic_base_url, api_key=API_KEY, max_retries=0) as client:
        thinking = {"type": "enabled", "budget_tokens": 1024}
        answer = client.messages.create(
            model="claude-x", max_tokens=2000, messages=USER, thinking=thinking, stream=stream
        )
        _drain(answer, stream)


def _gemini(server: Any, stream: bool) -> None:
    client = make_client(server)
    if stream:
        _drain(client.models.generate_content_stream(model="gemini-2.5-flash", contents="2+2?"), True)
    else:
        client.models.generate_content(model="gemini-2.5-flash", contents="2+2?")


def _traced(server: Any, reply: Reply, call: Any, **options: Any) -> tuple[dict[str, Any], list[str]]:
    server.enqueue(reply)
    with capture(**options) as captured:
        with agentwrap.run():
            call()
    (span,) = [s for s in captured.spans if s.name.startswith(("chat", "generate_content"))]
    return dict(span.attributes or {}), [e["name"] for e in captured.events]


def _output_parts(attrs: dict[str, Any]) -> list[dict[str, Any]]:
    (message,) = json.loads(attrs["gen_ai.output.messages"])
    assert message["role"] == "assistant"
    return list(message["parts"])


# -- refusals ---------------------------------------------------------------------------------


@STREAM
@pytest.mark.parametrize("api", ["chat", pytest.param("responses", marks=requires_responses)])
def test_a_refusal_is_recorded_and_is_not_an_empty_answer(server, openai_client, api, stream):
    call = _chat if api == "chat" else _responses
    reply = Reply(refusal=REFUSAL, usage=Usage(12, 9))
    attrs, events = _traced(server, reply, lambda: call(openai_client, stream), capture_content=True)
    assert attrs["agentwrap.response.refusal"] is True
    assert _output_parts(attrs) == [{"type": "text", "content": REFUSAL}]
    assert "response.empty" not in events


@STREAM
@pytest.mark.parametrize("api", ["chat", pytest.param("responses", marks=requires_responses)])
def test_a_refusal_without_content_capture_is_marked_but_not_recorded(server, openai_client, api, stream):
    call = _chat if api == "chat" else _responses
    reply = Reply(refusal=REFUSAL, usage=Usage(12, 9))
    attrs, events = _traced(server, reply, lambda: call(openai_client, stream))
    assert attrs["agentwrap.response.refusal"] is True
    assert "gen_ai.output.messages" not in attrs
    assert REFUSAL not in json.dumps({k: str(v) for k, v in attrs.items()})
    assert "response.empty" not in events


@STREAM
def test_an_anthropic_refusal_stop_reason_is_not_an_empty_answer(server, stream):
    reply = Reply(finish_reason="content_filter", usage=Usage(12, 0))
    attrs, events = _traced(server, reply, lambda: _anthropic(server, stream))
    assert attrs["gen_ai.response.finish_reasons"] == ("refusal",)
    assert attrs["agentwrap.response.refusal"] is True
    assert "response.empty" not in events


@STREAM
def test_an_answer_with_nothing_in_it_is_still_empty(server, openai_client, stream):
    attrs, events = _traced(server, Reply(usage=Usage(12, 0)), lambda: _chat(openai_client, stream))
    assert "agentwrap.response.refusal" not in attrs
    assert "response.empty" in events


# -- reasoning --------------------------------------------------------------------------------


@STREAM
def test_anthropic_thinking_becomes_a_reasoning_part(server, stream):
    reply = Reply(text="4", reasoning=THINKING, usage=Usage(12, 30))
    attrs, _ = _traced(server, reply, lambda: _anthropic(server, stream), capture_content=True)
    assert _output_parts(attrs) == [
        {"type": "reasoning", "content": THINKING},
        {"type": "text", "content": "4"},
    ]


@requires_responses
@STREAM
def test_a_responses_reasoning_item_becomes_a_reasoning_part(server, openai_client, stream):
    reply = Reply(text="4", reasoning=THINKING, usage=Usage(12, 30))
    attrs, _ = _traced(server, reply, lambda: _responses(openai_client, stream), capture_content=True)
    assert _output_parts(attrs) == [
        {"type": "reasoning", "content": THINKING},
        {"type": "text", "content": "4"},
    ]


@STREAM
def test_gemini_thought_parts_become_a_reasoning_part(server, stream):
    reply = Reply(text="4", reasoning=THINKING, usage=Usage(12, 30))
    attrs, _ = _traced(server, reply, lambda: _gemini(server, stream), capture_content=True)
    assert _output_parts(attrs)[0] == {"type": "reasoning", "content": THINKING}
    assert _output_parts(attrs)[1:] == [{"type": "text", "content": "4"}]


@STREAM
@pytest.mark.parametrize("api", ["anthropic", "gemini", pytest.param("responses", marks=requires_responses)])
def test_reasoning_is_not_recorded_without_content_capture(server, openai_client, api, stream):
    def call() -> None:
        if api == "anthropic":
            _anthropic(server, stream)
        elif api == "gemini":
            _gemini(server, stream)
        else:
            _responses(openai_client, stream)

    attrs, events = _traced(server, Reply(text="4", reasoning=THINKING, usage=Usage(12, 30)), call)
    assert "gen_ai.output.messages" not in attrs
    assert THINKING not in json.dumps({k: str(v) for k, v in attrs.items()})
    assert "agentwrap.response.refusal" not in attrs and "response.empty" not in events
