"""The sinks a configuration asks for, built in one place (the composition root calls this).

Spans are not sinks' business except for two outputs that keep spans beside the summaries: the
JSONL file and the run store each come with a span exporter, which the caller puts behind a
batch processor on its tracer provider.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.sdk.trace.export import SpanExporter

from agentwrap._config import Config
from agentwrap._errors import guarded
from agentwrap.sinks import Sink
from agentwrap.sinks._console import ConsoleSink, console_requested
from agentwrap.sinks._jsonl import JsonlSink, JsonlSpanExporter
from agentwrap.sinks._logging import LoggingSink
from agentwrap.sinks._otel_logs import OtelLogSink

__all__ = ["BuiltSinks", "build_sinks"]


@dataclass
class BuiltSinks:
    """The sinks built for one configuration, in the order records reach them, and the span
    exporters that feed two of them (the JSONL file's and the run store's)."""

    sinks: list[Sink] = field(default_factory=list)
    span_exporters: list[SpanExporter] = field(default_factory=list)


def _add_store(config: Config, built: BuiltSinks) -> None:
    # Imported here: the store modules are not needed unless a run store is asked for.
    from agentwrap.sinks._store import StoreSink, StoreSpanExporter
    from agentwrap.store import open_store, store_target

    target = store_target(config.store)
    if target is not None:
        sink = StoreSink(open_store(target))
        built.sinks.append(sink)
        built.span_exporters.append(StoreSpanExporter(sink))


def build_sinks(
    config: Config,
    *,
    logger_provider: Any = None,
    owns_logger_provider: bool = False,
    env: Mapping[str, str] | None = None,
) -> BuiltSinks:
    """The sinks ``config`` and the environment ask for, in this order.

    1. The JSONL file (``file``), with the span exporter that writes the spans into it.
    2. The ``agentwrap`` logger (``log_summaries``).
    3. The run store (``store``), with the span exporter that gives the dashboard its waterfall.
    4. OTel log records on ``logger_provider`` when there is one (shut down at close, within a
       bounded time, when ``owns_logger_provider``).
    5. stderr, one JSON line a record, when ``AGENTWRAP_CONSOLE`` (in ``env``, default
       ``os.environ``) says so.

    An output that cannot be built is left out (the error is logged) and the others are built.
    """
    built = BuiltSinks()
    if config.file:
        jsonl = JsonlSink(config.file)
        built.sinks.append(jsonl)
        built.span_exporters.append(JsonlSpanExporter(jsonl))
    if config.log_summaries:
        built.sinks.append(LoggingSink())
    guarded(_add_store, config, built)
    if logger_provider is not None:
        sink = guarded(OtelLogSink, logger_provider, owns_logger_provider)
        if sink is not None:
            built.sinks.append(sink)
    if guarded(console_requested, env):
        built.sinks.append(ConsoleSink())
    return built
