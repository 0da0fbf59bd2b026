"""first_seen without I/O on the calling thread: warnings read it from memory, a background
thread reads and writes the SQLite file (agentwrap.store._first_seen_live)."""

from __future__ import annotations

import logging
import sqlite3
import threading

import agentwrap
from agentwrap.demo import AIRLINE_SCRIPT, run_airline_agent
from agentwrap.detect.store import FirstSeenStore
from agentwrap.store import _first_seen_live as _live
from agentwrap.testing import capture


def _demo(server, openai_client, path):
    with capture(store=path) as cap:
        server.enqueue(*AIRLINE_SCRIPT())
        with agentwrap.run(name="airline-agent") as run:
            run_airline_agent(openai_client)
    return cap, run


def test_the_file_is_only_touched_by_the_background_thread(server, openai_client, tmp_path, monkeypatch):
    touched: list[str] = []
    for method in ("observe", "observe_many", "patterns", "get"):
        original = getattr(FirstSeenStore, method)

        def spy(self, *args, _original=original, **kwargs):
            touched.append(threading.current_thread().name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(FirstSeenStore, method, spy)
    path = str(tmp_path / "fs.db")
    FirstSeenStore(path).observe("tool.repeated_calls", "", 1_000, "t-before", "r-before")  # a past run
    touched.clear()
    cap, _ = _demo(server, openai_client, path)
    [event] = [e for e in cap.events if e["name"] == "tool.repeated_calls"]
    assert event["fields"]["first_seen_unix_nano"] == 1_000  # read from the file, in the background
    assert event["fields"]["first_seen_trace_id"] == "t-before"
    assert touched and set(touched) == {"agentwrap-first-seen"}


def test_a_locked_file_never_holds_up_the_calls(server, openai_client, tmp_path, caplog):
    path = str(tmp_path / "fs.db")
    FirstSeenStore(path).observe("some.other.pattern", "", 5, "t", "r")  # the file exists
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process writing for a long time
    try:
        with caplog.at_level(logging.WARNING, logger="agentwrap"):
            cap, run = _demo(server, openai_client, path)
        # The run went through with its warning and its first_seen while the file was locked;
        # a calling-thread transaction would have waited out the busy timeout and given up.
        [event] = [e for e in cap.events if e["name"] == "tool.repeated_calls"]
        assert event["fields"]["first_seen_trace_id"] == run.trace_id
        assert not [r for r in caplog.records if "first_seen store unavailable" in r.getMessage()]
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert _live.live_first_seen(path).flush(timeout=30)  # written once the lock is gone
    stored = FirstSeenStore(path).get("tool.repeated_calls")
    assert stored is not None and stored.trace_id == run.trace_id


def test_sightings_are_written_before_the_telemetry_shuts_down(server, openai_client, tmp_path):
    path = str(tmp_path / "fs.db")
    _, run = _demo(server, openai_client, path)  # capture() ends with uninstrument(): a shutdown
    stored = FirstSeenStore(path).get("tool.repeated_calls")
    assert stored is not None and stored.trace_id == run.trace_id
