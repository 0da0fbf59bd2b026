"""The provider kit: everything a patch module in ``agentwrap.patches`` may use of the core.

A patch finds an SDK's methods, wraps them, and translates the SDK's request, response and
stream objects into :mod:`agentwrap.records`. It talks to the core only through the names
below, so adding a provider (Mistral, Gemini, Bedrock, ...) is one new patch module and no
edit to the core.
"""

from __future__ import annotations

from typing import Any

from agentwrap._call import Call, in_traced_call, start_call
from agentwrap._errors import guarded, report_internal_error
from agentwrap._hashing import (
    canonical_json,
    fold_items,
    prefix_digests,
    sha256_hex,
    sha256_hex_items,
    sha256_hex_memo,
)
from agentwrap._run import current_run
from agentwrap._stream import AsyncStreamProxy, StreamAccumulator, SyncStreamProxy
from agentwrap._telemetry import get_telemetry
from agentwrap._tokens import count_tokens
from agentwrap.records import LLMRequest, LLMResponse, ToolCallRequest, ToolResult, Usage


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


__all__ = [
    "AsyncStreamProxy",
    "Call",
    "LLMRequest",
    "LLMResponse",
    "StreamAccumulator",
    "SyncStreamProxy",
    "ToolCallRequest",
    "ToolResult",
    "Usage",
    "canonical_json",
    "capture_content",
    "conversation_hashes",
    "count_tokens",
    "fold_items",
    "guarded",
    "in_traced_call",
    "report_internal_error",
    "sha256_hex",
    "sha256_hex_items",
    "sha256_hex_memo",
    "start_call",
]
