"""Bounds and heuristics are provider-neutral: the Anthropic SDK and the OpenAI Responses API
over the fake server get the same enforcement and the same warnings."""

from __future__ import annotations

import anthropic
import pytest

import agentwrap
from agentwrap.testing import Reply, ToolCall, Usage

from .conftest import API_KEY


@pytest.fixture
def claude(server):
    client = anthropic.Anthropic(base_url=server.anthropic_base_url, api_key=API_KEY, max_retries=0)
    yield client
    client.close()


def test_anthropic_enforce_sends_nothing_past_the_bound(server, claude, captured):
    server.enqueue(*[Reply(text="hi", usage=Usage(10, 2))] * 3)
    messages = [{"role": "user", "content": "hi"}]
    with agentwrap.run(max_turns=2, budget_mode="enforce") as run:
        for _ in range(2):
            claude.messages.create(model="claude-x", max_tokens=50, messages=messages)
        with pytest.raises(agentwrap.BudgetExceeded):
            claude.messages.create(model="claude-x", max_tokens=50, messages=messages)
    assert len(server.requests) == 2
    assert run.termination["termination_reason"] == "max_turns"


def test_anthropic_tool_errors_make_a_streak(server, claude, captured):
    """Anthropic's is_error flag counts as a tool error (no text heuristics needed)."""
    seats = ["1A", "1B", "1C"]
    book = [Reply(tool_calls=[ToolCall("book_seat", {"seat": s})], usage=Usage(20, 5)) for s in seats]
    server.enqueue(*book)
    server.enqueue(Reply(text="sorry", usage=Usage(30, 5)))
    messages: list[dict] = [{"role": "user", "content": "book a seat"}]
    with agentwrap.run():
        for _ in range(4):
            response = claude.messages.create(model="claude-x", max_tokens=50, messages=messages)
            uses = [b for b in response.content if b.type == "tool_use"]
            if not uses:
                break
            messages.append({"role": "assistant", "content": [u.model_dump() for u in uses]})
            messages.append(
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "tool_result",
                            "tool_use_id": u.id,
                            "content": "unavailable",
                            "is_error": True,
                        }
                        for u in uses
                    ],
                }
            )
    [streak] = [e for e in captured.events if e["name"] == "tool.error_streak"]
    assert streak["fields"]["streak"] == 3 and streak["fields"]["tool_name"] == "book_seat"


def test_responses_api_truncation_and_enforce(server, openai_client, captured):
    server.enqueue(Reply(text="cut", finish_reason="length", usage=Usage(10, 16)), Reply(text="never"))
    with agentwrap.run(max_total_tokens=20, budget_mode="enforce"):
        openai_client.responses.create(model="gpt-x", input="write a long poem", max_output_tokens=16)
        with pytest.raises(agentwrap.BudgetExceeded):
            openai_client.responses.create(model="gpt-x", input="again")
    assert len(server.requests) == 1
    names = [e["name"] for e in captured.events]
    assert "output.truncated" in names and "run.limit_reached" in names
