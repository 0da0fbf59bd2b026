"""Where run summaries, events and spans go.

A sink is anything with ``emit(record)`` and ``close()``. A record is a plain JSON-ready dict
with a ``"type"`` key: ``"run.summary"``, ``"event"`` or ``"span"``. Sinks are called at run
close or from the span processor's background thread, never per LLM call on the caller's path.
"""

from __future__ import annotations

from typing import Any, Protocol

from agentwrap.sinks._jsonl import JsonlSink, JsonlSpanExporter
from agentwrap.sinks._list import ListSink
from agentwrap.sinks._logging import LoggingSink

__all__ = ["JsonlSink", "JsonlSpanExporter", "ListSink", "LoggingSink", "Sink"]


class Sink(Protocol):
    """Receives finished records."""

    def emit(self, record: dict[str, Any]) -> None:
        """Take one record; must not block for long or raise."""

    def close(self) -> None:
        """Flush and release resources."""
