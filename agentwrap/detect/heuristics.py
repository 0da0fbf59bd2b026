"""Layer 2: heuristics that surface bad behaviour which raises no error.

Each heuristic is a small pure function over what the run has seen so far; the run's
:class:`~agentwrap.detect._monitor.Monitor` calls them as calls and tool results arrive and
emits the named warning event at once. Thresholds are in :class:`Thresholds` (keyword
``thresholds={...}`` or ``AGENTWRAP_THRESHOLDS="repeated_calls=4,latency_factor=3"``). They are
chosen so that a healthy run (the conversation grows, tools succeed, calls take similar time)
raises none of them; ``tests/corpus`` holds the trajectories that check it.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

__all__ = [
    "TRUNCATION_REASONS",
    "Thresholds",
    "latency_outlier",
    "looks_like_error",
    "oscillation",
    "prompt_growth",
    "truncation_reason",
]

# Finish reasons that mean "the output was cut by the token limit" (OpenAI chat, Anthropic,
# the Responses API's incomplete reason).
TRUNCATION_REASONS = frozenset({"length", "max_tokens", "max_output_tokens"})

_ERROR_TEXT = re.compile(
    r"""^\s*(?:\{\s*"(?:error|errors)"\s*:|"?(?:error|exception|traceback|failed|failure)\b)""",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Thresholds:
    """When a heuristic fires. Names are also the keys of ``thresholds={...}``.

    Attributes:
        repeated_calls: Identical tool calls (same tool, same arguments) that make
            ``tool.repeated_calls`` (the seed's ``repeat_count >= 2`` before this one: 3).
        repeated_request: Identical LLM requests (same full input) that make
            ``llm.repeated_request``; one retry after an error is normal, a third send is not.
        error_streak: Consecutive tool results that are errors for ``tool.error_streak``.
        oscillation: Length of an A-B-A-B cycle between two identical tool calls for
            ``tool.oscillation`` (a three-call cycle must go round twice: six calls).
        prompt_growth_factor: ``prompt.growth`` when prompt tokens have grown this many times
            faster than the number of messages since the run's first call...
        prompt_growth_min_tokens: ...and by at least this many tokens...
        prompt_growth_step: ...and each of the last two calls' prompts was at least this many
            times the one before (sustained growth, not one large tool result).
        latency_factor: ``latency.outlier`` when a call takes this many times the median of
            the run's earlier calls...
        latency_min_seconds: ...and at least this many seconds more than that median...
        latency_min_samples: ...once the run has made at least this many calls before it.
    """

    repeated_calls: int = 3
    repeated_request: int = 3
    error_streak: int = 3
    oscillation: int = 4
    prompt_growth_factor: float = 3.0
    prompt_growth_min_tokens: int = 1000
    prompt_growth_step: float = 1.5
    latency_factor: float = 5.0
    latency_min_seconds: float = 0.5
    latency_min_samples: int = 4

    @classmethod
    def from_mapping(cls, values: Mapping[str, float] | None) -> Thresholds:
        """Defaults overridden by ``values`` (unknown names raise ``ValueError``)."""
        known = {f.name: f.type for f in fields(cls)}
        unknown = set(values or {}) - set(known)
        if unknown:
            raise ValueError(f"agentwrap: unknown threshold(s) {sorted(unknown)}; known: {sorted(known)}")
        converted: dict[str, Any] = {}
        for name, value in (values or {}).items():
            converted[name] = int(value) if known[name] == "int" else float(value)
        return replace(cls(), **converted)


def looks_like_error(text: str | None) -> bool:
    """Whether a tool result reads as an error (``Error: ...``, ``{"error": ...}``, a traceback).

    OpenAI's tool messages have no error flag, so the text is all there is; Anthropic's
    ``is_error`` is used as is by the caller.
    """
    return bool(text) and _ERROR_TEXT.match(text or "") is not None


def truncation_reason(finish_reasons: Sequence[str]) -> str | None:
    """The finish reason that says the output was cut off by the token limit, if any."""
    for reason in finish_reasons:
        if reason in TRUNCATION_REASONS:
            return reason
    return None


def oscillation(keys: Sequence[Any], length: int) -> tuple[Any, ...] | None:
    """The cycle if the last keys go round it twice: A-B-A-B (``length`` keys) or A-B-C-A-B-C.

    Keys are (tool, arguments) pairs, so a cycle means the same calls come back, not merely
    the same tools (paging through results with one tool and reading each page is fine).
    """
    for period in (2, 3):
        n = max(length, 2 * period)
        if length < 3 or len(keys) < n:
            continue
        tail = keys[-n:]
        cycle = tuple(tail[:period])
        if len(set(cycle)) == period and all(key == cycle[i % period] for i, key in enumerate(tail)):
            return cycle
    return None


def latency_outlier(earlier: Sequence[float], seconds: float, th: Thresholds) -> float | None:
    """The median of the earlier calls' durations if ``seconds`` is an outlier against it."""
    if len(earlier) < th.latency_min_samples:
        return None
    median = statistics.median(earlier)
    if seconds > median * th.latency_factor and seconds - median >= th.latency_min_seconds:
        return median
    return None


def prompt_growth(history: Sequence[tuple[int, int]], th: Thresholds) -> dict[str, Any] | None:
    """Whether prompt tokens grow faster than the conversation.

    ``history`` holds ``(prompt_tokens, message_count)`` of the run's calls in order. A
    conversation's prompt grows by what was added to it (the answer, tool results); when the
    prompt grows ``prompt_growth_factor`` times faster than the messages, by at least
    ``prompt_growth_min_tokens``, and it is sustained (each of the last two steps multiplied
    the prompt by ``prompt_growth_step``), something is re-sending or inflating context
    (history duplicated per turn, a tool dumping ever larger results, an unbounded memory).
    One large tool result makes the prompt jump once; that alone is not flagged.
    """
    if len(history) < 3:
        return None
    (first_tokens, first_messages), (prev_tokens, _), (tokens, messages) = (
        history[0],
        history[-2],
        history[-1],
    )
    before_prev = history[-3][0]
    if first_tokens <= 0 or first_messages <= 0 or messages <= 0:
        return None
    ratio = (tokens / first_tokens) / (messages / first_messages)
    step = th.prompt_growth_step
    sustained = (
        before_prev > 0
        and prev_tokens > 0
        and tokens >= prev_tokens * step
        and prev_tokens >= before_prev * step
    )
    if (
        ratio >= th.prompt_growth_factor
        and tokens - first_tokens >= th.prompt_growth_min_tokens
        and sustained
    ):
        return {
            "prompt_tokens": tokens,
            "first_prompt_tokens": first_tokens,
            "message_count": messages,
            "first_message_count": first_messages,
            "growth_ratio": round(ratio, 2),
        }
    return None
