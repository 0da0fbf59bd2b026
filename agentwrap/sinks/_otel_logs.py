"""Run summaries and warning events as OpenTelemetry log records (and so over OTLP).

Each record becomes one log record: the event name (``agentwrap.run.summary`` or the warning's
own name, e.g. ``tool.repeated_calls``), the record as a JSON body, flat attributes a log
backend can filter and aggregate on without parsing it, and the run's trace and span ids, so
a backend links the record to its trace. The SDK's batch processor exports in the background:
``emit`` never does I/O and an unreachable collector never reaches the app.
"""

from __future__ import annotations

import json
from typing import Any

from opentelemetry import trace
from opentelemetry._logs import LogRecord, SeverityNumber

from agentwrap import _semconv as sc
from agentwrap._otel_export import shutdown_bounded
from agentwrap._version import __version__

__all__ = ["OtelLogSink", "log_attributes"]


def log_attributes(record: dict[str, Any]) -> dict[str, Any]:
    """Flat, non-null attributes of a summary or event record (no message content)."""
    summary = record.get("summarized_metadata") or {}
    usage = record.get("usage") or {}
    pairs: list[tuple[str, Any]] = [
        (sc.AGENTWRAP_RUN_ID, record.get("run_id")),
        (sc.AGENTWRAP_RUN_NAME, record.get("run_name")),
        (sc.AGENTWRAP_RUN_RELEASE, summary.get("release_version") or record.get("release")),
    ]
    if record.get("type") == "run.summary":
        pairs += [
            (sc.GEN_AI_REQUEST_MODEL, summary.get("llm_model")),
            (sc.AGENTWRAP_PROMPT_VERSION_HASH, summary.get("hash_of_prompt")),
            (sc.AGENTWRAP_RUN_TURNS, summary.get("total_number_of_turns")),
            (sc.AGENTWRAP_RUN_TOOL_CALLS, len(summary.get("sequence_of_tool_calls") or [])),
            (sc.AGENTWRAP_RUN_SAME_TOOL_RETRIES, summary.get("number_of_same_tool_retries")),
            (sc.AGENTWRAP_RUN_OVERALL_LATENCY, summary.get("overall_latency")),
            (sc.AGENTWRAP_RUN_TOKENS, usage.get("total_tokens")),
            (sc.AGENTWRAP_RUN_WARNINGS, sum((record.get("warnings") or {}).values())),
        ]
    else:
        pairs.append((sc.AGENTWRAP_WARNING_NAME, record.get("name")))
    return {key: value for key, value in pairs if value is not None}


def _ids(record: dict[str, Any]) -> tuple[int | None, int | None]:
    trace_hex = record.get("trace_id") or (record.get("summarized_metadata") or {}).get("trace_id")
    span_hex = record.get("span_id")
    try:
        return (int(trace_hex, 16) if trace_hex else None, int(span_hex, 16) if span_hex else None)
    except ValueError:
        return None, None


class OtelLogSink:
    """Emit summaries and events on an OTel Logger (from a LoggerProvider)."""

    def __init__(self, logger_provider: Any, owned: bool = False) -> None:
        self.provider = logger_provider
        self.owned = owned
        self._logger = logger_provider.get_logger("agentwrap", __version__)

    def emit(self, record: dict[str, Any]) -> None:
        """Turn one summary or event record into a log record (spans are not logs)."""
        kind = record.get("type")
        if kind not in ("run.summary", "event"):
            return
        warning = record.get("severity") == "warning"
        name = sc.LOG_EVENT_RUN_SUMMARY if kind == "run.summary" else str(record.get("name"))
        trace_id, span_id = _ids(record)
        timestamp = record.get("end_time_unix_nano") or record.get("time_unix_nano")
        context = None
        if trace_id:
            span_context = trace.SpanContext(
                trace_id,
                span_id or 0,
                is_remote=False,
                trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED),
            )
            context = trace.set_span_in_context(trace.NonRecordingSpan(span_context))
        self._logger.emit(
            LogRecord(
                timestamp=int(timestamp) if timestamp else None,
                context=context,
                severity_text="WARN" if warning else "INFO",
                severity_number=SeverityNumber.WARN if warning else SeverityNumber.INFO,
                body=json.dumps(record, ensure_ascii=False, default=str, separators=(",", ":")),
                attributes={"event.name": name, **log_attributes(record)},
                event_name=name,
            )
        )

    def close(self) -> None:
        """Flush; shut the provider down if agentwrap built it, waiting a bounded time (a
        collector that is down must not hold up exit)."""
        if self.owned:
            shutdown_bounded(self.provider.shutdown)
        else:
            flush = getattr(self.provider, "force_flush", None)
            if callable(flush):
                flush(2000)
