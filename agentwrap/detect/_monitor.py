"""The per-run monitor: bounds, heuristics and detectors, a run observer.

The run calls its hooks (see :mod:`agentwrap._observers`): ``before_send`` checks the bounds
(in enforce mode it raises :class:`~agentwrap.detect.bounds.BudgetExceeded`), ``on_call_end``
and ``on_turn`` run the per-call and per-tool heuristics and count against the bounds,
``on_tool_end`` counts tool errors, and ``on_close`` runs the user detectors and returns
``run.terminated``'s fields. Events are emitted outside the monitor's lock; state changes
happen under it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from agentwrap._events import emit_warning
from agentwrap._observers import RunObserver
from agentwrap._summary import build_summary
from agentwrap.detect import heuristics as h
from agentwrap.detect.api import (
    DetectorEvent,
    RunRecords,
    ToolCallRecord,
    all_detectors,
    as_event,
    occurrence_time,
)
from agentwrap.detect.bounds import Bounds, BudgetExceeded
from agentwrap.detect.store import iso_time
from agentwrap.store._first_seen_live import live_first_seen

if TYPE_CHECKING:
    from opentelemetry.trace import Span

    from agentwrap._run import Run
    from agentwrap._tools import ToolExecution
    from agentwrap.records import LLMCallRecord, LLMRequest, LLMResponse

__all__ = ["Monitor"]

log = logging.getLogger("agentwrap")

Pending = list[tuple[str, dict[str, Any], "Span | None", "str | None"]]  # name, fields, span, span_id


def first_seen_fields(
    store_setting: str | None, name: str, key: str, when_ns: int, run: Run
) -> dict[str, Any]:
    """``first_seen`` fields of one sighting (from memory: the file is read and written by a
    background thread, see :mod:`agentwrap.store._first_seen_live`)."""
    seen = live_first_seen(store_setting).lookup(name, key, when_ns, run.trace_id, run.run_id)
    return {
        "first_seen": iso_time(seen.first_seen_ns),
        "first_seen_unix_nano": seen.first_seen_ns,
        "first_seen_trace_id": seen.trace_id,
    }


_settings_cache: tuple[Any, Bounds, h.Thresholds] | None = None


def _settings(config: Any) -> tuple[Bounds, h.Thresholds]:
    """The global bounds and thresholds of a config (both frozen): resolved once per config,
    not once per run."""
    global _settings_cache
    cached = _settings_cache
    if cached is not None and cached[0] is config:
        return cached[1], cached[2]
    bounds, th = Bounds.resolve(config), h.Thresholds.from_mapping(config.thresholds)
    _settings_cache = (config, bounds, th)
    return bounds, th


class Monitor(RunObserver):
    """Bounds, heuristics and detectors of one run."""

    def __init__(self, run: Run) -> None:
        config = run.telemetry.config
        self.run = run
        self.bounds, self.th = _settings(config)
        if run.limits:  # agentwrap.run(max_turns=...): the run's own bounds over the global ones
            self.bounds = Bounds.resolve(config, run.limits)
        self.store_setting = config.store
        self._lock = threading.Lock()
        self.turns_started = 0
        self.tokens = 0
        self.errors = 0
        self.tool_count = 0
        self.crossed: dict[str, dict[str, Any]] = {}
        self.refused: BudgetExceeded | None = None
        self.requests: dict[str, int] = {}
        self.last_error: dict[str, str] = {}
        # Bounded windows: the hooks cost the same on the 1000th call as on the first.
        self.durations: deque[float] = deque(maxlen=64)  # latency: median of recent calls
        self.first_growth: tuple[int, int] | None = None
        self.growth: deque[tuple[int, int]] = deque(maxlen=3)  # prompt growth: the last three calls
        self.growth_fired = False
        self.sequence: deque[tuple[str, str]] = deque(maxlen=max(6, self.th.oscillation))
        self.oscillating: set[frozenset[tuple[str, str]]] = set()  # cycles already reported
        self.streak: list[str] = []

    # -- emitting -----------------------------------------------------------------------------

    def _emit(self, pending: Pending) -> None:
        for name, fields, span, span_id in pending:
            when = time.time_ns()
            fields.update(first_seen_fields(self.store_setting, name, "", when, self.run))
            emit_warning(name, fields, span=span or self.run.span, run=self.run, span_id=span_id)

    def _cross(self, bound: str, value: float, step: int, action: str, pending: Pending) -> None:
        """Note a bound crossed (once per bound); call with the lock held."""
        limit = getattr(self.bounds, bound)
        if limit is None or value <= limit or bound in self.crossed:
            return
        fields = {
            "bound": bound,
            "limit": limit,
            "value": round(value, 3) if isinstance(value, float) else value,
            "step": step,
            "mode": self.bounds.mode,
            "action": action if self.bounds.enforce else "observed",
        }
        self.crossed[bound] = fields
        pending.append(("run.limit_reached", dict(fields), None, None))

    # -- hooks ----------------------------------------------------------------------------------

    def before_send(self, request: LLMRequest) -> None:
        """Check the bounds before a call goes out; in enforce mode, refuse it past one."""
        pending: Pending = []
        refuse: BudgetExceeded | None = None
        with self._lock:
            step = self.turns_started + (1 if request.counts_as_turn else 0)
            if request.counts_as_turn:
                self._cross("max_turns", step, step, "call_refused", pending)
            self._cross("max_wall_time", self.run.elapsed_s(), step, "call_refused", pending)
            if self.bounds.enforce and self.crossed:
                bound, fields = next(iter(self.crossed.items()))
                refuse = BudgetExceeded(bound, fields["limit"], fields["value"], self.run.run_id)
                self.refused = self.refused or refuse
            elif request.counts_as_turn:
                self.turns_started = step
        self._emit(pending)
        if refuse is not None:
            raise refuse

    def on_call_end(
        self, call: LLMCallRecord, request: LLMRequest, response: LLMResponse | None, span: Span
    ) -> None:
        """Per-call heuristics, while the call's span is still open.

        A call is judged by its answer: one that failed, or whose stream the application
        abandoned (``response`` None), only counts for ``llm.repeated_request``.
        """
        pending: Pending = []
        with self._lock:
            if call.input_hash:
                self._repeated_request(call.input_hash, call.error_type, call.step, pending, span)
            if response is not None:
                self._response_checks(call, request, response, pending, span)
        if pending:
            self._emit(pending)

    def _repeated_request(
        self, input_hash: str, error_type: str | None, step: int, pending: Pending, span: Span
    ) -> None:
        count = self.requests[input_hash] = self.requests.get(input_hash, 0) + 1
        previous_error = self.last_error.get(input_hash)
        if error_type:
            self.last_error[input_hash] = error_type
        if count >= self.th.repeated_request:
            fields = {"repeat_count": count, "step": step, "input_hash": input_hash}
            if previous_error:
                fields["previous_error"] = previous_error
            pending.append(("llm.repeated_request", fields, span, None))

    def _response_checks(
        self,
        call: LLMCallRecord,
        request: LLMRequest,
        response: LLMResponse,
        pending: Pending,
        span: Span,
    ) -> None:
        step, finish_reasons, duration = call.step, call.finish_reasons, call.duration_s
        reason = h.truncation_reason(finish_reasons) if finish_reasons else None
        if reason is not None:
            fields: dict[str, Any] = {"step": step, "finish_reason": reason}
            fields["output_tokens"] = call.output_tokens
            fields["max_tokens"] = request.params.get("max_tokens")
            pending.append(("output.truncated", fields, span, None))
        elif not response.tool_calls and not (response.output_text or "").strip():
            fields = {"step": step, "finish_reason": finish_reasons[0] if finish_reasons else None}
            fields["output_tokens"] = call.output_tokens
            pending.append(("response.empty", fields, span, None))
        # A call shorter than latency_min_seconds cannot be an outlier: skip the median.
        median = (
            h.latency_outlier(self.durations, duration, self.th)
            if duration >= self.th.latency_min_seconds
            else None
        )
        self.durations.append(duration)
        if median is not None:
            fields = {"step": step, "latency_s": round(duration, 3), "median_s": round(median, 3)}
            fields["ratio"] = round(duration / median, 1) if median > 0 else None
            pending.append(("latency.outlier", fields, span, None))
        estimated = response.attributes.get("agentwrap.usage.estimated")
        if call.input_tokens and request.message_count and not estimated:
            self._growth_check(step, (call.input_tokens, request.message_count), pending, span)

    def _growth_check(self, step: int, point: tuple[int, int], pending: Pending, span: Span) -> None:
        self.first_growth = self.first_growth or point
        self.growth.append(point)
        if self.growth_fired:
            return
        first = self.first_growth
        history = [first, *self.growth] if self.growth[0] != first else list(self.growth)
        grown = h.prompt_growth(history, self.th)
        if grown is not None:
            self.growth_fired = True
            pending.append(("prompt.growth", {"step": step, **grown}, span, None))

    def on_turn(self, call: LLMCallRecord, tools: Sequence[ToolExecution]) -> None:
        """Bounds on tokens, errors and tool calls; tool repetition and ping-pong."""
        pending: Pending = []
        with self._lock:
            step = call.step
            self.tokens += (call.input_tokens or 0) + (call.output_tokens or 0)
            self.errors += 1 if call.error_type else 0
            self.tool_count += len(tools)
            self._cross("max_total_tokens", self.tokens, step, "next_call_refused", pending)
            self._cross("max_errors", self.errors, step, "next_call_refused", pending)
            self._cross("max_tool_calls", self.tool_count, step, "next_call_refused", pending)
            for tool in tools:
                self._tool_checks(tool, step, pending)
        if pending:
            self._emit(pending)

    def _tool_checks(self, tool: ToolExecution, step: int, pending: Pending) -> None:
        key = (tool.name, tool.arguments_hash)
        count = tool.repeat_count  # the run's count of this (tool, arguments) pair, so far
        self._cross("max_tool_retries", count - 1, step, "next_call_refused", pending)
        if count >= self.th.repeated_calls:
            fields = {"tool_name": tool.name, "repeat_count": count, "step": step}
            fields["arguments_hash"] = tool.arguments_hash
            pending.append(("tool.repeated_calls", fields, tool.span, None))
        self.sequence.append(key)
        seq = self.sequence
        # Fast path: a cycle of two or three calls means this call repeats the one 2 or 3 back.
        repeats = (len(seq) >= 3 and seq[-1] == seq[-3]) or (len(seq) >= 4 and seq[-1] == seq[-4])
        cycle = h.oscillation(list(seq), self.th.oscillation) if repeats else None
        if cycle is not None and frozenset(cycle) not in self.oscillating:
            self.oscillating.add(frozenset(cycle))
            fields = {"tools": [name for name, _ in cycle], "period": len(cycle), "step": step}
            fields["cycle_length"] = max(self.th.oscillation, 2 * len(cycle))
            pending.append(("tool.oscillation", fields, tool.span, None))

    def on_tool_end(self, tool: ToolExecution) -> None:
        """Tool errors: the run's error count and error streaks."""
        if tool.result is None:
            return  # no result came back (the run closed first): neither success nor error
        failed = tool.is_error or h.looks_like_error(tool.result)
        pending: Pending = []
        with self._lock:
            step = tool.step
            if not failed:
                self.streak.clear()
                return
            self.errors += 1
            self.streak.append(tool.name)
            self._cross("max_errors", self.errors, step, "next_call_refused", pending)
            if len(self.streak) == self.th.error_streak:
                fields = {"tool_name": tool.name, "streak": len(self.streak), "step": step}
                fields["tools"] = sorted(set(self.streak))
                pending.append(("tool.error_streak", fields, tool.span, None))
        if pending:
            self._emit(pending)

    def on_close(self, exc: BaseException | None) -> Mapping[str, Any]:
        """User detectors; then ``run.terminated``'s fields, which the run publishes."""
        pending: Pending = []
        with self._lock:
            step = len(self.run.turns)
            self._cross("max_wall_time", self.run.elapsed_s(), step, "next_call_refused", pending)
        self._emit(pending)
        self._run_detectors()
        return self._termination(exc)

    # -- closing ----------------------------------------------------------------------------------

    def _termination(self, exc: BaseException | None) -> dict[str, Any]:
        if self.refused is not None:
            reason = self.refused.bound
        elif isinstance(exc, BudgetExceeded):
            reason = exc.bound
        elif isinstance(exc, (asyncio.CancelledError, KeyboardInterrupt)):
            reason = "cancelled"
        elif exc is not None:
            reason = "error"
        else:
            reason = "completed"
        steps = len(self.run.turns)
        max_steps = self.bounds.max_turns
        return {
            "termination_reason": reason,
            "steps_taken": steps,
            "max_steps": max_steps,
            "num_errors": self.errors,
            "max_errors": self.bounds.max_errors,
            "steps_pct_of_limit": round(steps / max_steps, 2) if max_steps else None,
            "limits_reached": list(self.crossed),
            "budget_mode": self.bounds.mode,
        }

    def records(self) -> RunRecords:
        """The run as a detector sees it (the same shape backfill rebuilds from history)."""
        run = self.run
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
            llm_calls=tuple(run.kept_calls()),
            tool_calls=tools,
            events=tuple(e for e in list(run.events) if e.get("severity") == "warning"),
            summary=build_summary(run),
        )

    def _run_detectors(self) -> None:
        detectors = all_detectors()
        if not detectors:
            return
        records = self.records()
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
                self._emit_detected(name, event, records)

    def _emit_detected(self, detector: str, event: DetectorEvent, records: RunRecords) -> None:
        when = occurrence_time(event, records)
        fields = {**dict(event.fields), "detector": detector}
        fields.update(first_seen_fields(self.store_setting, event.name, event.key, when, self.run))
        emit_warning(event.name, fields, span=self.run.span, run=self.run, span_id=event.span_id)
