"""Layer 2: heuristics that surface bad behaviour which raises no error.

Each built-in heuristic is one small class below: its event, that event's fields, its
thresholds and its hook (see :class:`~agentwrap.detect._heuristic.Heuristic`). The run's
heuristics observer calls them as calls and tool results arrive and emits the named warning
event at once. Adding one is adding a class here (and its test): the registry, the
:class:`Thresholds` and ``agentwrap.detect.EVENT_NAMES`` pick it up, and a test holds the
README's event table to the registry. Thresholds are set by name (keyword
``thresholds={...}`` or ``AGENTWRAP_THRESHOLDS="repeated_calls=4,latency_factor=3"``); they
are chosen so that a healthy run (the conversation grows, tools succeed, calls take similar
time) raises none of them, and ``agentwrap.testing.corpus`` holds the trajectories that check
it. Their arithmetic is in pure functions (:mod:`agentwrap.detect._checks`, exported here).
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from agentwrap import _semconv as sc
from agentwrap.detect._checks import (
    TRUNCATION_REASONS,
    latency_outlier,
    looks_like_error,
    oscillation,
    prompt_growth,
    truncation_reason,
)
from agentwrap.detect._heuristic import REGISTRY, Fields, Heuristic, Threshold, thresholds_class

if TYPE_CHECKING:
    from agentwrap._tools import ToolExecution
    from agentwrap.records import LLMCallRecord, LLMRequest, LLMResponse

__all__ = [
    "REGISTRY",
    "TRUNCATION_REASONS",
    "ErrorStreak",
    "LatencyOutlier",
    "OutputTruncated",
    "PromptGrowth",
    "RepeatedCalls",
    "RepeatedRequest",
    "ResponseEmpty",
    "Thresholds",
    "ToolOscillation",
    "latency_outlier",
    "looks_like_error",
    "oscillation",
    "prompt_growth",
    "truncation_reason",
]


class RepeatedCalls(Heuristic):
    """The same tool called with the same arguments again and again."""

    event = "tool.repeated_calls"
    fields = ("tool_name", "repeat_count", "step", "arguments_hash")
    repeated_calls = Threshold(
        3,
        "Identical tool calls (same tool, same arguments) that make ``tool.repeated_calls`` "
        "(the seed's ``repeat_count >= 2`` before this one: 3).",
    )

    def on_tool(self, tool: ToolExecution) -> Fields | None:
        """Every call from the ``repeated_calls``-th identical one on."""
        if tool.repeat_count < self.repeated_calls:  # the run's count of this (tool, arguments)
            return None
        return {
            "tool_name": tool.name,
            "repeat_count": tool.repeat_count,
            "step": tool.step,
            "arguments_hash": tool.arguments_hash,
        }


class RepeatedRequest(Heuristic):
    """The same full input sent to the model again and again (a retry loop)."""

    event = "llm.repeated_request"
    fields = ("repeat_count", "step", "input_hash", "previous_error")
    repeated_request = Threshold(
        3,
        "Identical LLM requests (same full input) that make ``llm.repeated_request``; one "
        "retry after an error is normal, a third send is not.",
    )

    def __init__(self, thresholds: Thresholds) -> None:
        super().__init__(thresholds)
        self.sent: dict[str, int] = {}
        self.last_error: dict[str, str] = {}

    def on_call(self, call: LLMCallRecord, request: LLMRequest, answer: LLMResponse | None) -> Fields | None:
        """Every call, failed ones included, whose input was sent ``repeated_request`` times."""
        if not call.input_hash:
            return None
        count = self.sent[call.input_hash] = self.sent.get(call.input_hash, 0) + 1
        previous_error = self.last_error.get(call.input_hash)
        if call.error_type:
            self.last_error[call.input_hash] = call.error_type
        if count < self.repeated_request:
            return None
        fields: Fields = {"repeat_count": count, "step": call.step, "input_hash": call.input_hash}
        if previous_error:
            fields["previous_error"] = previous_error
        return fields


class ErrorStreak(Heuristic):
    """Tool results that are errors, one after the other."""

    event = "tool.error_streak"
    fields = ("tool_name", "streak", "step", "tools")
    error_streak = Threshold(3, "Consecutive tool results that are errors for ``tool.error_streak``.")

    def __init__(self, thresholds: Thresholds) -> None:
        super().__init__(thresholds)
        self.streak: list[str] = []

    def on_tool_result(self, tool: ToolExecution, failed: bool) -> Fields | None:
        """Once per streak, at its ``error_streak``-th error; a success ends the streak."""
        if not failed:
            self.streak.clear()
            return None
        self.streak.append(tool.name)
        if len(self.streak) != self.error_streak:
            return None
        return {
            "tool_name": tool.name,
            "streak": len(self.streak),
            "step": tool.step,
            "tools": sorted(set(self.streak)),
        }


class ToolOscillation(Heuristic):
    """Ping-pong: the same two or three tool calls in a cycle (A-B-A-B, A-B-C-A-B-C)."""

    event = "tool.oscillation"
    fields = ("tools", "period", "step", "cycle_length")
    oscillation = Threshold(
        4,
        "Length of an A-B-A-B cycle between two identical tool calls for ``tool.oscillation`` "
        "(a three-call cycle must go round twice: six calls).",
    )

    def __init__(self, thresholds: Thresholds) -> None:
        super().__init__(thresholds)
        self.sequence: deque[tuple[str, str]] = deque(maxlen=max(6, self.oscillation))
        self.reported: set[frozenset[tuple[str, str]]] = set()  # once per cycle

    def on_tool(self, tool: ToolExecution) -> Fields | None:
        """Once per cycle, when the last calls have gone round it twice."""
        seq = self.sequence
        seq.append((tool.name, tool.arguments_hash))
        # Fast path: a cycle of two or three calls means this call repeats the one 2 or 3 back.
        repeats = (len(seq) >= 3 and seq[-1] == seq[-3]) or (len(seq) >= 4 and seq[-1] == seq[-4])
        cycle = oscillation(list(seq), self.oscillation) if repeats else None
        if cycle is None or frozenset(cycle) in self.reported:
            return None
        self.reported.add(frozenset(cycle))
        return {
            "tools": [name for name, _ in cycle],
            "period": len(cycle),
            "step": tool.step,
            "cycle_length": max(self.oscillation, 2 * len(cycle)),
        }


class OutputTruncated(Heuristic):
    """An answer cut off by the token limit."""

    event = "output.truncated"
    fields = ("step", "finish_reason", "output_tokens", "max_tokens")

    def on_call(self, call: LLMCallRecord, request: LLMRequest, answer: LLMResponse | None) -> Fields | None:
        """An answer whose finish reason is the token limit's."""
        reason = truncation_reason(call.finish_reasons) if answer is not None else None
        if reason is None:
            return None
        return {
            "step": call.step,
            "finish_reason": reason,
            "output_tokens": call.output_tokens,
            "max_tokens": request.params.get("max_tokens"),
        }


