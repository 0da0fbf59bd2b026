"""Records -> table rows: the one place that knows how a record maps onto the store's tables.

A ``run.summary`` record becomes one ``runs`` row (the seed's figures as columns, the record
itself as JSON) and one ``run_warnings`` row per warning name; an ``event`` record becomes an
``events`` row; a ``span`` record (from ``agentwrap import``) a ``spans`` row. The report reads
only these columns, so a direct computation from the records gives the same figures.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["event_row", "latency_seconds", "run_row", "run_tokens", "span_row", "warning_rows"]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":"), sort_keys=True)


def latency_seconds(summary: dict[str, Any]) -> float:
    """The seed's ``overall_latency`` ("1.31s") as a number of seconds."""
    raw = summary.get("overall_latency")
    if isinstance(raw, (int, float)):
        return float(raw)
    try:
        return float(str(raw).strip().rstrip("s"))
    except ValueError:
        return 0.0


def run_tokens(record: dict[str, Any]) -> tuple[int, int]:
    """Input and output tokens of a run: its ``usage`` if the record has it, else the tool calls'."""
    usage = record.get("usage")
    if isinstance(usage, dict):
        return int(usage.get("input_tokens") or 0), int(usage.get("output_tokens") or 0)
    per_tool = (record.get("summarized_metadata") or {}).get("token_usage_of_each_tool_call") or {}
    prompt = sum(int(u.get("prompt_tokens") or 0) for u in per_tool.values())
    completion = sum(int(u.get("completion_tokens") or 0) for u in per_tool.values())
    return prompt, completion


def run_id_of(record: dict[str, Any]) -> str:
    """The record's run id (older records without one are keyed by their trace and start)."""
    run_id = record.get("run_id")
    if run_id:
        return str(run_id)
    summary = record.get("summarized_metadata") or {}
    return f"{summary.get('trace_id')}:{record.get('start_time_unix_nano')}"


def termination_reason(record: dict[str, Any]) -> str | None:
    """Why the run stopped, when a bound or the app said so."""
    for holder in (record, record.get("termination") or {}):
        if isinstance(holder, dict):
            reason = holder.get("termination_reason") or holder.get("reason")
            if reason:
                return str(reason)
    return None


def run_row(record: dict[str, Any]) -> tuple[Any, ...]:
    """The ``runs`` row of a ``run.summary`` record (column order of the schema)."""
    summary = record.get("summarized_metadata") or {}
    tokens_in, tokens_out = run_tokens(record)
    start = int(record.get("start_time_unix_nano") or 0)
    end = int(record.get("end_time_unix_nano") or start)
    return (
        run_id_of(record),
        summary.get("trace_id"),
        record.get("run_name"),
        summary.get("release_version"),
        summary.get("llm_model"),
        summary.get("hash_of_prompt"),
        start,
        end,
        latency_seconds(summary),
        int(summary.get("total_number_of_turns") or 0),
        len(summary.get("sequence_of_tool_calls") or []),
        int(summary.get("number_of_same_tool_retries") or 0),
        tokens_in,
        tokens_out,
        tokens_in + tokens_out,
        termination_reason(record),
        sum(int(n) for n in (record.get("warnings") or {}).values()),
        _json(record),
    )


def warning_rows(record: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The ``run_warnings`` rows of a ``run.summary`` record: (run_id, name, count)."""
    run_id = run_id_of(record)
    return [(run_id, str(name), int(count)) for name, count in (record.get("warnings") or {}).items()]


def event_row(record: dict[str, Any]) -> tuple[Any, ...]:
    """The ``events`` row of an ``event`` record; its uid makes a re-import a no-op."""
    fields = record.get("fields") or {}
    first_seen = record.get("first_seen_unix_nano") or fields.get("first_seen_unix_nano")
    text = _json(record)
    return (
        hashlib.sha256(text.encode()).hexdigest()[:32],
        record.get("run_id"),
        record.get("trace_id"),
        record.get("span_id"),
        str(record.get("name") or "?"),
        record.get("severity"),
        int(record.get("time_unix_nano") or 0),
        int(first_seen) if first_seen else None,
        record.get("release"),
        record.get("run_name"),
        text,
    )


def span_row(record: dict[str, Any]) -> tuple[Any, ...]:
    """The ``spans`` row of a ``span`` record."""
    return (
        record.get("span_id"),
        record.get("trace_id"),
        record.get("parent_span_id"),
        record.get("name"),
        int(record.get("start_time_unix_nano") or 0),
        int(record.get("end_time_unix_nano") or 0),
        record.get("status"),
        _json(record),
    )
