"""Named, structured events (``stream.abandoned``, ``tool.repeated_calls``, ``run.terminated``).

A warning goes three ways at once: a span event on the span where it happened, a record to the
sinks (the ``agentwrap`` logger, the JSONL file), and the run's own list, so the run summary can
count it. Field values stay plain JSON data.
"""

from __future__ import annotations

import time
from typing import Any

from opentelemetry.trace import Span

from agentwrap import _semconv as sc
from agentwrap import _tracing
from agentwrap._accumulator import RunAccumulator
from agentwrap._errors import guarded
from agentwrap._telemetry import get_telemetry
from agentwrap.sinks import LoggingSink

__all__ = ["emit_terminated", "emit_warning"]


def emit_warning(
    name: str,
    fields: dict[str, Any],
    *,
    span: Span | None = None,
    run: RunAccumulator | None = None,
    span_id: str | None = None,
) -> None:
    """Emit a warning event named ``name`` with structured ``fields``.

    ``span_id`` names the span the event is about when that span has already ended (the
    event is then added to ``span``, the run's root).
    """
    telemetry = run.telemetry if run is not None else get_telemetry()
    now = time.time_ns()
    ctx = span.get_span_context() if span is not None else None
    record = _record(name, "warning", fields, run, now)
    if ctx is not None:
        record["trace_id"] = format(ctx.trace_id, "032x")
    record["span_id"] = span_id or (format(ctx.span_id, "016x") if ctx else None)
    if run is None:
        record["release"] = telemetry.config.release
    if span is not None:
        _tracing.add_warning_event(span, name, fields, now)
    if run is not None:
        run.add_event(record)
    telemetry.emit(record)


def emit_terminated(run: RunAccumulator, fields: dict[str, Any], root_span_id: str) -> None:
    """``run.terminated``: an INFO record on the ``agentwrap`` logger, as the run closes.

    Files and other sinks get the same fields inside the run's summary record (its
    ``"termination"`` key), so a run still writes one record there, not two.
    """
    record = _record(sc.EVENT_RUN_TERMINATED, "info", fields, run, time.time_ns())
    record["span_id"] = root_span_id
    for sink in run.telemetry.sinks:
        if isinstance(sink, LoggingSink):
            guarded(sink.emit, record)


def _record(
    name: str, severity: str, fields: dict[str, Any], run: RunAccumulator | None, now: int
) -> dict[str, Any]:
    return {
        "type": "event",
        "name": name,
        "severity": severity,
        "time_unix_nano": now,
        "trace_id": run.trace_id if run is not None else None,
        "span_id": None,
        "run_id": run.run_id if run is not None else None,
        "run_name": run.name if run is not None else None,
        "release": run.release if run is not None else None,
        "fields": fields,
    }
