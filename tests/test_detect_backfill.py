"""``agentwrap backfill``: stored history through a new detector, so first_seen is the earliest
past occurrence, not the day the detector was written."""

from __future__ import annotations

import logging

from click.testing import CliRunner

import agentwrap
from agentwrap.cli import _build_cli
from agentwrap.demo import AIRLINE_SCRIPT, run_airline_agent
from agentwrap.detect import DetectorEvent, FirstSeenStore
from agentwrap.detect.backfill import backfill, read_jsonl, runs_from_records
from agentwrap.detect.store import MemoryFirstSeenStore
from agentwrap.testing import Reply, Usage, capture


def no_flights(run):
    """Written after the incident: searches that found nothing (needs content capture)."""
    for tool in run.tool_calls:
        if tool.name == "search_flights" and tool.result == "no_flights_found":
            yield DetectorEvent("flights.none_found", {"step": tool.step}, span_id=tool.span_id)
            return


def broken(run):
    raise RuntimeError("bad detector")


def _history(server, client, path, runs=3):
    """Runs written to a JSONL file before the detector existed."""
    ids = []
    with capture(file=str(path), capture_content=True):
        for i in range(runs):
            if i == 1:
                server.enqueue(Reply(text="fine", usage=Usage(10, 2)))  # a run without the pattern
                with agentwrap.run(name="greeter") as run:
                    client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
            else:
                server.enqueue(*AIRLINE_SCRIPT())
                with agentwrap.run(name="airline-agent") as run:
                    run_airline_agent(client)
            ids.append(run)
    return ids


def test_backfill_sets_first_seen_to_the_earliest_stored_occurrence(server, openai_client, tmp_path):
    history = tmp_path / "runs.jsonl"
    store_path = tmp_path / "fs.db"
    first, _, third = _history(server, openai_client, history)
    assert FirstSeenStore(store_path).get("flights.none_found") is None

    result = CliRunner().invoke(
        _build_cli(),
        [
            "backfill",
            str(history),
            "--detector",
            "tests.test_detect_backfill:no_flights",
            "--store",
            str(store_path),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "replayed 3 run(s) through 1 detector(s)" in result.output
    assert "flights.none_found" in result.output
    seen = FirstSeenStore(store_path).get("flights.none_found")
    assert seen.first_seen_ns == first.tools[0].ended_ns  # the first search's result, in the first run
    assert seen.trace_id == first.trace_id and seen.run_id == first.run_id

    # The detector goes live: its events name the past occurrence.
    agentwrap.register_detector(no_flights, name="no_flights")
    try:
        with capture(store=str(store_path), capture_content=True) as cap:
            server.enqueue(*AIRLINE_SCRIPT())
            with agentwrap.run(name="airline-agent"):
                run_airline_agent(openai_client)
    finally:
        agentwrap.unregister_detector("no_flights")
    [event] = [e for e in cap.events if e["name"] == "flights.none_found"]
    assert event["fields"]["first_seen_unix_nano"] == first.tools[0].ended_ns
    assert event["fields"]["first_seen_trace_id"] == first.trace_id
    assert third.trace_id != first.trace_id


def test_backfill_is_idempotent_and_survives_a_raising_detector(server, openai_client, tmp_path, caplog):
    history = tmp_path / "runs.jsonl"
    _history(server, openai_client, history)
    runs = runs_from_records(read_jsonl(str(history)))
    assert [r.name for r in runs] == ["airline-agent", "greeter", "airline-agent"]
    store = MemoryFirstSeenStore()
    ticks = []
    with caplog.at_level(logging.WARNING, logger="agentwrap"):
        for _ in range(2):
            result = backfill(runs, {"no_flights": no_flights, "broken": broken}, store, on_run=ticks.append)
    assert len(ticks) == 6  # the progress hook saw every run, each time
    assert result.runs == 3 and result.failures == {"broken": 3}
    assert result.occurrences == {("flights.none_found", ""): 2}
    assert store.get("flights.none_found").first_seen_ns == result.earliest[("flights.none_found", "")]
    assert sum("broken raised RuntimeError during backfill" in r.getMessage() for r in caplog.records) == 2


def test_backfill_command_errors_and_progress(server, openai_client, tmp_path):
    history = tmp_path / "runs.jsonl"
    _history(server, openai_client, history, runs=1)
    cli = _build_cli()
    missing = CliRunner().invoke(cli, ["backfill", str(history), "--detector", "nowhere_xyz:fn"])
    assert missing.exit_code != 0 and "cannot load detector" in missing.output
    no_history = CliRunner().invoke(cli, ["backfill", "--detector", "tests.test_detect_backfill:no_flights"])
    assert no_history.exit_code != 0 and "no history" in no_history.output
    ok = CliRunner().invoke(
        cli,
        ["backfill", str(history), "--detector", "tests.test_detect_backfill:broken", "--store", "off"],
        catch_exceptions=False,
    )
    assert ok.exit_code == 0
    assert "detector tests.test_detect_backfill:broken raised on 1 run(s)" in ok.output
    assert "no occurrences found" in ok.output


def test_backfill_from_the_run_store(server, openai_client, tmp_path):
    """History imported into the run store (agentwrap import) replays the same; first_seen lives
    in the same SQLite file, beside the run tables."""
    history = tmp_path / "runs.jsonl"
    first, _, _ = _history(server, openai_client, history)
    db = tmp_path / "agentwrap.db"
    cli = _build_cli()
    imported = CliRunner().invoke(cli, ["import", str(history), "--store", str(db)], catch_exceptions=False)
    assert imported.exit_code == 0, imported.output
    result = CliRunner().invoke(
        cli,
        [
            "backfill",
            "--from-store",
            str(db),
            "--detector",
            "tests.test_detect_backfill:no_flights",
            "--store",
            str(db),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "replayed 3 run(s)" in result.output
    seen = FirstSeenStore(db).get("flights.none_found")
    assert seen.first_seen_ns == first.tools[0].ended_ns and seen.run_id == first.run_id
