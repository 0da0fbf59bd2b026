"""The arithmetic of the built-in heuristics: pure functions over what a run has seen.

Exported by :mod:`agentwrap.detect.heuristics`; each takes the values it judges and the run's
:class:`~agentwrap.detect.Thresholds`, and keeps no state.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentwrap.detect._heuristic import Thresholds

__all__ = [
    "TRUNCATION_REASONS",
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
# What such a text can start with below U+0080 (whitespace included): most results start
# otherwise, and need not run the expression.
_ERROR_STARTS = frozenset('{"eEfFtT \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f')


def looks_like_error(text: str | None) -> bool:
    """Whether a tool result reads as an error (``Error: ...``, ``{"error": ...}``, a traceback).

    OpenAI's tool messages have no error flag, so the text is all there is; Anthropic's
    ``is_error`` is used as is by the caller.
    """
    if not text:
        return False
    first = text[0]
    if first not in _ERROR_STARTS and (first < "\x80" or not first.isspace()):
        return False
    return _ERROR_TEXT.match(text) is not None


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
