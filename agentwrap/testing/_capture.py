"""Capture what agentwrap emits, in memory, for tests (ours and the users' own).

``with capture() as captured:`` instruments the SDKs with an in-memory span exporter and a
list sink, and uninstruments on exit. Like structlog's ``capture_logs``, it is meant for
assertions: ``captured.spans``, ``captured.summaries``, ``captured.events``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentwrap.sinks import ListSink

__all__ = ["Captured", "ListSink", "capture"]


@dataclass
class Captured:
    """What agentwrap emitted while :func:`capture` was active.

    Attributes:
        exporter: The in-memory exporter every finished span went to.
        sink: The :class:`~agentwrap.sinks.ListSink` that received the summary and event records.
        provider: The TracerProvider agentwrap was instrumented with.
    """

    exporter: InMemorySpanExporter
    sink: ListSink
    provider: TracerProvider

    @property
    def spans(self) -> list[ReadableSpan]:
        """Finished spans, in the order they ended."""
        return list(self.exporter.get_finished_spans())

    def spans_named(self, prefix: str) -> list[ReadableSpan]:
        """Finished spans whose name starts with ``prefix`` (``"chat"``, ...), in start order."""
        found = [s for s in self.spans if s.name.startswith(prefix)]
        return sorted(found, key=lambda s: s.start_time or 0)

    @property
    def records(self) -> list[dict[str, Any]]:
        """Every record the sinks received (``run.summary`` and ``event`` records), in order."""
        return list(self.sink.records)

    @property
    def summaries(self) -> list[dict[str, Any]]:
        """The ``summarized_metadata`` objects of the runs that closed (the seed's schema)."""
        return [r["summarized_metadata"] for r in self.sink.records if r.get("type") == "run.summary"]

    @property
    def events(self) -> list[dict[str, Any]]:
        """Warning event records (``tool.repeated_calls``, ``run.limit_reached``, ...)."""
        return [r for r in self.sink.records if r.get("type") == "event"]

    def clear(self) -> None:
        """Forget everything captured so far."""
        self.exporter.clear()
        self.sink.records.clear()


@contextmanager
def capture(**options: Any) -> Iterator[Captured]:
    """Instrument agentwrap with in-memory outputs for the ``with`` block, then uninstrument.

    Spans go to an in-memory exporter on a TracerProvider of their own, and run summaries and
    events to a :class:`~agentwrap.sinks.ListSink`; nothing is written anywhere else.
    ``options`` go to :func:`agentwrap.instrument` (``capture_content=True``,
    ``max_turns=3``, ...); ``log_summaries`` is off unless given.

    Example:
        >>> import agentwrap
        >>> from agentwrap.testing import capture
        >>> with capture() as captured:  # doctest: +SKIP
        ...     with agentwrap.run(name="airline-agent"):
        ...         run_my_agent(client)
        >>> captured.summaries[0]["total_number_of_turns"]  # doctest: +SKIP
        4
    """
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
