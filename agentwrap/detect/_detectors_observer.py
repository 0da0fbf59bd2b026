"""Layer 3 for one run: the user's detectors, over the run's records, when it closes.

The records are the same shape ``agentwrap backfill`` rebuilds from stored history, so a
detector finds the same events live and in the past. A detector that raises is switched off
for that run with one log line; the application never sees its error.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from agentwrap._events import emit_warning
from agentwrap._log import log
from agentwrap._observers import RunObserver
from agentwrap._summary import build_summary
from agentwrap.detect._shared import first_seen_fields
from agentwrap.detect.api import (
    DetectorEvent,
    RunRecords,
    ToolCallRecord,
    all_detectors,
    as_event,
    occurrence_time,
)

if TYPE_CHECKING:
    from agentwrap._run import Run

__all__ = ["DetectorsObserver", "run_records"]


def run_records(run: Run) -> RunRecords:
    """The run as a detector sees it (the same shape backfill rebuilds from history)."""
    capture = run.telemetry.config.capture_content
    tools = tuple(
        ToolCallRecord(
            span_id=t.span_id,
            name=t.name,
            step=t.step,
            arguments_hash=t.arguments_hash,
            start_ns=t.requested_ns,
            end_ns=t.ended_ns,
            is_error=t.is_error,
            arguments=t.arguments if capture else None,
            result=t.result if capture else None,
        )
        for t in run.kept_tools()
    )
    return RunRecords(
        run_id=run.run_id,
        trace_id=run.trace_id,
        name=run.name,
        release=run.release,
        start_ns=run.started_ns,
        end_ns=run.ended_ns or time.time_ns(),
        llm_calls=tuple(run.kept_calls()),  # the very records the run keeps
        tool_calls=tools,
        events=tuple(e for e in list(run.events) if e.get("severity") == "warning"),
        summary=build_summary(run),
    )


class DetectorsObserver(RunObserver):
    """The registered detectors (code and entry points), run once when a run closes."""

    def __init__(self, run: Run) -> None:
        self.run = run

    def on_close(self, exc: BaseException | None) -> None:
        """Run every detector over the run's records and emit what each finds."""
        detectors = all_detectors()
        if not detectors:
            return
        records = run_records(self.run)
        for name, detector in detectors.items():
            try:
                found = [as_event(item) for item in detector(records) or ()]
            except Exception as exc:  # noqa: BLE001 - a user's detector must not reach the app
                log.warning(
                    "agentwrap: detector %s raised %s: %s; switched off for this run",
                    name,
                    type(exc).__name__,
                    exc,
                )
                continue
            for event in found:
                self._emit(name, event, records)

    def _emit(self, detector: str, event: DetectorEvent, records: RunRecords) -> None:
        run = self.run
        fields = {**dict(event.fields), "detector": detector}
        fields.update(first_seen_fields(event.name, event.key, occurrence_time(event, records), run))
        emit_warning(event.name, fields, span=run.span, run=run, span_id=event.span_id)
