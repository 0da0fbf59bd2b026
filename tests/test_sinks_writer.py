"""The one bounded background writer (behind the JSONL file and the run store) and the one
JSONL reader: a hung disk costs dropped lines, counted and reported, never memory or the
calling thread's time."""

from __future__ import annotations

import json
import logging
import threading
import time

from agentwrap.sinks import JsonlSink
from agentwrap.sinks._jsonl import read_jsonl, read_records
from agentwrap.sinks._writer import BackgroundWriter


def test_batches_arrive_in_order_on_the_writer_thread():
    seen: list[tuple[str, list[int], bool]] = []
    writer = BackgroundWriter(
        lambda batch, final: seen.append((threading.current_thread().name, batch, final)),
        name="agentwrap-test",
        max_queue=100,
        batch_size=7,
    )
    for i in range(50):
        assert writer.put(i)
    assert writer.flush(10)
    assert [i for _, batch, _ in seen for i in batch] == list(range(50))
    assert {name for name, _, _ in seen} == {"agentwrap-test"}
    assert all(len(batch) <= 7 for _, batch, _ in seen) and not any(final for _, _, final in seen)
    assert writer.close(5) and writer.dropped == 0


def test_a_hung_disk_drops_and_counts_instead_of_growing_memory(tmp_path, caplog):
    disk = threading.Event()
    original = JsonlSink._append

    class HungDisk(JsonlSink):
        def _append(self, text):
            disk.wait(30)
            return original(self, text)

    sink = HungDisk(tmp_path / "runs.jsonl", max_queue=5)
    started = time.perf_counter()
    for i in range(50):
        sink.emit({"type": "event", "i": i})
    assert time.perf_counter() - started < 1.0  # emit never waited on the disk
    assert 40 <= sink.dropped <= 45  # at most the queue and the batch being written are kept
    with caplog.at_level(logging.WARNING, logger="agentwrap"):
        disk.set()
        sink.close()
    lines = (tmp_path / "runs.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 50 - sink.dropped
    kept = [json.loads(line)["i"] for line in lines]
    assert kept == sorted(kept) and kept[0] == 0
    [report] = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
    assert f"agentwrap-jsonl dropped {sink.dropped} record(s)" in report


def test_close_is_bounded_when_the_write_hangs():
    release = threading.Event()
    writer = BackgroundWriter(
        lambda batch, final: release.wait(30), name="agentwrap-test", max_queue=10, batch_size=1
    )
    writer.put(1)
    writer.put(2)
    started = time.perf_counter()
    assert writer.close(0.2) is False
    assert time.perf_counter() - started < 1.0
    release.set()
    assert writer.flush(10)


def test_the_last_batches_are_final_and_the_thread_restarts_after_close():
    finals: list[bool] = []
    gate = threading.Event()

    def write(batch, final):
        gate.wait(10)
        finals.append(final)

    writer = BackgroundWriter(write, name="agentwrap-test", max_queue=10, batch_size=1)
    writer.put(1)
    writer.put(2)
    threading.Timer(0.1, gate.set).start()
    assert writer.close(10)
    assert finals[-1] is True  # written while closing: no time for retries
    writer.put(3)  # a closed writer starts again on the next item
    assert writer.flush(10) and len(finals) == 3


def test_an_idle_thread_ends_and_a_later_item_starts_another():
    names: list[int] = []
    writer = BackgroundWriter(
        lambda batch, final: names.append(threading.get_ident()),
        name="agentwrap-test",
        max_queue=10,
        batch_size=10,
        idle_exit_s=0.05,
    )
    writer.put(1)
    assert writer.flush(10)
    deadline = time.monotonic() + 10
    while writer._thread is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert writer._thread is None
    writer.put(2)
    assert writer.flush(10) and len(names) == 2


def test_without_threads_the_item_is_written_where_it_is_put(monkeypatch):
    seen: list[tuple[list[int], bool]] = []
    writer = BackgroundWriter(
        lambda batch, final: seen.append((batch, final)), name="t", max_queue=10, batch_size=10
    )

    def refuse(self):
        raise RuntimeError("can't create new thread at interpreter shutdown")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    assert writer.put(1)
    assert seen == [([1], True)]


def test_a_failing_write_is_logged_and_the_writer_goes_on(caplog):
    seen: list[int] = []

    def write(batch, final):
        if batch == [1]:
            raise OSError("disk full")
        seen.extend(batch)

    writer = BackgroundWriter(write, name="agentwrap-test", max_queue=10, batch_size=1)
    with caplog.at_level(logging.WARNING, logger="agentwrap"):
        writer.put(1)
        writer.put(2)
        assert writer.flush(10)
    assert seen == [2]
    assert any("could not write 1 record(s)" in r.getMessage() for r in caplog.records)


def test_one_reader_for_text_and_bytes(tmp_path):
    lines = ['{"type": "span", "i": 1}\n', "\n", "not json\n", "[1, 2]\n", '{"type": "event", "i": 2}\n']
    skipped: list[int] = []
    assert [r["i"] for r in read_records(lines, on_skip=skipped.append)] == [1, 2]
    assert skipped == [3]
    assert [r["i"] for r in read_records(line.encode() for line in lines)] == [1, 2]
    path = tmp_path / "runs.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    assert [r["i"] for r in read_jsonl(path)] == [1, 2]
