"""Small helpers a translator or a patch asks the core through: settings, context, hashes."""

from __future__ import annotations

from typing import Any

from opentelemetry import trace

from agentwrap._call import in_traced_call
from agentwrap._hashing import prefix_digests
from agentwrap._log import log
from agentwrap._scope import current_run
from agentwrap._telemetry import get_telemetry

__all__ = ["capture_content", "conversation_hashes", "stand_in_span", "token_count"]


def conversation_hashes(instructions: Any, items: list[Any]) -> list[str] | None:
    """Prefix hashes for :attr:`LLMRequest.prefix_hashes`, or None when nothing needs them.

    They are only computed for calls outside any explicit run while implicit runs are on, so
    instrumented code that opens its own runs pays nothing for them.
    """
    if current_run() is not None or not get_telemetry().config.implicit_runs:
        return None
    head = [{"instructions": instructions}] if instructions else []
    return prefix_digests([*head, *items])  # incremental across the calls of a conversation


def capture_content() -> bool:
    """Whether message content may be recorded (the patch then fills messages/system/tools)."""
    return get_telemetry().config.capture_content


def stand_in_span() -> Any:
    """A span to hand an SDK that traces itself, in place of its own, while agentwrap traces the call.

    It records nothing (no second span, no second set of token counts) and carries the span
    context of agentwrap's call span, so the trace context the SDK propagates names agentwrap's
    span. None outside a call agentwrap traces (the SDK then makes its own span, as ever).
    """
    if not in_traced_call():
        return None
    context = trace.get_current_span().get_span_context()
    return trace.NonRecordingSpan(context) if context.is_valid else None


def token_count(value: Any, name: str) -> int | None:
    """A usage field of a response as a token count, or None: not recorded.

    Every translator reads usage through this, so an odd value from a proxy, a gateway or an
    OpenAI-compatible server never reaches the run's totals. A non-negative int is the count.
    What still says a whole number is coerced: an int-valued float (``12.0``, what a JSON
    re-encoder may make of a count) and a string of ASCII digits (``"12"``). Anything else (a
    bool, a negative number, a fraction, other text, an object) is dropped with one debug line
    naming the field; null is dropped silently (it is how APIs say "not reported").

    Args:
        value: The field's value as the SDK parsed it.
        name: The field's name in the provider's usage object, for the debug line.
    """
    if type(value) is int and value >= 0:  # the common case first: one check
        return value
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return int(value)
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    if isinstance(value, str) and value.isascii() and value.strip().isdigit():
        return int(value)
    log.debug("agentwrap: usage field %s=%.40r is not a token count; not recorded", name, value)
    return None
