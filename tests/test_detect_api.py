"""Layer 3: user detectors (in code and by entry point), first_seen on their events, a raising
detector switched off with one log line, and the events on stdlib logging and structlog."""

from __future__ import annotations

import dataclasses
import io
import json
import logging

import pytest
import structlog

import agentwrap
from agentwrap.demo import AIRLINE_SCRIPT, run_airline_agent
from agentwrap.detect import DetectorEvent, RunRecords, load_entry_point_detectors
from agentwrap.detect.backfill import read_jsonl, runs_from_records
from agentwrap.testing import Reply, ToolCall, Usage, capture


@pytest.fixture
def detectors():
    """Detectors registered by a test are removed after it."""
    names: list[str] = []

    def register(fn, name):
        agentwrap.register_detector(fn, name=name)
        names.append(name)
        return fn

    yield register
    for name in names:
        agentwrap.unregister_detector(name)


def no_flights(run: RunRecords):
    """The post-incident detector: a search that found nothing."""
    for tool in run.tool_calls:
        if tool.name == "search_flights":
            yield DetectorEvent("flights.none_found", {"step": tool.step}, span_id=tool.span_id)
            return


def test_registered_detector_event_carries_first_seen(server, openai_client, captured, detectors):
    detectors(no_flights, "no_flights")
    server.enqueue(*AIRLINE_SCRIPT())
    with agentwrap.run(name="airline-agent") as run:
        run_airline_agent(openai_client)
    [event] = [e for e in captured.events if e["name"] == "flights.none_found"]
    first_tool = run.tools[0]
    assert event["span_id"] == first_tool.span_id
    assert event["fields"]["step"] == 1 and event["fields"]["detector"] == "no_flights"
    assert event["fields"]["first_seen_unix_nano"] <= first_tool.ended_ns
    assert event["fields"]["first_seen_trace_id"]
    [record] = [r for r in captured.records if r["type"] == "run.summary"]
    assert record["warnings"] == {"tool.repeated_calls": 1, "flights.none_found": 1}
    [root] = captured.spans_named("invoke_agent")
    assert "flights.none_found" in [e.name for e in root.events]

    # A later run: the pattern was first seen in the first run, not now.
    server.enqueue(*AIRLINE_SCRIPT())
    with agentwrap.run(name="airline-agent") as later:
        run_airline_agent(openai_client)
    [again] = [
        e for e in captured.events if e["name"] == "flights.none_found" and e["run_id"] == later.run_id
    ]
    assert again["fields"]["first_seen_unix_nano"] == event["fields"]["first_seen_unix_nano"]
    assert again["fields"]["first_seen_trace_id"] == run.trace_id


def test_decorator_form_and_unregister(server, openai_client, captured):
    @agentwrap.register_detector
    def always(run):
        return [{"name": "always.fires", "fields": {"calls": len(run.llm_calls)}}]

    try:
        server.enqueue(Reply(text="hi"))
        with agentwrap.run():
            openai_client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
        [event] = [e for e in captured.events if e["name"] == "always.fires"]
        assert event["fields"]["calls"] == 1
        assert event["fields"]["detector"].endswith("always")
    finally:
        assert agentwrap.unregister_detector(always)
    assert not agentwrap.unregister_detector(always)


def test_raising_detector_is_switched_off_with_one_log_line(
    server, openai_client, captured, detectors, caplog
):
    def broken(run):
        raise ZeroDivisionError("oops")

    def junk(run):
        return [42]

    detectors(broken, "broken")
    detectors(junk, "junk")
    detectors(no_flights, "no_flights")
    server.enqueue(*AIRLINE_SCRIPT())
    with caplog.at_level(logging.WARNING, logger="agentwrap"):
        with agentwrap.run() as run:
            answer = run_airline_agent(openai_client)
    assert answer.startswith("I'm sorry")  # the app saw nothing
    lines = [r.getMessage() for r in caplog.records if "switched off" in r.getMessage()]
    assert len(lines) == 2
    assert any("broken raised ZeroDivisionError" in line for line in lines)
    assert any("junk raised TypeError" in line for line in lines)
    # The other detectors still ran, and the run closed normally.
    assert [e["name"] for e in captured.events if e.get("fields", {}).get("detector")] == [
        "flights.none_found"
    ]
    assert run.summary is not None and run.termination["termination_reason"] == "completed"


def _live_and_stored(server, openai_client, tmp_path, capture_content):
    seen: list[RunRecords] = []
    agentwrap.register_detector(lambda run: seen.append(run) or (), name="spy")
    path = tmp_path / "runs.jsonl"
    try:
        with capture(file=str(path), capture_content=capture_content):
            server.enqueue(*AIRLINE_SCRIPT())
            with agentwrap.run(name="airline-agent", release="v1"):
                run_airline_agent(openai_client)
            server.enqueue(Reply(text="", usage=Usage(5, 0)))
            with agentwrap.run(name="second"):
                openai_client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    finally:
        agentwrap.unregister_detector("spy")
    return seen, runs_from_records(read_jsonl(str(path)))


