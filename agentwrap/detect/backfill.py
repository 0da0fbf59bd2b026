"""``agentwrap backfill``: replay stored run history through detectors to date ``first_seen``.

A detector written after an incident only sees runs from then on; its events would claim the
pattern started the day the detector shipped (the gap the seed document names). Backfill
rebuilds each stored run's :class:`~agentwrap.detect.api.RunRecords` from the JSONL file (or
the run store) exactly as the live run presented them, runs the detectors over them, and
records every occurrence in the ``first_seen`` store, whose upsert keeps the earliest. Live
events then carry the first *past* occurrence. Re-running a backfill is harmless.

The command line over it (progress bar, table) is :mod:`agentwrap.cli._backfill`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from agentwrap import _semconv as sc
from agentwrap._log import log
from agentwrap.detect.api import (
    Detector,
    LLMCallRecord,
    RunRecords,
    ToolCallRecord,
    as_event,
    occurrence_time,
)
from agentwrap.sinks._jsonl import read_jsonl
from agentwrap.store._first_seen import AnyStore, Observation

__all__ = [
    "BackfillResult",
    "backfill",
    "load_detector",
    "read_jsonl",
    "records_from_store",
    "runs_from_records",
]


_NOT_CALLS = (sc.OP_EXECUTE_TOOL, sc.OP_INVOKE_AGENT, sc.OP_EMBEDDINGS)


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _call_record(span: dict[str, Any], step: int, tool_starts: list[int]) -> LLMCallRecord:
    attrs = span.get("attributes") or {}
    end = int(span.get("end_time_unix_nano") or 0)
    return LLMCallRecord(
        span_id=str(span.get("span_id")),
        step=step,
        model=attrs.get(sc.GEN_AI_RESPONSE_MODEL) or attrs.get(sc.GEN_AI_REQUEST_MODEL),
        start_ns=int(span.get("start_time_unix_nano") or 0),
        end_ns=end,
        input_tokens=_int(attrs.get(sc.GEN_AI_USAGE_INPUT_TOKENS)),
        output_tokens=_int(attrs.get(sc.GEN_AI_USAGE_OUTPUT_TOKENS)),
        finish_reasons=tuple(attrs.get(sc.GEN_AI_RESPONSE_FINISH_REASONS) or ()),
        error_type=attrs.get(sc.ERROR_TYPE),
        input_hash=attrs.get(sc.AGENTWRAP_PROMPT_HASH),
        tool_call_count=sum(1 for start in tool_starts if start == end),
    )


def _tool_record(span: dict[str, Any], call_ends: list[int]) -> ToolCallRecord:
    attrs = span.get("attributes") or {}
    start = int(span.get("start_time_unix_nano") or 0)
    arguments = attrs.get(sc.GEN_AI_TOOL_CALL_ARGUMENTS)
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except ValueError:
            pass
    return ToolCallRecord(
        span_id=str(span.get("span_id")),
        name=str(attrs.get(sc.GEN_AI_TOOL_NAME, "")),
        step=sum(1 for end in call_ends if end <= start),
        arguments_hash=str(attrs.get(sc.AGENTWRAP_TOOL_ARGUMENTS_HASH, "")),
        start_ns=start,
        end_ns=_int(span.get("end_time_unix_nano")),
        is_error=span.get("status") == "ERROR",
        arguments=arguments,
        result=attrs.get(sc.GEN_AI_TOOL_CALL_RESULT),
    )


def _run_records(
    summary: dict[str, Any], spans: list[dict[str, Any]], events: list[dict[str, Any]]
) -> RunRecords:
    meta = summary.get("summarized_metadata") or {}
    ops = [((s.get("attributes") or {}).get(sc.GEN_AI_OPERATION_NAME), s) for s in spans]
    calls = sorted(
        (s for op, s in ops if op not in _NOT_CALLS), key=lambda s: s.get("end_time_unix_nano") or 0
    )
    tools = sorted(
        (s for op, s in ops if op == sc.OP_EXECUTE_TOOL), key=lambda s: s.get("start_time_unix_nano") or 0
    )
    tool_starts = [int(s.get("start_time_unix_nano") or 0) for s in tools]
    call_ends = [int(s.get("end_time_unix_nano") or 0) for s in calls]
    return RunRecords(
        run_id=str(summary.get("run_id")),
        trace_id=str(meta.get("trace_id")),
        name=summary.get("run_name"),
        release=meta.get("release_version"),
        start_ns=int(summary.get("start_time_unix_nano") or 0),
        end_ns=int(summary.get("end_time_unix_nano") or 0),
        llm_calls=tuple(_call_record(s, i, tool_starts) for i, s in enumerate(calls, 1)),
        tool_calls=tuple(_tool_record(s, call_ends) for s in tools),
        events=tuple(events),
        summary=meta,
    )


def runs_from_records(records: Iterable[dict[str, Any]]) -> list[RunRecords]:
    """Rebuild each closed run's records from spans, events and summaries, oldest run first.

    A run's calls and tools are the spans whose parent is its root span (``invoke_agent`` with
    its ``agentwrap.run.id``), so nested runs in one trace stay apart.
    """
    summaries: list[dict[str, Any]] = []
    roots: dict[str, str] = {}  # run id -> root span id
    children: dict[str, list[dict[str, Any]]] = {}
    events: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        kind = record.get("type")
        if kind == "run.summary" and record.get("run_id"):
            summaries.append(record)
        elif kind == "span":
            attrs = record.get("attributes") or {}
            if attrs.get(sc.GEN_AI_OPERATION_NAME) == sc.OP_INVOKE_AGENT and attrs.get(sc.AGENTWRAP_RUN_ID):
                roots[str(attrs[sc.AGENTWRAP_RUN_ID])] = str(record.get("span_id"))
            children.setdefault(str(record.get("parent_span_id")), []).append(record)
        elif kind == "event" and record.get("severity") == "warning" and record.get("run_id"):
            if "detector" not in (record.get("fields") or {}):  # as live: built-in warnings only
                events.setdefault(str(record["run_id"]), []).append(record)
    runs = []
    for summary in summaries:
        run_id = str(summary["run_id"])
        spans = children.get(roots.get(run_id, "\0"), [])
        runs.append(_run_records(summary, spans, events.get(run_id, [])))
    runs.sort(key=lambda r: r.start_ns)
    return runs


@dataclass
class BackfillResult:
    """What a backfill found."""

    runs: int = 0
    occurrences: dict[tuple[str, str], int] = field(default_factory=dict)
    earliest: dict[tuple[str, str], int] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)


def backfill(
    runs: Iterable[RunRecords],
    detectors: dict[str, Detector],
    store: AnyStore,
    on_run: Callable[[RunRecords], None] | None = None,
) -> BackfillResult:
    """Run ``detectors`` over past ``runs`` and record every occurrence in ``store``.

    A detector that raises on a run is skipped for that run (counted in ``failures``, one
    log line per detector); the others go on.
    """
    result = BackfillResult()
    observations: list[Observation] = []
    for run in runs:
        result.runs += 1
        for name, detector in detectors.items():
            try:
                found = [as_event(item) for item in detector(run) or ()]
            except Exception as exc:  # noqa: BLE001 - one bad run must not stop a backfill
                if name not in result.failures:
                    log.warning(
                        "agentwrap: detector %s raised %s during backfill: %s", name, type(exc).__name__, exc
                    )
                result.failures[name] = result.failures.get(name, 0) + 1
                continue
            for event in found:
                when = occurrence_time(event, run)
                pattern = (event.name, event.key)
                result.occurrences[pattern] = result.occurrences.get(pattern, 0) + 1
                result.earliest[pattern] = min(result.earliest.get(pattern, when), when)
                observations.append((event.name, event.key, when, run.trace_id, run.run_id))
        if on_run is not None:
            on_run(run)
        if len(observations) >= 1000:
            store.observe_many(observations)
            observations.clear()
    store.observe_many(observations)
    return result


def load_detector(spec: str) -> tuple[str, Detector]:
    """``package.module:function`` (or ``path/to/file.py:function``) as ``(name, detector)``."""
    import importlib
    import importlib.util
    import os
    import sys

    module_name, _, attr = spec.partition(":")
    if not attr:
        raise ValueError(f"detector {spec!r}: expected module:function")
    if module_name.endswith(".py") or os.sep in module_name:
        location = importlib.util.spec_from_file_location(os.path.basename(module_name)[:-3], module_name)
        if location is None or location.loader is None:
            raise ValueError(f"detector {spec!r}: cannot load {module_name}")
        module = importlib.util.module_from_spec(location)
        location.loader.exec_module(module)
    else:
        if os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())  # a project's own detectors module, as with python -m
        module = importlib.import_module(module_name)
    detector = getattr(module, attr)
    if not callable(detector):
        raise ValueError(f"detector {spec!r} is not callable")
    return spec, detector


def records_from_store(target: str) -> Iterator[dict[str, Any]]:
    """The records kept in a run store (``agentwrap.store``): spans, events and summaries."""
    from agentwrap.store import open_store as open_run_store

    store = open_run_store(target)
    try:
        for table in ("spans", "events", "runs"):
            if store.has_table(table):
                for (text,) in store.query(f"SELECT record FROM {table}"):  # noqa: S608 - fixed names
                    record = json.loads(text)
                    if isinstance(record, dict):
                        yield record
    finally:
        store.close()
