"""Named, structured warning events (``stream.abandoned``, ``tool.repeated_calls``, ...).

An event goes three ways at once: a span event on the span where it happened, a record to the
sinks (the ``agentwrap`` logger, the JSONL file), and the run's own list, so the run summary can
count it. Field values stay plain JSON data.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from opentelemetry.trace import Span

from agentwrap._telemetry import get_telemetry

if TYPE_CHECKING:
    from agentwrap._run import Run

__all__ = ["emit_warning"]


def _span_attribute(value: Any) -> Any:
    if isinstance(value, (str, bool, int, float)):
        return value
    return str(value)


def emit_warning(
    name: str,
    fields: dict[str, Any],
    *,
    span: Span | None = None,
    run: Run | None = None,
    severity: str = "warning",
    span_id: str | None = None,
) -> None:
    """Emit a warning event named ``name`` with structured ``fields``.

    ``severity="info"`` makes it an informational event (``run.terminated``), logged at INFO
    and not counted among the run's warnings. ``span_id`` names the span the event is about
    when that span has already ended (the event is then added to ``span``, the run's root).
    """
    telemetry = run.telemetry if run is not None else get_telemetry()
    now = time.time_ns()
    ctx = span.get_span_context() if span is not None else None
    record: dict[str, Any] = {
        "type": "event",
        "name": name,
        "severity": severity,
        "time_unix_nano": now,
        "trace_id": format(ctx.trace_id, "032x") if ctx else (run.trace_id if run else None),
        "span_id": span_id or (format(ctx.span_id, "016x") if ctx else None),
        "run_id": run.run_id if run else None,
        "run_name": run.name if run else None,
        "release": run.release if run else telemetry.config.release,
        "fields": fields,
    }
    if span is not None and span.is_recording():
        span.add_event(
            name, {k: _span_attribute(v) for k, v in fields.items() if v is not None}, timestamp=now
        )
    if run is not None:
        run.add_event(record)
    telemetry.emit(record)
