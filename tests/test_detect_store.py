"""The first_seen store: the earliest sighting wins, across store instances, processes and restarts."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

import agentwrap
from agentwrap.demo import AIRLINE_SCRIPT, run_airline_agent
from agentwrap.detect.store import (
    FirstSeenStore,
    MemoryFirstSeenStore,
    default_store_path,
    iso_time,
    open_store,
)
from agentwrap.testing import capture


def test_earliest_sighting_wins_across_two_instances_on_one_file(tmp_path):
    path = tmp_path / "fs.db"
    a, b = FirstSeenStore(path), FirstSeenStore(path)
    assert a.observe("tool.repeated_calls", "", 2_000, "t2", "r2").first_seen_ns == 2_000
    seen = b.observe("tool.repeated_calls", "", 3_000, "t3", "r3")
    assert (seen.first_seen_ns, seen.trace_id, seen.run_id, seen.last_seen_ns) == (2_000, "t2", "r2", 3_000)
    assert b.observe("tool.repeated_calls", "", 1_000, "t1", "r1").trace_id == "t1"
    assert a.get("tool.repeated_calls").first_seen_ns == 1_000  # read from the file
    assert a.get("tool.repeated_calls", "other key") is None
    assert [(n, k) for n, k, _ in a.patterns()] == [("tool.repeated_calls", "")]
    journal = __import__("sqlite3").connect(path).execute("PRAGMA journal_mode").fetchone()[0]
    assert journal == "wal"


def test_observe_many_is_idempotent(tmp_path):
    store = FirstSeenStore(tmp_path / "fs.db")
    rows = [("x", "k", ns, f"t{ns}", f"r{ns}") for ns in (50, 10, 30)]
    for _ in range(2):
        assert store.observe_many(rows) == 3
    seen = store.get("x", "k")
    assert (seen.first_seen_ns, seen.trace_id, seen.last_seen_ns) == (10, "t10", 50)


def test_memory_store_behaves_the_same():
    store = MemoryFirstSeenStore()
    store.observe("x", "", 20, "t20")
    assert store.observe("x", "", 30).first_seen_ns == 20
    assert store.observe("x", "", 10, "t10").trace_id == "t10"
    assert store.get("x").last_seen_ns == 30


WRITER = textwrap.dedent(
    """
    import sys
    from agentwrap.detect.store import FirstSeenStore
    store = FirstSeenStore(sys.argv[1])
    offset = int(sys.argv[2])
    for i in range(40):
        store.observe(f"pattern.{i % 5}", "", 1_000_000 + offset * 1000 + i, f"trace-{offset}-{i}")
    """
)


def test_several_processes_write_one_file(tmp_path):
    path = str(tmp_path / "fs.db")
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, path, str(n)]) for n in (3, 1, 2)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0]
    store = FirstSeenStore(path)
    for i in range(5):
        seen = store.get(f"pattern.{i}")
        assert seen.first_seen_ns == 1_000_000 + 1000 + i and seen.trace_id == f"trace-1-{i}"
        assert seen.last_seen_ns >= 1_000_000 + 3000 + i  # each process writes a pattern once per ttl


DEMO_IN_A_PROCESS = textwrap.dedent(
    """
    import json, sys
    import openai, agentwrap
    from agentwrap.demo import AIRLINE_SCRIPT, run_airline_agent
    from agentwrap.testing import FakeLLMServer
    from agentwrap.testing import capture

    with FakeLLMServer() as server, capture(store=sys.argv[1]) as cap:
        server.enqueue(*AIRLINE_SCRIPT())
        client = openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=0)
        with agentwrap.run(name="airline-agent") as run:
            run_airline_agent(client)
        client.close()
    [event] = [e for e in cap.events if e["name"] == "tool.repeated_calls"]
    print(json.dumps({"fields": event["fields"], "trace_id": run.trace_id}))
    """
)


def test_first_seen_survives_a_restart(server, openai_client, tmp_path):
    path = str(tmp_path / "agentwrap.db")
    earlier = subprocess.run(
        [sys.executable, "-c", DEMO_IN_A_PROCESS, path],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    before = json.loads(earlier.stdout)
    assert before["fields"]["first_seen_trace_id"] == before["trace_id"]  # first ever: its own run

    with capture(store=path) as cap:  # this process never saw the pattern: it reads the file
        server.enqueue(*AIRLINE_SCRIPT())
        with agentwrap.run(name="airline-agent") as run:
            run_airline_agent(openai_client)
    [event] = [e for e in cap.events if e["name"] == "tool.repeated_calls"]
    assert event["fields"]["first_seen_unix_nano"] == before["fields"]["first_seen_unix_nano"]
    assert event["fields"]["first_seen"] == before["fields"]["first_seen"]
    assert event["fields"]["first_seen_trace_id"] == before["trace_id"] != run.trace_id
    assert event["time_unix_nano"] > event["fields"]["first_seen_unix_nano"]


def test_an_unusable_store_falls_back_to_memory(server, openai_client, tmp_path, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with capture(store=str(blocker / "agentwrap.db")) as cap:
        server.enqueue(*AIRLINE_SCRIPT())
        with agentwrap.run():
            answer = run_airline_agent(openai_client)
    assert answer.startswith("I'm sorry")
    [event] = [e for e in cap.events if e["name"] == "tool.repeated_calls"]
    assert event["fields"]["first_seen"]
    assert any("first_seen store unavailable" in r.getMessage() for r in caplog.records)


def test_store_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_store_path() == tmp_path / "data" / "agentwrap" / "agentwrap.db"
    assert isinstance(open_store("off"), MemoryFirstSeenStore)
    assert open_store(f"sqlite:///{tmp_path}/x.db").path == f"{tmp_path}/x.db"
    assert open_store(str(tmp_path / "y.db")) is open_store(str(tmp_path / "y.db"))  # one cache per file
    # A database URL is the run store's business; first_seen stays in the default file.
    assert open_store("postgresql://u@h/db").path == str(tmp_path / "data" / "agentwrap" / "agentwrap.db")
    assert iso_time(1_764_114_390_123_000_000) == "2025-11-25T23:46:30.123Z"


def test_store_from_the_environment(server, openai_client, tmp_path, monkeypatch):
    path = tmp_path / "env.db"
    monkeypatch.setenv("AGENTWRAP_STORE", str(path))
    with capture():
        server.enqueue(*AIRLINE_SCRIPT())
        with agentwrap.run():
            run_airline_agent(openai_client)
    assert FirstSeenStore(path).get("tool.repeated_calls") is not None


def test_unknown_threshold_is_the_callers_mistake():
    with pytest.raises(ValueError, match="unknown threshold"):
        agentwrap.instrument(thresholds={"repeat_calls": 2})
