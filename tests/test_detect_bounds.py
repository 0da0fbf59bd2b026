"""Layer 1: structural bounds, run.limit_reached at once, run.terminated at close, and
enforce mode refusing the call past the bound before anything is sent."""

from __future__ import annotations

import logging

import openai
import pytest

import agentwrap
import agentwrap._errors
from agentwrap._errors import AgentwrapError, DeliberateError, guarded
from agentwrap.demo import AIRLINE_SCRIPT, run_airline_agent
from agentwrap.testing import Reply, ToolCall, Usage, capture

SEED_TERMINATION_FIELDS = (
    "termination_reason",
    "steps_taken",
    "max_steps",
    "num_errors",
    "max_errors",
    "steps_pct_of_limit",
)


def _runaway(n: int = 20) -> list[Reply]:
    """A model that never stops asking for the same search."""
    search = ToolCall("search_flights", {"origin": "JFK", "dest": "LAX"})
    return [Reply(tool_calls=[search], usage=Usage(100, 10)) for _ in range(n)]


def _warnings(captured, name):
    return [e for e in captured.events if e["name"] == name]


def test_demo_run_emits_repeated_calls_at_step_3_and_run_terminated(server, openai_client, caplog):
    caplog.set_level(logging.INFO, logger="agentwrap")
    with capture(log_summaries=True) as cap:
        server.enqueue(*AIRLINE_SCRIPT())
        with agentwrap.run(name="airline-agent", release="v1.4.2") as run:
            run_airline_agent(openai_client)
    [repeated] = _warnings(cap, "tool.repeated_calls")
    fields = repeated["fields"]
    assert (fields["tool_name"], fields["repeat_count"], fields["step"]) == ("search_flights", 3, 3)
    assert fields["first_seen"].endswith("Z") and fields["first_seen_unix_nano"] <= repeated["time_unix_nano"]
    # On the third search's execute_tool span.
    third = [s for s in cap.spans_named("execute_tool")][2]
    assert repeated["span_id"] == format(third.context.span_id, "016x")
    assert [e.name for e in third.events] == ["tool.repeated_calls"]
    # run.terminated: an INFO record on the agentwrap logger with the seed's fields...
    [terminated] = [r for r in caplog.records if getattr(r, "event_name", None) == "run.terminated"]
    assert terminated.levelno == logging.INFO
    assert terminated.getMessage().startswith("run.terminated termination_reason=completed steps_taken=4 ")
    assert terminated.getMessage().endswith(f" trace_id={run.trace_id}")
    assert tuple(terminated.fields)[:6] == SEED_TERMINATION_FIELDS
    assert terminated.fields["termination_reason"] == "completed"
    assert terminated.fields["steps_taken"] == 4
    assert terminated.trace_id == run.trace_id and terminated.run_name == "airline-agent"
    # ...the same fields in the summary record (beside the seed's object) and on the root span.
    [record] = [r for r in cap.records if r["type"] == "run.summary"]
    assert record["termination"] == terminated.fields
    assert record["warnings"] == {"tool.repeated_calls": 1}
    assert tuple(record["summarized_metadata"]) == agentwrap.SUMMARY_FIELDS
    [root] = cap.spans_named("invoke_agent")
    assert root.attributes["agentwrap.run.termination.termination_reason"] == "completed"
    assert root.attributes["agentwrap.run.termination.steps_taken"] == 4


def test_enforce_stops_a_runaway_loop_before_sending_past_the_bound(server, openai_client, captured):
    server.enqueue(*_runaway())
    with pytest.raises(agentwrap.BudgetExceeded) as raised:
        with agentwrap.run(name="runaway", max_turns=3, budget_mode="enforce") as run:
            run_airline_agent(openai_client, max_steps=50)
    assert (raised.value.bound, raised.value.limit, raised.value.value) == ("max_turns", 3, 4)
    assert len(server.requests) == 3  # the fourth call never left the process
    assert len(captured.spans_named("chat")) == 3
    [limit] = _warnings(captured, "run.limit_reached")
    assert limit["fields"]["bound"] == "max_turns" and limit["fields"]["action"] == "call_refused"
    assert limit["fields"]["step"] == 4 and "first_seen" in limit["fields"]
    assert run.termination["termination_reason"] == "max_turns"
    assert run.termination["steps_taken"] == 3 and run.termination["max_steps"] == 3
    assert run.termination["steps_pct_of_limit"] == 1.0
    assert isinstance(raised.value, AgentwrapError)


def test_enforce_tokens_refuses_the_next_call(server, openai_client, captured):
    server.enqueue(*_runaway())
    with agentwrap.run(max_total_tokens=250, budget_mode="enforce") as run:
        with pytest.raises(agentwrap.BudgetExceeded) as raised:
            run_airline_agent(openai_client, max_steps=50)
        assert raised.value.bound == "max_total_tokens"
    assert len(server.requests) == 3  # 110 + 110 + 110 > 250 after the third: the fourth is refused
    [limit] = _warnings(captured, "run.limit_reached")
    assert (limit["fields"]["value"], limit["fields"]["step"]) == (330, 3)
    assert limit["fields"]["action"] == "next_call_refused"
    assert run.termination["limits_reached"] == ["max_total_tokens"]


