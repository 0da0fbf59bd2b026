"""The run store and ``agentwrap report``: figures equal a direct computation from the records,
on SQLite and on PostgreSQL; several processes write one SQLite file at once; imports."""

from __future__ import annotations

import json
import multiprocessing

import pytest
from click.testing import CliRunner

import agentwrap
from agentwrap.cli import _build_cli
from agentwrap.cli._report import Window, build_report, iso, parse_time
from agentwrap.demo import AIRLINE_SCRIPT, run_airline_agent
from agentwrap.store import PostgresStore, SqliteStore, StoreSink, open_store

from ._history import DAY, T0, direct_report, generate
from ._pg import postgres_server

FIELDS = (
    "runs",
    "latency_p50_s",
    "latency_p95_s",
    "tokens_per_run",
    "turns_per_run",
    "tool_calls_per_run",
    "same_tool_retries_per_run",
    "termination_reasons",
)


@pytest.fixture(scope="module")
def history():
    return generate(10_000)


@pytest.fixture(scope="module")
def history_file(tmp_path_factory, history):
    path = tmp_path_factory.mktemp("history") / "history.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        for record in history:
            handle.write(json.dumps(record) + "\n")
    return path


@pytest.fixture(scope="module")
def small_history_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("small") / "history.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        for record in generate(1000, seed=7):
            handle.write(json.dumps(record) + "\n")
    return path


@pytest.fixture(scope="module")
def pg_url():
    with postgres_server() as url:
        yield url


def _assert_report_equals_direct(report, expected):
    assert report["group_by"] == ["release", "model", "prompt_version"]
    got = {(g["release"], g["model"], g["prompt_version"]): g for g in report["groups"]}
    assert set(got) == set(expected)
    assert report["runs"] == sum(e["runs"] for e in expected.values())
    for key, want in expected.items():
        group = got[key]
        for field in FIELDS:
            assert group[field] == want[field], (key, field)
        assert {n: {"count": w["count"], "runs": w["runs"]} for n, w in group["warnings"].items()} == want[
            "warnings"
        ]
        assert {n: w["first_seen"] for n, w in group["warnings"].items()} == {
            n: iso(ns) for n, ns in want["first_seen_ns"].items()
        }


