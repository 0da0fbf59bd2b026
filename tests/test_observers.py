"""Runs own their observers: built from the Telemetry's factories, called only by the run, in
the order things happen, fail open, and dropped when the run closes."""

from __future__ import annotations

import gc
import logging
import weakref

import pytest

import agentwrap
from agentwrap._errors import DeliberateError
from agentwrap._observers import Observers, RunObserver
from agentwrap._telemetry import get_telemetry
from agentwrap.testing import Reply, ToolCall, Usage

MESSAGES = [{"role": "user", "content": "hi"}]


def _two_calls(server, client) -> None:
    server.enqueue(Reply(tool_calls=[ToolCall("lookup", {"q": 1}, id="c1")], usage=Usage(7, 3)))
    server.enqueue(Reply(text="done", usage=Usage(9, 2)))
    first = client.chat.completions.create(model="m", messages=MESSAGES)
    call = first.choices[0].message.tool_calls[0]
    answer = [{"role": "tool", "tool_call_id": call.id, "content": "found"}]
    client.chat.completions.create(
        model="m", messages=[*MESSAGES, first.choices[0].message.model_dump(exclude_none=True), *answer]
    )


class Spy(RunObserver):
    """Notes every hook it is called with."""

    def __init__(self, run):
        self.run, self.seen, self.records = run, [], []

    def before_send(self, request):
        self.seen.append(("before_send", request.model))

    def on_call_end(self, call, request, response, span):
        self.records.append(call)
        self.seen.append(("on_call_end", call.step, span.is_recording(), response is not None))

    def on_turn(self, call, tools):
        self.seen.append(("on_turn", call.step, [t.name for t in tools]))

    def on_tool_end(self, tool):
        self.seen.append(("on_tool_end", tool.name, tool.result, tool.span.is_recording()))

    def on_close(self, exc):
        self.seen.append(("on_close", exc))
        return {"spy": "was here"}


def test_the_run_calls_its_observers_in_the_order_things_happen(server, openai_client, captured):
    spies: list[Spy] = []
    get_telemetry().observers.append(lambda run: spies.append(Spy(run)) or spies[-1])
    with agentwrap.run(name="observed") as run:
        _two_calls(server, openai_client)
    [spy] = spies
    assert spy.run is run
    assert spy.seen == [
        ("before_send", "m"),
        ("on_call_end", 1, True, True),  # the call's span is still open: events land on it
        ("on_turn", 1, ["lookup"]),
        ("on_tool_end", "lookup", "found", True),  # the tool span too
        ("before_send", "m"),
        ("on_call_end", 2, True, True),
        ("on_turn", 2, []),
        ("on_close", None),
    ]
    # One record of a call: the observer saw the very objects the run keeps.
    assert spy.records == list(run.turns) and spy.records[0] is run.turns[0]
    # What on_close returns joins the built-in observers' termination fields.
    assert run.termination["spy"] == "was here"
    assert run.termination["termination_reason"] == "completed"
    [record] = [r for r in captured.records if r.get("type") == "run.summary"]
    assert record["termination"] == run.termination


def test_only_the_hooks_an_observer_has_are_called(server, openai_client, captured):
    closed = []

    class OnlyClose:  # not even a RunObserver subclass: the hooks it lacks are never called
        def on_close(self, exc):
            closed.append(exc)

    get_telemetry().observers.append(lambda run: OnlyClose())
    with agentwrap.run():
        _two_calls(server, openai_client)
    assert closed == [None]


def test_a_factory_may_leave_a_run_alone(server, openai_client, captured):
    get_telemetry().observers.append(lambda run: None if run.name == "quiet" else Spy(run))
    with agentwrap.run(name="quiet") as run:
        _two_calls(server, openai_client)
    assert "spy" not in run.termination


def test_a_failing_factory_or_hook_fails_open(server, openai_client, captured, fail_open, caplog):
    after: list[Spy] = []

    def broken_factory(run):
        raise RuntimeError("injected fault in a factory")

    class BrokenHook(RunObserver):
        def on_turn(self, call, tools):
            raise RuntimeError("injected fault in a hook")

    observers = get_telemetry().observers
    observers += [broken_factory, lambda run: BrokenHook(), lambda run: after.append(Spy(run)) or after[-1]]
    with caplog.at_level(logging.WARNING, logger="agentwrap"), agentwrap.run() as run:
        _two_calls(server, openai_client)
    # The observers after the broken ones still saw everything, and the run closed normally.
    assert [s[0] for s in after[0].seen].count("on_turn") == 2
    assert run.summary is not None and run.termination["termination_reason"] == "completed"
    internal = [r.getMessage() for r in caplog.records if "internal error" in r.getMessage()]
    assert len(internal) == 2  # once per place: the factory, and the hook (twice called)
    assert any("broken_factory" in m for m in internal) and any("BrokenHook.on_turn" in m for m in internal)


def test_a_refusal_reaches_the_caller_and_other_errors_do_not():
    class Refuse(RunObserver):
        def before_send(self, request):
            raise DeliberateError("no")

    observers = Observers([Refuse()])
    with pytest.raises(DeliberateError):
        observers.before_send(None)


def test_a_closed_run_drops_its_observers_and_is_freed_without_the_cycle_collector(
    server, openai_client, captured
):
    spies: list[weakref.ref] = []

    def factory(run):
        spy = Spy(run)
        spies.append(weakref.ref(spy))
        return spy

    get_telemetry().observers.append(factory)
    gc.disable()
    try:
        with agentwrap.run() as run:
            _two_calls(server, openai_client)
        gone = weakref.ref(run)
        del run
        assert spies[0]() is None  # the run dropped it
        assert gone() is None  # no run <-> observer cycle held the run
    finally:
        gc.enable()