@pytest.mark.parametrize("capture_content", [False, True])
def test_backfill_rebuilds_exactly_what_the_live_detector_saw(
    server, openai_client, tmp_path, capture_content
):
    live, stored = _live_and_stored(server, openai_client, tmp_path, capture_content)
    assert len(live) == len(stored) == 2
    for a, b in zip(live, stored, strict=True):
        a_dict, b_dict = dataclasses.asdict(a), dataclasses.asdict(b)
        a_dict = json.loads(json.dumps(a_dict))  # tuples -> lists, as the file has them
        assert a_dict == json.loads(json.dumps(b_dict))
    airline = live[0]
    assert [c.step for c in airline.llm_calls] == [1, 2, 3, 4]
    assert [c.tool_call_count for c in airline.llm_calls] == [1, 1, 1, 0]
    assert [t.step for t in airline.tool_calls] == [1, 2, 3]
    assert [e["name"] for e in airline.events] == ["tool.repeated_calls"]
    assert (airline.tool_calls[0].result == "no_flights_found") is capture_content
    assert [e["name"] for e in live[1].events] == ["response.empty"]


ENTRY_MODULE = """
from agentwrap.detect import DetectorEvent

def long_runs(run):
    if len(run.llm_calls) >= 2:
        yield DetectorEvent("run.long", {"calls": len(run.llm_calls)}, key=run.name or "")
"""


def test_entry_point_detector(server, openai_client, captured, tmp_path, monkeypatch):
    (tmp_path / "acme_detectors.py").write_text(ENTRY_MODULE)
    dist = tmp_path / "acme_detectors-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-detectors\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[agentwrap.detectors]\nlong_runs = acme_detectors:long_runs\n")
    with monkeypatch.context() as patched:
        patched.syspath_prepend(str(tmp_path))
        assert "long_runs" in load_entry_point_detectors(refresh=True)
        server.enqueue(*AIRLINE_SCRIPT())
        with agentwrap.run(name="airline-agent"):
            run_airline_agent(openai_client)
    load_entry_point_detectors(refresh=True)
    assert "long_runs" not in agentwrap.detect.all_detectors()
    [event] = [e for e in captured.events if e["name"] == "run.long"]
    assert event["fields"]["calls"] == 4 and event["fields"]["detector"] == "long_runs"
    assert "first_seen" in event["fields"]


def test_broken_entry_point_is_skipped_with_a_log_line(tmp_path, monkeypatch, caplog):
    dist = tmp_path / "broken_det-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-det\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[agentwrap.detectors]\nnope = no_such_module_xyz:fn\n")
    with monkeypatch.context() as patched:
        patched.syspath_prepend(str(tmp_path))
        with caplog.at_level(logging.WARNING, logger="agentwrap"):
            found = load_entry_point_detectors(refresh=True)
    load_entry_point_detectors(refresh=True)
    assert "nope" not in found
    [line] = [r.getMessage() for r in caplog.records if "nope" in r.getMessage()]
    assert line == (
        "agentwrap: detector entry point 'nope' failed to load (No module named 'no_such_module_xyz'); "
        "skipped"
    )


def _loop(server):
    search = ToolCall("search_flights", {"origin": "JFK", "dest": "LAX"})
    server.enqueue(*[Reply(tool_calls=[search], usage=Usage(100, 10))] * 3, Reply(text="none"))


def test_events_are_structured_stdlib_log_records(server, openai_client, caplog):
    caplog.set_level(logging.INFO, logger="agentwrap")
    with capture(log_summaries=True):
        _loop(server)
        with agentwrap.run(name="airline-agent", release="v9") as run:
            run_airline_agent(openai_client)
    [record] = [r for r in caplog.records if getattr(r, "event_name", None) == "tool.repeated_calls"]
    assert record.levelno == logging.WARNING and record.name == "agentwrap"
    # The message reads on its own: the name, each field as key=value in order, the trace.
    assert list(record.fields)[:3] == ["tool_name", "repeat_count", "step"]
    fields = " ".join(f"{key}={value}" for key, value in record.fields.items())
    assert record.getMessage() == f"tool.repeated_calls {fields} trace_id={run.trace_id}"
    assert fields.startswith("tool_name=search_flights repeat_count=3 step=3 ")
    assert record.fields["repeat_count"] == 3 and record.fields["step"] == 3
    assert record.trace_id == run.trace_id and record.run_name == "airline-agent" and record.release == "v9"
    assert record.span_id == run.tools[2].span_id
    assert record.agentwrap["name"] == "tool.repeated_calls"


def test_events_render_through_structlog(server, openai_client):
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.JSONRenderer(),
            ],
            foreign_pre_chain=[
                structlog.stdlib.add_log_level,
                structlog.stdlib.ExtraAdder(
                    allow=["event_name", "fields", "trace_id", "span_id", "run_name", "release"]
                ),
            ],
        )
    )
    logger = logging.getLogger("agentwrap")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    try:
        with capture(log_summaries=True):
            _loop(server)
            with agentwrap.run(name="airline-agent") as run:
                run_airline_agent(openai_client)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    [repeated] = [line for line in lines if line["event_name"] == "tool.repeated_calls"]
    assert repeated["event"].startswith("tool.repeated_calls tool_name=search_flights repeat_count=3 step=3 ")
    assert repeated["event"].endswith(f" trace_id={run.trace_id}")
    assert repeated["level"] == "warning"
    assert repeated["fields"]["tool_name"] == "search_flights" and repeated["fields"]["repeat_count"] == 3
    assert repeated["trace_id"] == run.trace_id and repeated["run_name"] == "airline-agent"
    [terminated] = [line for line in lines if line["event_name"] == "run.terminated"]
    assert terminated["event"].startswith("run.terminated termination_reason=completed ")
    assert terminated["level"] == "info" and terminated["fields"]["termination_reason"] == "completed"
