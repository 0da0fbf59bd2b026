"""Layer 1 for one run: its counts against its bounds, ``run.limit_reached`` the moment one is
crossed, a refusal in enforce mode, and at close why the run stopped (``run.terminated``)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from agentwrap._observers import RunObserver
from agentwrap.detect._shared import Found, emit_found, per_config
from agentwrap.detect.bounds import LIMIT_REACHED, Bounds, BudgetExceeded
from agentwrap.detect.heuristics import looks_like_error

if TYPE_CHECKING:
    from agentwrap._config import Config
    from agentwrap._run import Run
    from agentwrap._tools import ToolExecution
    from agentwrap.records import LLMCallRecord, LLMRequest

__all__ = ["BoundsObserver"]


def _bounds_of(config: Config) -> tuple[Bounds, bool]:
    """A config's global bounds, and whether it sets any."""
    bounds = Bounds.resolve(config)
    return bounds, bounds.any()


_global_bounds = per_config(_bounds_of)


class BoundsObserver(RunObserver):
    """The bounds of one run (its own over the global ones) and what it has used of them."""

    def __init__(self, run: Run) -> None:
        config = run.telemetry.config
        self.run = run
        # The run's own bounds (agentwrap.run(max_turns=...)) over the global ones. Not bounded
        # (no bound set, the default): nothing to check per call, only the errors to count.
        if run.limits:
            self.bounds = Bounds.resolve(config, run.limits)
            self.bounded = self.bounds.any()
        else:
            self.bounds, self.bounded = _global_bounds(config)
        self._lock = threading.Lock()
        self.turns_started = 0
        self.tokens = 0
        self.errors = 0  # failed calls and tool errors
        self.tool_count = 0
        self.crossed: dict[str, dict[str, Any]] = {}
        self.refused: BudgetExceeded | None = None

    def _cross(self, bound: str, value: float, step: int, action: str, found: list[Found]) -> None:
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
        found.append((LIMIT_REACHED, dict(fields), None, None))

    def before_send(self, request: LLMRequest) -> None:
        """Check the bounds before a call goes out; in enforce mode, refuse it past one."""
        if not self.bounded:
            return
        found: list[Found] = []
        refuse: BudgetExceeded | None = None
        with self._lock:
            step = self.turns_started + (1 if request.counts_as_turn else 0)
            if request.counts_as_turn:
                self._cross("max_turns", step, step, "call_refused", found)
            self._cross("max_wall_time", self.run.elapsed_s(), step, "call_refused", found)
            if self.bounds.enforce and self.crossed:
                bound, fields = next(iter(self.crossed.items()))
                refuse = BudgetExceeded(bound, fields["limit"], fields["value"], self.run.run_id)
                self.refused = self.refused or refuse
            elif request.counts_as_turn:
                self.turns_started = step
        if found:
            emit_found(self.run, found)
        if refuse is not None:
            raise refuse

    def on_turn(self, call: LLMCallRecord, tools: Sequence[ToolExecution]) -> None:
        """Tokens, failed calls, tool calls and identical tool calls, against their bounds."""
        if not self.bounded:
            if call.error_type:
                with self._lock:
                    self.errors += 1
            return
        found: list[Found] = []
        with self._lock:
            step = call.step
            self.tokens += (call.input_tokens or 0) + (call.output_tokens or 0)
            self.errors += 1 if call.error_type else 0
            self.tool_count += len(tools)
            self._cross("max_total_tokens", self.tokens, step, "next_call_refused", found)
            self._cross("max_errors", self.errors, step, "next_call_refused", found)
            self._cross("max_tool_calls", self.tool_count, step, "next_call_refused", found)
            for tool in tools:  # the run's count of identical calls: retries are the ones after the first
                self._cross("max_tool_retries", tool.repeat_count - 1, step, "next_call_refused", found)
        if found:
            emit_found(self.run, found)

    def on_tool_end(self, tool: ToolExecution) -> None:
        """A tool result that is an error counts against ``max_errors``."""
        if tool.result is None or not (tool.is_error or looks_like_error(tool.result)):
            return  # a success, or no result at all (the run closed first)
        found: list[Found] = []
        with self._lock:
            self.errors += 1
            if self.bounded:
                self._cross("max_errors", self.errors, tool.step, "next_call_refused", found)
        if found:
            emit_found(self.run, found)

    def on_close(self, exc: BaseException | None) -> dict[str, Any]:
        """The wall time, last; then ``run.terminated``'s fields, which the run publishes."""
        found: list[Found] = []
        with self._lock:
            self._cross(
                "max_wall_time", self.run.elapsed_s(), len(self.run.turns), "next_call_refused", found
            )
        emit_found(self.run, found)
        return self._termination(exc)

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
