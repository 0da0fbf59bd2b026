"""Where run summaries, events and spans go.

A sink is anything with ``emit(record)`` and ``close()``. A record is a plain JSON-ready dict
with a ``"type"`` key: ``"run.summary"``, ``"event"`` or ``"span"``. Sinks are called at run
close or from the span processor's background thread, never per LLM call on the caller's path.

Every built-in sink is here: :class:`JsonlSink` (the JSONL file; its spans through
:class:`JsonlSpanExporter`), :class:`LoggingSink` (the ``agentwrap`` logger),
:class:`StoreSink` (a run store; its spans through :class:`StoreSpanExporter`), OTel log
records (``_otel_logs``), :class:`ConsoleSink` (stderr) and :class:`ListSink` (memory, for
tests). ``_factory.build_sinks`` builds the ones a configuration asks for; the JSONL file and
the run store are written by one kind of bounded background writer (``_writer``), so that no
file or database I/O happens on the application's thread.
"""

from __future__ import annotations

from typing import Any, Protocol

from agentwrap.sinks._console import ConsoleSink
from agentwrap.sinks._jsonl import JsonlSink, JsonlSpanExporter
from agentwrap.sinks._list import ListSink
from agentwrap.sinks._logging import LoggingSink
from agentwrap.sinks._store import StoreSink, StoreSpanExporter

__all__ = [
    "ConsoleSink",
    "JsonlSink",
    "JsonlSpanExporter",
    "ListSink",
    "LoggingSink",
    "Sink",
    "StoreSink",
    "StoreSpanExporter",
]


class Sink(Protocol):
    """Receives finished records."""

    def emit(self, record: dict[str, Any]) -> None:
        """Take one record; must not block for long or raise."""

    def close(self) -> None:
        """Flush and release resources."""
