"""A sink that keeps its records in a list: for tests, and for looking at records in a REPL."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ListSink"]


@dataclass
class ListSink:
    """A sink that keeps every record it is given, in order, in :attr:`records`.

    Pass it to ``agentwrap.instrument(sinks=[...])`` to read run summaries and warning events
    back in memory; :func:`agentwrap.testing.capture` uses one.

    Example:
        >>> sink = ListSink()
        >>> sink.emit({"type": "event", "name": "tool.repeated_calls"})
        >>> [record["name"] for record in sink.records]
        ['tool.repeated_calls']
    """

    records: list[dict[str, Any]] = field(default_factory=list)

    def emit(self, record: dict[str, Any]) -> None:
        """Keep the record."""
        self.records.append(record)

    def close(self) -> None:
        """Nothing to release: the records stay readable."""