async def test_enforce_with_the_async_client(server, async_openai_client, captured):
    server.enqueue(*_runaway())
    messages = [{"role": "user", "content": "go"}]
    with pytest.raises(agentwrap.BudgetExceeded):
        async with agentwrap.run(max_turns=2, budget_mode="enforce"):
            for _ in range(5):
                await async_openai_client.chat.completions.create(model="m", messages=messages)
    assert len(server.requests) == 2


def test_observe_mode_only_reports(server, openai_client, captured):
    server.enqueue(*_runaway(6), Reply(text="done", usage=Usage(100, 5)))
    with agentwrap.run(max_turns=3, max_tool_calls=4, max_tool_retries=2) as run:
        run_airline_agent(openai_client, max_steps=50)
    assert len(server.requests) == 7
    limits = {e["fields"]["bound"]: e["fields"] for e in _warnings(captured, "run.limit_reached")}
    assert set(limits) == {"max_turns", "max_tool_calls", "max_tool_retries"}  # once each
    assert limits["max_turns"]["step"] == 4 and limits["max_turns"]["action"] == "observed"
    assert limits["max_tool_calls"]["value"] == 5 and limits["max_tool_retries"]["value"] == 3
    assert run.termination["termination_reason"] == "completed"
    assert run.termination["steps_pct_of_limit"] == round(7 / 3, 2)


def test_errors_bound_counts_failed_calls_and_tool_errors(server, openai_client, captured):
    from agentwrap.testing import ErrorReply

    server.enqueue(ErrorReply(500), ErrorReply(500))
    with agentwrap.run(max_errors=1) as run:
        for _ in range(2):
            with pytest.raises(openai.InternalServerError):
                openai_client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    [limit] = _warnings(captured, "run.limit_reached")
    assert limit["fields"]["bound"] == "max_errors" and limit["fields"]["value"] == 2
    assert run.termination["num_errors"] == 2 and run.termination["max_errors"] == 1


def test_bounds_from_the_environment(server, openai_client, monkeypatch):
    monkeypatch.setenv("AGENTWRAP_MAX_TURNS", "2")
    monkeypatch.setenv("AGENTWRAP_BUDGET_MODE", "enforce")
    server.enqueue(*_runaway())
    with capture():
        with pytest.raises(agentwrap.BudgetExceeded):
            with agentwrap.run():
                run_airline_agent(openai_client, max_steps=50)
        assert len(server.requests) == 2
        with agentwrap.run(max_turns=4):  # a run's own bound wins over the global one
            with pytest.raises(agentwrap.BudgetExceeded):
                run_airline_agent(openai_client, max_steps=50)
    assert len(server.requests) == 6


def test_wall_time_bound(server, openai_client, captured):
    server.enqueue(Reply(text="hi"))
    with pytest.raises(agentwrap.BudgetExceeded) as raised:
        with agentwrap.run(max_wall_time=0.0, budget_mode="enforce"):
            openai_client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert raised.value.bound == "max_wall_time"
    assert server.requests == []


def test_bad_budget_mode_is_the_callers_mistake():
    with pytest.raises(ValueError, match="budget_mode"):
        agentwrap.run(budget_mode="strict")
    with pytest.raises(ValueError, match="budget_mode"):
        agentwrap.instrument(budget_mode="strict")


def test_guarded_lets_only_deliberate_errors_through(fail_open):
    def raise_(exc):
        raise exc

    budget = agentwrap.BudgetExceeded("max_turns", 1, 2)
    with pytest.raises(agentwrap.BudgetExceeded) as raised:
        guarded(raise_, budget)
    assert raised.value is budget
    with pytest.raises(DeliberateError):
        guarded(raise_, DeliberateError("on purpose"))
    # Everything else of ours, AgentwrapError included, is swallowed and logged.
    for exc in (AgentwrapError("config"), ValueError("bug"), KeyError("k"), RuntimeError("x")):
        assert guarded(raise_, exc) is None
    assert not agentwrap._errors.RAISE_INTERNAL_ERRORS


def test_budget_exceeded_is_not_swallowed_in_production_mode(server, openai_client, fail_open, captured):
    server.enqueue(*_runaway())
    with pytest.raises(agentwrap.BudgetExceeded):
        with agentwrap.run(max_turns=1, budget_mode="enforce"):
            run_airline_agent(openai_client, max_steps=5)
    assert len(server.requests) == 1


def test_enforce_refuses_a_stream_before_it_is_sent(server, openai_client, captured):
    server.enqueue(Reply(text="one"), Reply(text="two"))
    messages = [{"role": "user", "content": "x"}]
    with agentwrap.run(max_turns=1, budget_mode="enforce"):
        for _ in openai_client.chat.completions.create(model="m", messages=messages, stream=True):
            pass
        with pytest.raises(agentwrap.BudgetExceeded):
            openai_client.chat.completions.create(model="m", messages=messages, stream=True)
    assert len(server.requests) == 1
