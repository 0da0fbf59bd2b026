"""One JSON object per line in a file: spans, events and run summaries side by side.

Writes are whole lines in a single ``write`` on a file opened for appending, so several
processes can share one file without interleaving inside a line. Spans arrive from the OTel
batch processor's thread; summaries and events from the application's threads, and a writer
thread of the sink writes them (see :class:`JsonlSink`).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Sequence
from typing import IO, Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

__all__ = ["JsonlSink", "JsonlSpanExporter", "span_to_record"]


class JsonlSink:
    """Append records to a JSONL file (created with its parent directories).

    :meth:`emit` runs where a run closes or a warning fires, i.e. on the application's thread:
    it serializes the record there and hands the line to a writer thread, which appends and
    flushes it within milliseconds (no file I/O on the calling thread). :meth:`flush` waits for
    the lines handed over so far; :meth:`close` (telemetry shutdown, exit, SIGTERM) flushes
    first, within a bounded time. Spans arrive through :meth:`emit_many` from the OTel batch
    processor's own thread and are written there.
    """

    CLOSE_FLUSH_S = 0.5  # how long close() waits for queued lines (exit must not be held up)
    IDLE_EXIT_S = 5.0  # the writer thread ends after this long without lines (a later emit restarts it)

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._lock = threading.Lock()  # the file handle
        self._file: IO[str] | None = None
        self._queue = threading.Condition(threading.Lock())  # the lines not yet written
        self._pending: list[str] = []
        self._writing = False
        self._writer: threading.Thread | None = None

    def _handle(self) -> IO[str]:
        if self._file is None or self._file.closed:
            parent = os.path.dirname(self.path)
            if parent:
                os.makedirs(parent, exist_ok=True)
            self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - kept open
        return self._file

    def _append(self, text: str) -> None:
        with self._lock:
            handle = self._handle()
            handle.write(text)
            handle.flush()

    def emit(self, record: dict[str, Any]) -> None:
        """Queue one record as a line for the writer thread."""
        line = json.dumps(record, ensure_ascii=False, default=str, separators=(",", ":")) + "\n"
        with self._queue:
            self._pending.append(line)
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_loop, name="agentwrap-jsonl", daemon=True)
                try:
                    self._writer.start()
                except RuntimeError:  # no new threads (interpreter shutting down): write here
                    self._writer = None
                    lines, self._pending = self._pending, []
                    self._append("".join(lines))
                    return
            self._queue.notify()

    def _write_loop(self) -> None:
        while True:
            with self._queue:
                if not self._pending:
                    self._queue.wait(self.IDLE_EXIT_S)
                if not self._pending:
                    self._writer = None
                    return
                lines, self._pending = self._pending, []
                self._writing = True
            try:
                self._append("".join(lines))
            except OSError as exc:
                logging.getLogger("agentwrap").warning(
                    "agentwrap: could not write %d record(s) to %s: %s", len(lines), self.path, exc
                )
            finally:
                with self._queue:
                    self._writing = False
                    self._queue.notify_all()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until the lines emitted so far are in the file (False if ``timeout`` ran out)."""
        deadline = time.monotonic() + timeout
        with self._queue:
            while self._pending or self._writing:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._queue.notify()
                self._queue.wait(remaining)
        return True

    def emit_many(self, records: Sequence[dict[str, Any]]) -> None:
        """Append several records with one write (from the span processor's thread)."""
        if not records:
            return
        text = "".join(
            json.dumps(r, ensure_ascii=False, default=str, separators=(",", ":")) + "\n" for r in records
        )
        self._append(text)

    def close(self) -> None:
        """Write what is queued (waiting at most CLOSE_FLUSH_S), then close the file; a later
        emit reopens it."""
        self.flush(self.CLOSE_FLUSH_S)
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def _hex_span_id(span_id: int) -> str:
    return format(span_id, "016x")


def span_to_record(span: ReadableSpan) -> dict[str, Any]:
    """A finished span as a flat, JSON-ready record."""
    ctx = span.get_span_context()
    parent = span.parent
    start, end = span.start_time or 0, span.end_time or 0
    return {
        "type": "span",
        "name": span.name,
        "trace_id": format(ctx.trace_id, "032x") if ctx else None,
        "span_id": _hex_span_id(ctx.span_id) if ctx else None,
        "parent_span_id": _hex_span_id(parent.span_id) if parent else None,
        "kind": span.kind.name,
        "start_time_unix_nano": start,
        "end_time_unix_nano": end,
        "duration_s": round((end - start) / 1e9, 6),
        "status": span.status.status_code.name,
        "attributes": dict(span.attributes or {}),
        "events": [
            {"name": e.name, "time_unix_nano": e.timestamp, "attributes": dict(e.attributes or {})}
            for e in span.events
        ],
    }


class JsonlSpanExporter(SpanExporter):
    """An OTel span exporter writing finished spans to a :class:`JsonlSink`."""

    def __init__(self, sink: JsonlSink) -> None:
        self._sink = sink

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Write a batch of spans; report failure instead of raising."""
        try:
            self._sink.emit_many([span_to_record(s) for s in spans])
        except Exception:  # noqa: BLE001 - an exporter must not raise into the SDK
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        """The sink is closed by its owner."""
