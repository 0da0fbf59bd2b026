"""The holder of the live configuration: tracer, metrics, sinks and settings of runs and calls.

Everything in agentwrap may import this module; it imports nothing that wires the process.
The composition root (:mod:`agentwrap._setup`) builds a :class:`Telemetry` (the providers, the
exporters and the sinks the configuration asks for, the run observers) and makes it the active
one; runs and calls only read it, and hand records to it.

Code that runs before ``instrument()`` (an ``agentwrap.run()`` with no instrumentation, say)
gets a default Telemetry on first use, built by the factory the root registers here with
:func:`set_default_factory`. The root does so when it is imported, and the public entry points
that can build that default import it first (see :mod:`agentwrap._setup`); the holder itself
never imports the root. Without a registered factory (a private module used on its own), the
default is a bare holder: the app's global tracer, no sinks, no observers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry import trace

from agentwrap._config import Config, load_config
from agentwrap._errors import guarded
from agentwrap._metrics import Metrics
from agentwrap._version import __version__
from agentwrap.sinks import Sink

__all__ = [
    "ObserverFactory",
    "Telemetry",
    "active_telemetry",
    "get_telemetry",
    "set_default_factory",
    "set_telemetry",
]

# Builds a run's observer (bounds, heuristics, detectors) from the run, or None for none. The
# run's type is not named here: the holder sits below the runs, which import it.
ObserverFactory = Callable[[Any], Any]


class Telemetry:
    """Tracer, metrics, sinks, config and run observers: what one ``instrument()`` set up.

    Attributes:
        config: The settings of runs and calls.
        provider: The TracerProvider the spans are made by (the app's, or one agentwrap built).
        tracer: agentwrap's tracer from ``provider``.
        sinks: Where summaries and events go, in order.
        metrics: The GenAI and run metrics (None when they could not be set up).
        observers: The factories a new run builds its observers from.
        implicit_tracker: The implicit runs of this Telemetry (:mod:`agentwrap._implicit` keeps
            its tracker here, so that both go away together after ``uninstrument()``).
    """

    def __init__(
        self,
        config: Config,
        tracer_provider: Any,
        sinks: Sequence[Sink] = (),
        metrics: Metrics | None = None,
        observers: Sequence[ObserverFactory] = (),
        closers: Sequence[Callable[[], object]] | None = None,
    ) -> None:
        """Hold what the composition root built.

        Args:
            config: The settings of runs and calls.
            tracer_provider: Where the tracer comes from.
            sinks: Where summaries and events go.
            metrics: The metrics to record on, if any.
            observers: The factories of each run's observers.
            closers: What :meth:`close` calls, in order, after flushing: the processors and
                providers built for this Telemetry alone, and the sinks' closing (default: each
                sink's ``close``).
        """
        self.config = config
        self.provider = tracer_provider
        self.tracer = tracer_provider.get_tracer("agentwrap", __version__)
        self.sinks: list[Sink] = list(sinks)
        self.metrics = metrics
        self.observers: list[ObserverFactory] = list(observers)
        self.implicit_tracker: Any = None
        self._closers = list(closers) if closers is not None else [sink.close for sink in self.sinks]

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
        flush = getattr(self.provider, "force_flush", None)  # the API's providers have none
        if callable(flush):
            guarded(flush, 2000)

    def close(self) -> None:
        """Flush, then release what this Telemetry holds (each closer once, in order)."""
        self.flush()
        closers, self._closers = self._closers, []
        for close in closers:
            guarded(close)


def _bare_telemetry() -> Telemetry:
    return Telemetry(load_config(), trace.get_tracer_provider())


_lock = threading.Lock()
_active: Telemetry | None = None
_default_factory: Callable[[], Telemetry] = _bare_telemetry


def get_telemetry() -> Telemetry:
    """The active Telemetry, built by the default factory on first use."""
    global _active
    current = _active
    if current is not None:
        return current
    with _lock:
        if _active is None:
            _active = _default_factory()
        return _active


def active_telemetry() -> Telemetry | None:
    """The active Telemetry if there is one (never builds it)."""
    return _active


def set_telemetry(telemetry: Telemetry | None) -> Telemetry | None:
    """Install a new active Telemetry and return the previous one."""
    global _active
    with _lock:
        previous, _active = _active, telemetry
    return previous


def set_default_factory(factory: Callable[[], Telemetry]) -> None:
    """Have :func:`get_telemetry` build the default Telemetry with ``factory``."""
    global _default_factory
    _default_factory = factory
