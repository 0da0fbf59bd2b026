"""Capture what agentwrap emits, in memory, for tests (ours and the users' own).

``with capture() as captured:`` instruments the SDKs with an in-memory span exporter and a
list sink, and uninstruments on exit. Like structlog's ``capture_logs``, it is meant for
assertions: ``captured.spans``, ``captured.summaries``, ``captured.events``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

__all__ = ["Captured", "ListSink", "capture"]


@dataclass
class ListSink:
    """A sink that keeps every record it is given."""

    records: list[dict[str, Any]] = field(default_factory=list)

    def emit(self, record: dict[str, Any]) -> None:
        """Keep the record."""
        self.records.append(record)

    def close(self) -> None:
        """Nothing to release."""


@dataclass
class Captured:
    """What was emitted while capturing."""

    exporter: InMemorySpanExporter
    sink: ListSink
    provider: TracerProvider

    @property
    def spans(self) -> list[ReadableSpan]:
        """Finished spans, in the order they ended."""
        return list(self.exporter.get_finished_spans())

    def spans_named(self, prefix: str) -> list[ReadableSpan]:
        """Finished spans whose name starts with ``prefix``, in start order."""
        found = [s for s in self.spans if s.name.startswith(prefix)]
        return sorted(found, key=lambda s: s.start_time or 0)

    @property
    def records(self) -> list[dict[str, Any]]:
        """Every record the sinks received (summaries and events)."""
        return list(self.sink.records)

    @property
    def summaries(self) -> list[dict[str, Any]]:
        """The ``summarized_metadata`` objects of the runs that closed."""
        return [r["summarized_metadata"] for r in self.sink.records if r.get("type") == "run.summary"]

    @property
    def events(self) -> list[dict[str, Any]]:
        """Warning event records."""
        return [r for r in self.sink.records if r.get("type") == "event"]

    def clear(self) -> None:
        """Forget everything captured so far."""
        self.exporter.clear()
        self.sink.records.clear()


@contextmanager
def capture(**options: Any) -> Iterator[Captured]:
    """Instrument with in-memory outputs; ``options`` go to ``agentwrap.instrument()``."""
    import agentwrap

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    sink = ListSink()
    options.setdefault("log_summaries", False)
    agentwrap.instrument(tracer_provider=provider, sinks=[sink], **options)
    try:
        yield Captured(exporter, sink, provider)
    finally:
        agentwrap.uninstrument()
