"""One JSON object per line in a file: spans, events and run summaries side by side.

The one place that knows the file's format: :class:`JsonlSink` writes it, :func:`read_records`
and :func:`read_jsonl` read it back (``agentwrap view``, ``import``, ``report --from``,
``backfill``). Writes are whole lines in a single ``write`` on a file opened for appending,
so several processes can share one file without interleaving inside a line. Spans arrive from
the OTel batch processor's thread; summaries and events from the application's threads, and
a writer thread of the sink writes them (see :class:`JsonlSink`).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from agentwrap._log import log
from agentwrap.sinks._writer import BackgroundWriter

__all__ = [
    "JsonlSink",
    "JsonlSpanExporter",
    "RecordSpanExporter",
    "read_jsonl",
    "read_records",
    "span_to_record",
]


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, default=str, separators=(",", ":")) + "\n"


class JsonlSink:
    """Append records to a JSONL file (created with its parent directories).

    :meth:`emit` runs where a run closes or a warning fires, i.e. on the application's thread:
    it serializes the record there and hands the line to a :class:`BackgroundWriter`, whose
    thread appends and flushes it within milliseconds (no file I/O on the calling thread). The
    queue holds at most ``max_queue`` lines: behind a hung disk, further lines are dropped and
    counted in :attr:`dropped` rather than held in memory. :meth:`flush` waits for the lines
    handed over so far; :meth:`close` (telemetry shutdown, exit, SIGTERM) flushes first, within
    a bounded time. Spans arrive through :meth:`emit_many` from the OTel batch processor's own
    thread and are written there.
    """

    CLOSE_FLUSH_S = 0.5  # how long close() waits for queued lines (exit must not be held up)
    IDLE_EXIT_S = 5.0  # the writer thread ends after this long without lines (a later emit restarts it)
    MAX_QUEUE = 10_000  # lines waiting for the writer thread at most

    def __init__(self, path: str | os.PathLike[str], max_queue: int = MAX_QUEUE) -> None:
        self.path = os.fspath(path)
        self._lock = threading.Lock()  # the file handle
        self._file: IO[str] | None = None
        self._writer: BackgroundWriter[str] = BackgroundWriter(
            self._write_lines,
            name="agentwrap-jsonl",
            max_queue=max_queue,
            batch_size=max_queue,
            idle_exit_s=self.IDLE_EXIT_S,
        )

    @property
    def dropped(self) -> int:
        """Lines dropped because the writer thread's queue was full."""
        return self._writer.dropped

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

    def _write_lines(self, lines: list[str], final: bool) -> None:
        try:
            self._append("".join(lines))
        except OSError as exc:
            log.warning("agentwrap: could not write %d record(s) to %s: %s", len(lines), self.path, exc)

    def emit(self, record: dict[str, Any]) -> None:
        """Queue one record as a line for the writer thread (never waits on the file)."""
        self._writer.put(_line(record))

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until the lines emitted so far are in the file (False if ``timeout`` ran out)."""
        return self._writer.flush(timeout)

    def emit_many(self, records: Sequence[dict[str, Any]]) -> None:
        """Append several records with one write (from the span processor's thread)."""
        if records:
            self._append("".join(_line(r) for r in records))

    def close(self) -> None:
        """Write what is queued (waiting at most CLOSE_FLUSH_S), then close the file; a later
        emit reopens it."""
        self._writer.close(self.CLOSE_FLUSH_S)
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def read_records(
    lines: Iterable[str | bytes], on_skip: Callable[[int], None] | None = None
) -> Iterator[dict[str, Any]]:
    """The records of JSONL lines, in order.

    Blank lines and JSON values that are not objects are passed over; a line that is not JSON
    is skipped too, and ``on_skip(line_number)`` (1-based) hears of it.
    """
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line:
            continue
        try:
            record = json.loads(line)
        except ValueError:
            if on_skip is not None:
                on_skip(number)
            continue
        if isinstance(record, dict):
            yield record


def read_jsonl(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """The records of a JSONL file (lines that are not JSON objects are skipped)."""
    with open(path, encoding="utf-8") as handle:
        yield from read_records(handle)


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


class RecordSpanExporter(SpanExporter):
    """An OTel span exporter handing each batch of finished spans, as records, to a sink."""

    def __init__(self, take: Callable[[Sequence[dict[str, Any]]], None]) -> None:
        self._take = take

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Hand a batch of spans to the sink; report failure instead of raising."""
        try:
            self._take([span_to_record(s) for s in spans])
        except Exception:  # noqa: BLE001 - an exporter must not raise into the SDK
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        """The sink is closed by its owner."""


class JsonlSpanExporter(RecordSpanExporter):
    """An OTel span exporter writing finished spans to a :class:`JsonlSink` (on the exporting thread)."""

    def __init__(self, sink: JsonlSink) -> None:
        super().__init__(sink.emit_many)
