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
from agentwrap._metrics import Metrics
from agentwrap._otel_export import logger_provider_from_env, meter_provider_from_env, shutdown_bounded
from agentwrap._version import __version__
from agentwrap.sinks import JsonlSink, JsonlSpanExporter, LoggingSink, Sink
from agentwrap.sinks._otel_logs import OtelLogSink

__all__ = ["Telemetry", "get_telemetry", "set_telemetry"]


class Telemetry:
    """Tracer, sinks and config, built once per ``instrument()``."""

    def __init__(
        self,
        config: Config,
        tracer_provider: Any = None,
        sinks: list[Sink] | None = None,
        meter_provider: Any = None,
        logger_provider: Any = None,
    ) -> None:
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
        self._own_meter_provider: Any = None
        self.metrics = self._build_metrics(meter_provider)
        guarded(self._add_record_exports, config, logger_provider, provider)
        self._add_env_outputs()
        self.provider = provider
        self.tracer = provider.get_tracer("agentwrap", __version__)

    def _add_env_outputs(self) -> None:
        # Span exporters from OTEL_* variables (our own provider only: an app that set its own
        # chose its exporters), console summaries, the exit/SIGTERM hooks, executor threads.
        from agentwrap import _exit, _exporters, _propagate

        if self.own_provider is not None:
            guarded(_exporters.add_env_exporters, self.own_provider)
        self.sinks.extend(guarded(_exporters.env_sinks) or [])
        guarded(_exit.install)
        guarded(_propagate.install)
        # first_seen: its background thread starts loading the file now, not at the first warning.
        from agentwrap.detect._live import live_first_seen

        guarded(live_first_seen, self.config.store)

    def _global_or_own_provider(self) -> Any:
        current = trace.get_tracer_provider()
        # A ProxyTracerProvider means the app set none: build a private one rather than
        # claiming the global slot, so an app that sets its own later is not refused.
        if not isinstance(current, trace.ProxyTracerProvider):
            return current
        # No atexit shutdown of its own: agentwrap's exit hook flushes it within a bounded
        # time, after the open runs have closed (an unreachable exporter must not hold exit).
        self.own_provider = TracerProvider(resource=Resource.create(), shutdown_on_exit=False)
        return self.own_provider

    def _add_jsonl_exporter(self, provider: Any, sink: JsonlSink) -> None:
        add = getattr(provider, "add_span_processor", None)
        if callable(add):
            processor = BatchSpanProcessor(JsonlSpanExporter(sink), schedule_delay_millis=500)
            add(processor)
            self._processors.append(processor)

    def _build_metrics(self, meter_provider: Any) -> Metrics | None:
        if meter_provider is None:
            meter_provider, owned = guarded(meter_provider_from_env) or (None, False)
            self._own_meter_provider = meter_provider if owned else None
        return guarded(Metrics, meter_provider)

    def _add_record_exports(self, config: Config, logger_provider: Any, tracer_provider: Any) -> None:
        # The run store (summaries, events, and spans for the waterfall) and OTel log records:
        # where summaries and events go beyond the file.
        from agentwrap.store import StoreSink, StoreSpanExporter, open_store, store_target

        target = store_target(config.store)
        if target is not None:
            store_sink = StoreSink(open_store(target))
            self.sinks.append(store_sink)
            add = getattr(tracer_provider, "add_span_processor", None)
            if callable(add):
                processor = BatchSpanProcessor(StoreSpanExporter(store_sink), schedule_delay_millis=500)
                add(processor)
                self._processors.append(processor)
        owned = logger_provider is None
        provider = logger_provider or logger_provider_from_env()
        if provider is not None:
            self.sinks.append(OtelLogSink(provider, owned=owned))

    def record_call(self, *args: Any) -> None:
        """Metrics of one finished LLM call (see :meth:`Metrics.record_call`)."""
        if self.metrics is not None:
            self.metrics.record_call(*args)

    def emit(self, record: dict[str, Any]) -> None:
        """Hand a record to every sink; one failing sink does not stop the others."""
        if self.metrics is not None:
            guarded(self.metrics.record, record)
        for sink in self.sinks:
            guarded(sink.emit, record)

    def flush(self) -> None:
        """Push buffered spans out (our own provider, or the app's if it can)."""
        flush = getattr(self.provider, "force_flush", None)
        if callable(flush):
            guarded(flush, 2000)

    def shutdown(self) -> None:
        """Close the implicit runs, flush, stop our own provider and close the sinks."""
        from agentwrap._implicit import close_implicit_runs

        guarded(close_implicit_runs, self, True)
        self.flush()
        if self.own_provider is not None:
            guarded(self.own_provider.shutdown)
        for processor in self._processors:
            guarded(processor.shutdown)
        for sink in self.sinks:
            if isinstance(sink, OtelLogSink) and sink.owned:
                shutdown_bounded(sink.close)  # a collector that is down must not hold up exit
            else:
                guarded(sink.close)
        if self._own_meter_provider is not None:
            shutdown_bounded(self._own_meter_provider.shutdown)
        from agentwrap.detect._live import flush_all

        guarded(flush_all, 0.3)  # the first_seen sightings still queued for their file


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
