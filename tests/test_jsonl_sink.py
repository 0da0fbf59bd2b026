"""The JSONL file: summaries and events are written by the sink's writer thread, never on the
calling thread, in order, and all of them by the time the telemetry shuts down."""

from __future__ import annotations

import json
import threading

import agentwrap
from agentwrap.demo import AIRLINE_SCRIPT, run_airline_agent
from agentwrap.sinks import JsonlSink


def test_emit_hands_the_line_to_the_writer_thread_in_order(tmp_path, monkeypatch):
    writers: list[str] = []
    original = JsonlSink._append

    def spy(self, text):
        writers.append(threading.current_thread().name)
        return original(self, text)

    monkeypatch.setattr(JsonlSink, "_append", spy)
    sink = JsonlSink(tmp_path / "deep" / "runs.jsonl")
    for i in range(500):
        sink.emit({"type": "event", "i": i})
    assert sink.flush(timeout=30)
    lines = (tmp_path / "deep" / "runs.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["i"] for line in lines] == list(range(500))
    assert writers and set(writers) == {"agentwrap-jsonl"}
    sink.close()
    sink.emit({"type": "event", "i": 500})  # a closed sink reopens on the next line
    sink.close()
    assert len((tmp_path / "deep" / "runs.jsonl").read_text(encoding="utf-8").splitlines()) == 501


def test_the_run_summary_is_in_the_file_once_telemetry_shuts_down(server, openai_client, tmp_path):
    path = tmp_path / "runs.jsonl"
    agentwrap.instrument(file=str(path), log_summaries=False)
    server.enqueue(*AIRLINE_SCRIPT())
    with agentwrap.run(name="airline-agent") as run:
        run_airline_agent(openai_client)
    agentwrap.uninstrument()  # shutdown: spans flushed, queued lines written, file closed
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    [summary] = [r for r in records if r["type"] == "run.summary"]
    assert summary["run_id"] == run.run_id
    assert summary["summarized_metadata"] == run.summary
    assert [r["name"] for r in records if r["type"] == "event"] == ["tool.repeated_calls"]
    assert sum(1 for r in records if r["type"] == "span") == 8  # root, 4 chats, 3 tools