def _report_json(*args: str) -> dict:
    result = CliRunner().invoke(_build_cli(), ["report", "--json", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_report_on_sqlite_equals_direct_computation(tmp_path, history, history_file):
    db = str(tmp_path / "runs.db")
    result = CliRunner().invoke(
        _build_cli(), ["import", str(history_file), "--store", db], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert "imported 10000 runs" in result.output
    _assert_report_equals_direct(_report_json("--store", db), direct_report(history))
    # a time window: the second week only
    since, until = T0 + 7 * DAY, T0 + 14 * DAY
    windowed = _report_json("--store", db, "--since", str(since / 1e9), "--until", str(until / 1e9))
    _assert_report_equals_direct(windowed, direct_report(history, since, until))
    assert 0 < windowed["runs"] < 10_000


def test_report_on_postgres_equals_sqlite_and_direct(pg_url, tmp_path, history, history_file):
    result = CliRunner().invoke(
        _build_cli(), ["import", str(history_file), "--store", pg_url], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    on_pg = _report_json("--store", pg_url)
    _assert_report_equals_direct(on_pg, direct_report(history))
    on_sqlite = _report_json("--from", str(history_file))
    assert on_pg == on_sqlite
    # importing the same file again adds nothing
    CliRunner().invoke(_build_cli(), ["import", str(history_file), "--store", pg_url], catch_exceptions=False)
    with PostgresStore(pg_url) as store:
        assert store.count("runs") == 10_000
        assert store.count("events") == sum(1 for r in history if r["type"] == "event")


def test_report_table_and_grouping(small_history_file):
    history_file = small_history_file
    result = CliRunner().invoke(
        _build_cli(), ["report", "--from", str(history_file), "--by", "release"], catch_exceptions=False
    )
    assert result.exit_code == 0
    assert "1000 runs" in result.output
    for release in ("v1.4.1", "v1.4.2", "v1.5.0"):
        assert release in result.output
    assert "tool.repeated_calls" in result.output and "p95 s" in result.output
    bad = CliRunner().invoke(_build_cli(), ["report", "--from", str(history_file), "--by", "colour"])
    assert bad.exit_code == 2 and "choose from" in bad.output


def test_parse_time_forms():
    now = 2_000_000_000 * 10**9
    assert parse_time("24h", now) == now - 86_400 * 10**9
    assert parse_time("2026-10-01") == parse_time("2026-10-01T00:00:00Z")
    assert parse_time("1790000000") == 1_790_000_000 * 10**9
    assert parse_time(None) is None


def _write_runs(path: str, worker: int, runs: int) -> None:
    records = [dict(r, run_id=f"{worker}-{i}") for i, r in enumerate(generate(runs, seed=worker))]
    with SqliteStore(path) as store:
        for record in records:  # one transaction per record: many small writes interleave
            store.write([record])


def test_several_processes_write_one_sqlite_file(tmp_path):
    path = str(tmp_path / "shared.db")
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_write_runs, args=(path, w, 100)) for w in range(3)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(120)
    assert [p.exitcode for p in workers] == [0, 0, 0]
    with SqliteStore(path) as store:
        assert store.count("runs") == 300
        assert store.query("PRAGMA journal_mode")[0][0] == "wal"
        assert build_report(store, by=("release",))["runs"] == 300


def test_store_sink_fills_the_store_as_runs_close(tmp_path, server, openai_client):
    db = tmp_path / "runs.db"
    agentwrap.instrument(store=str(db), file=str(tmp_path / "runs.jsonl"), log_summaries=False)
    server.enqueue(*AIRLINE_SCRIPT())
    with agentwrap.run(name="airline-agent", release="v1.4.2") as run:
        run_airline_agent(openai_client)
    agentwrap.uninstrument()  # closes the sink: what was queued is written
    with SqliteStore(db) as store:
        [(run_id, release, turns, tools, retries, tokens)] = store.query(
            "SELECT run_id, release, turns, tool_calls, retries, total_tokens FROM runs"
        )
    assert (run_id, release, turns, tools, retries) == (run.run_id, "v1.4.2", 4, 3, 2)
    assert tokens == 120 + 150 + 180 + 210 + 15 * 3 + 18  # the whole run, final answer included
    with SqliteStore(db) as store:
        spans = store.query("SELECT name FROM spans WHERE trace_id = ?", (run.trace_id,))
    assert sorted(n for (n,) in spans) == sorted(
        ["invoke_agent airline-agent"]
        + ["chat qwen-3.5-72b-instruct"] * 4
        + ["execute_tool search_flights"] * 3
    )
    # so the dashboard draws the run's waterfall straight from the store
    out = tmp_path / "d.html"
    made = CliRunner().invoke(_build_cli(), ["dashboard", "--store", str(db), "-o", str(out)])
    assert made.exit_code == 0, made.output
    assert out.read_text(encoding="utf-8").count('class="bar span"') == 8


def test_store_path_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTWRAP_STORE", str(tmp_path / "env.db"))
    store = open_store()
    assert isinstance(store, SqliteStore) and store.path == str(tmp_path / "env.db")
    assert isinstance(open_store("postgresql://u@127.0.0.1:1/db"), PostgresStore)


def test_unreachable_database_never_blocks_or_fails_the_app(tmp_path, server, openai_client, fail_open):
    # Nothing listens on this port: every connection attempt is refused.
    sink = StoreSink(
        PostgresStore("postgresql://agentwrap@127.0.0.1:9/none", connect_timeout=1), retry_delay_s=0.01
    )
    jsonl = tmp_path / "runs.jsonl"
    agentwrap.instrument(file=str(jsonl), sinks=[sink], log_summaries=False)
    for _ in range(3):
        server.enqueue(*AIRLINE_SCRIPT())
        with agentwrap.run(name="airline-agent"):
            run_airline_agent(openai_client)
    agentwrap.uninstrument()
    with open(jsonl, encoding="utf-8") as handle:
        summaries = [r for r in map(json.loads, handle) if r["type"] == "run.summary"]
    assert len(summaries) == 3  # the local file keeps every summary
    assert sink.written == 0 and sink.failed_batches >= 1


def test_store_sink_never_waits_on_a_full_queue(tmp_path):
    class Stuck(SqliteStore):
        def write(self, records):  # a store that never answers
            import threading

            threading.Event().wait(3)
            return super().write(records)

    sink = StoreSink(Stuck(str(tmp_path / "x.db")), max_queue=5, close_timeout_s=0.1)
    for i in range(50):
        sink.emit({"type": "run.summary", "run_id": str(i), "summarized_metadata": {}})
    assert sink.dropped >= 40  # emit dropped instead of waiting
    sink.close()


def test_report_window_is_empty_before_history(small_history_file):
    data = _report_json("--from", str(small_history_file), "--until", "2000-01-01")
    assert data["runs"] == 0 and data["groups"] == []
    assert Window(1, 2).where() == ("1=1 AND start_ns >= ? AND start_ns < ?", [1, 2])


def test_first_seen_comes_from_detectors_when_they_know_better(tmp_path):
    # A detector added after an incident stamps its events with the pattern's first_seen (from
    # its own table, possibly backfilled): the report shows that, not the event's own time.
    records = generate(20, seed=3)
    summary = next(r for r in records if r["type"] == "run.summary" and r["warnings"])
    name = next(iter(summary["warnings"]))
    events = [r for r in records if r["type"] == "event"]
    earliest = min(r["time_unix_nano"] for r in events if r["name"] == name)
    stamped = dict(
        next(r for r in events if r["name"] == name), fields={"first_seen_unix_nano": earliest - DAY}
    )
    with SqliteStore(tmp_path / "s.db") as store:
        store.write([*records, stamped])
        report = build_report(store, by=("release",))
        seen = {n: w["first_seen"] for g in report["groups"] for n, w in g["warnings"].items()}
        assert seen[name] == iso(earliest - DAY)
        # the detectors' own first_seen table in the same file counts too
        store.query("CREATE TABLE first_seen (name TEXT, key TEXT, first_seen_ns INTEGER)")
        store.query("INSERT INTO first_seen VALUES (?, '', ?)", (name, earliest - 2 * DAY))
        report = build_report(store, by=("release",))
        seen = {n: w["first_seen"] for g in report["groups"] for n, w in g["warnings"].items()}
        assert seen[name] == iso(earliest - 2 * DAY)


def test_long_imports_show_a_progress_bar_on_a_terminal(small_history_file):
    import io

    from rich.console import Console

    from agentwrap.cli._data import import_file

    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100)
    with SqliteStore(":memory:") as store:
        counts = import_file(store, str(small_history_file), console)
        assert counts["runs"] == store.count("runs") == 1000
    drawn = screen.getvalue()
    assert "importing history.jsonl" in drawn and "━" in drawn  # the bar, drawn live
    quiet = io.StringIO()  # not a terminal (a pipe, a CI log): no bar at all
    with SqliteStore(":memory:") as store:
        import_file(store, str(small_history_file), Console(file=quiet, force_terminal=False))
    assert quiet.getvalue() == ""