class ResponseEmpty(Heuristic):
    """A completed answer with no text, no tool call and no refusal (a truncated one is reported
    as such, and a refusal is an answer)."""

    event = "response.empty"
    fields = ("step", "finish_reason", "output_tokens")

    def on_call(self, call: LLMCallRecord, request: LLMRequest, answer: LLMResponse | None) -> Fields | None:
        """An answer with nothing in it."""
        if (
            answer is None
            or answer.tool_calls
            or answer.refusal is not None
            or (answer.output_text or "").strip()
        ):
            return None
        if truncation_reason(call.finish_reasons) is not None:
            return None
        reasons = call.finish_reasons
        return {
            "step": call.step,
            "finish_reason": reasons[0] if reasons else None,
            "output_tokens": call.output_tokens,
        }


class PromptGrowth(Heuristic):
    """Prompt tokens growing much faster than the conversation (re-sent or inflated context)."""

    event = "prompt.growth"
    fields = (
        "step",
        "prompt_tokens",
        "first_prompt_tokens",
        "message_count",
        "first_message_count",
        "growth_ratio",
    )
    prompt_growth_factor = Threshold(
        3.0,
        "``prompt.growth`` when prompt tokens have grown this many times faster than the "
        "number of messages since the run's first call...",
    )
    prompt_growth_min_tokens = Threshold(1000, "...and by at least this many tokens...")
    prompt_growth_step = Threshold(
        1.5,
        "...and each of the last two calls' prompts was at least this many times the one "
        "before (sustained growth, not one large tool result).",
    )

    def __init__(self, thresholds: Thresholds) -> None:
        super().__init__(thresholds)
        self.first: tuple[int, int] | None = None
        self.recent: deque[tuple[int, int]] = deque(maxlen=3)  # the last three calls
        self.fired = False

    def on_call(self, call: LLMCallRecord, request: LLMRequest, answer: LLMResponse | None) -> Fields | None:
        """Once per run; only calls with counted (not estimated) prompt tokens."""
        if answer is None or answer.attributes.get(sc.AGENTWRAP_USAGE_ESTIMATED):
            return None
        if not call.input_tokens or not request.message_count:
            return None
        point = (call.input_tokens, request.message_count)
        first = self.first = self.first or point
        self.recent.append(point)
        if self.fired:
            return None
        history = [first, *self.recent] if self.recent[0] != first else list(self.recent)
        grown = prompt_growth(history, self.thresholds)
        if grown is None:
            return None
        self.fired = True
        return {"step": call.step, **grown}


class LatencyOutlier(Heuristic):
    """A call far slower than the run's earlier calls."""

    event = "latency.outlier"
    fields = ("step", "latency_s", "median_s", "ratio")
    latency_factor = Threshold(
        5.0, "``latency.outlier`` when a call takes this many times the median of the run's earlier calls..."
    )
    latency_min_seconds = Threshold(0.5, "...and at least this many seconds more than that median...")
    latency_min_samples = Threshold(4, "...once the run has made at least this many calls before it.")

    def __init__(self, thresholds: Thresholds) -> None:
        super().__init__(thresholds)
        self.durations: deque[float] = deque(maxlen=64)  # bounded: the same cost on every call

    def on_call(self, call: LLMCallRecord, request: LLMRequest, answer: LLMResponse | None) -> Fields | None:
        """An answered call ``latency_factor`` times slower than the median of the earlier ones."""
        if answer is None:
            return None
        duration = call.duration_s
        # A call shorter than latency_min_seconds cannot be an outlier: skip the median.
        fast = duration < self.latency_min_seconds
        median = None if fast else latency_outlier(self.durations, duration, self.thresholds)
        self.durations.append(duration)
        if median is None:
            return None
        ratio = round(duration / median, 1) if median > 0 else None
        return {
            "step": call.step,
            "latency_s": round(duration, 3),
            "median_s": round(median, 3),
            "ratio": ratio,
        }


if TYPE_CHECKING:
    from agentwrap.detect._heuristic import Thresholds
else:
    Thresholds = thresholds_class(REGISTRY)
