"""The live configuration: tracer, sinks and settings shared by runs and calls.

There is one active :class:`Telemetry` at a time. ``instrument()`` builds it; code that runs
before ``instrument()`` (an ``agentwrap.run()`` with no instrumentation, say) gets a default
one built from the environment on first use.
"""

from __future__ import annotations

import threading
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from agentwrap._config import Config, load_config
from agentwrap._errors import guarded
from agentwrap.sinks import JsonlSink, JsonlSpanExporter, LoggingSink, Sink

__all__ = ["Telemetry", "get_telemetry", "set_telemetry"]

_VERSION = "0.1.0"


class Telemetry:
    """Tracer, sinks and config, built once per ``instrument()``."""

    def __init__(self, config: Config, tracer_provider: Any = None, sinks: list[Sink] | None = None) -> None:
        self.config = config
        self.sinks: list[Sink] = list(sinks or [])
        self.own_provider: TracerProvider | None = None
        # Processors added to a provider we do not own: shut down with us, since an SDK
        # provider cannot remove them (else they would keep writing after uninstrument()).
        self._processors: list[BatchSpanProcessor] = []
        self._jsonl: JsonlSink | None = JsonlSink(config.file) if config.file else None
        provider = tracer_provider or self._global_or_own_provider()
        if self._jsonl is not None:
            self._add_jsonl_exporter(provider, self._jsonl)
            self.sinks.append(self._jsonl)
        if config.log_summaries:
            self.sinks.append(LoggingSink())
        self.provider = provider
        self.tracer = provider.get_tracer("agentwrap", _VERSION)

    def _global_or_own_provider(self) -> Any:
        current = trace.get_tracer_provider()
        # A ProxyTracerProvider means the app set none: build a private one rather than
        # claiming the global slot, so an app that sets its own later is not refused.
        if not isinstance(current, trace.ProxyTracerProvider):
            return current
        self.own_provider = TracerProvider(resource=Resource.create())
        return self.own_provider

    def _add_jsonl_exporter(self, provider: Any, sink: JsonlSink) -> None:
        add = getattr(provider, "add_span_processor", None)
        if callable(add):
            processor = BatchSpanProcessor(JsonlSpanExporter(sink), schedule_delay_millis=500)
            add(processor)
            self._processors.append(processor)

    def emit(self, record: dict[str, Any]) -> None:
        """Hand a record to every sink; one failing sink does not stop the others."""
        for sink in self.sinks:
            guarded(sink.emit, record)

    def flush(self) -> None:
        """Push buffered spans out (our own provider, or the app's if it can)."""
        flush = getattr(self.provider, "force_flush", None)
        if callable(flush):
            guarded(flush, 2000)

    def shutdown(self) -> None:
        """Flush, stop our own provider and close the sinks."""
        self.flush()
        if self.own_provider is not None:
            guarded(self.own_provider.shutdown)
        for processor in self._processors:
            guarded(processor.shutdown)
        for sink in self.sinks:
            guarded(sink.close)


_lock = threading.Lock()
_active: Telemetry | None = None


def get_telemetry() -> Telemetry:
    """The active Telemetry, built from the environment on first use."""
    global _active
    current = _active
    if current is not None:
        return current
    with _lock:
        if _active is None:
            _active = Telemetry(load_config())
        return _active


def set_telemetry(telemetry: Telemetry | None) -> Telemetry | None:
    """Install a new active Telemetry and return the previous one."""
    global _active
    with _lock:
        previous, _active = _active, telemetry
    return previous
