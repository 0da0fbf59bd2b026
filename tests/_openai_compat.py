"""What the installed openai SDK offers, so one test-suite runs on openai 1.x, 2.x and 3.x.

The Responses API appeared in openai 1.66; ``chat.completions.parse`` / ``stream()`` lived
under ``client.beta`` before 1.92. Tests that need a surface the SDK lacks are skipped with
a reason, never failed.
"""

from __future__ import annotations

import importlib.util
import logging
from typing import Any

import openai
import pytest
from opentelemetry.sdk.trace import ReadableSpan

__all__ = [
    "HAS_RESPONSES",
    "chat_completions_helpers",
    "double_end_warnings",
    "requires_responses",
]

HAS_RESPONSES = importlib.util.find_spec("openai.resources.responses") is not None

requires_responses = pytest.mark.skipif(
    not HAS_RESPONSES, reason=f"the Responses API needs openai>=1.66 (installed: {openai.__version__})"
)


def chat_completions_helpers(client: Any) -> Any:
    """The resource with ``parse()`` and ``stream()``: ``chat.completions`` or, before openai
    1.92, ``beta.chat.completions``."""
    completions = client.chat.completions
    if hasattr(completions, "parse") and hasattr(completions, "stream"):
        return completions
    return client.beta.chat.completions


def double_end_warnings(records: list[logging.LogRecord]) -> list[str]:
    """OTel's SDK logs (and otherwise ignores) a second ``end()`` of a span: find those."""
    return [r.getMessage() for r in records if "ended span" in r.getMessage()]


def attrs(span: ReadableSpan) -> dict[str, Any]:
    """A span's attributes as a plain dict."""
    return dict(span.attributes or {})
