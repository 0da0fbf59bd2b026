"""One JSON object per line in a file: spans, events and run summaries side by side.

Writes are whole lines in a single ``write`` on a file opened for appending, so several
processes can share one file without interleaving inside a line. Spans arrive from the OTel
batch processor's thread; summaries at run close.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from typing import IO, Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

__all__ = ["JsonlSink", "JsonlSpanExporter", "span_to_record"]


class JsonlSink:
    """Append records to a JSONL file (created with its parent directories)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._lock = threading.Lock()
        self._file: IO[str] | None = None

    def _handle(self) -> IO[str]:
        if self._file is None or self._file.closed:
            parent = os.path.dirname(self.path)
            if parent:
                os.makedirs(parent, exist_ok=True)
            self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - kept open
        return self._file

    def emit(self, record: dict[str, Any]) -> None:
        """Append one record as a line and flush it (a crash must not lose a summary)."""
        line = json.dumps(record, ensure_ascii=False, default=str, separators=(",", ":")) + "\n"
        with self._lock:
            handle = self._handle()
            handle.write(line)
            handle.flush()

    def emit_many(self, records: Sequence[dict[str, Any]]) -> None:
        """Append several records with one write."""
        if not records:
            return
        text = "".join(
            json.dumps(r, ensure_ascii=False, default=str, separators=(",", ":")) + "\n" for r in records
        )
        with self._lock:
            handle = self._handle()
            handle.write(text)
            handle.flush()

    def close(self) -> None:
        """Close the file; a later emit reopens it."""
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
