"""The composition root: agentwrap's process wiring, in one place.

From the configuration and the environment it builds the :class:`~agentwrap._telemetry.Telemetry`
that runs and calls use (the tracer provider, the JSONL and store span exporters, the sinks,
the OTel log records, the ``OTEL_*`` exporters, the meter provider, the run observers), makes
it the active one, installs the exit/SIGTERM and context-propagation hooks, starts the
first_seen loader, and applies the SDK patches. ``instrument()``, ``uninstrument()`` and the
``AGENTWRAP_AUTO_INSTRUMENT`` hook all come through here; at shutdown it closes the implicit
runs, the Telemetry and the first_seen writer, in that order.

Nothing below imports this module. The Telemetry built on first use (an ``agentwrap.run()``
before any ``instrument()``) must be wired like the others, yet the holder that builds it on
demand sits below the root: so the root registers its factory into the holder when it is
imported (:func:`~agentwrap._telemetry.set_default_factory`), and every entry point that can
lead to that first use imports the root beforehand: ``instrument()`` and the env-var hook by
their own import of it, ``agentwrap.run`` through the package's lazy names (``agentwrap``'s
``__getattr__``). That keeps ``import agentwrap`` as cheap as it was, and the dependency
pointing one way only: the root knows the holder, the holder knows a factory.
"""

from __future__ import annotations

import functools
import importlib
import sys
import threading
import weakref
from collections.abc import Callable, Iterable, Sequence
from types import ModuleType
from typing import Any

import wrapt
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

from agentwrap import _exit, _exporters, _propagate
from agentwrap._config import Config, config_changes, load_config
from agentwrap._errors import guarded, report_internal_error
from agentwrap._implicit import close_implicit_runs
from agentwrap._log import log
from agentwrap._metrics import Metrics
from agentwrap._open_runs import open_runs
from agentwrap._otel_export import logger_provider_from_env, meter_provider_from_env, shutdown_bounded
from agentwrap._patch_table import patch_table
from agentwrap._telemetry import Telemetry, active_telemetry, set_default_factory, set_telemetry
from agentwrap.detect._observers import OBSERVERS
from agentwrap.sinks import Sink
from agentwrap.sinks._factory import build_sinks
from agentwrap.store._first_seen_live import flush_all, live_first_seen

__all__ = ["build_telemetry", "patched_providers", "setup", "setup_auto", "shutdown", "teardown"]


# -- building a Telemetry ----------------------------------------------------------------------


class _Outputs:
    """The sinks of one Telemetry being built, and what stops each output, in order."""

    def __init__(self, sinks: Iterable[Sink]) -> None:
        self.sinks: list[Sink] = list(sinks)
        # Providers and span processors stop first, so that their last spans reach the sinks;
        # then the sinks close; the meter provider last.
        self.stops: list[Callable[[], object]] = []
        self.sink_closers: list[Callable[[], object]] = [sink.close for sink in self.sinks]
        self.last: list[Callable[[], object]] = []
        # The application's providers written to: their shutdown closes our runs first.
        self.foreign: list[Any] = []

    def add_sink(self, sink: Sink) -> None:
        self.sinks.append(sink)
        self.sink_closers.append(sink.close)

    def add_span_exporter(self, provider: Any, exporter: SpanExporter) -> None:
        # A provider we do not own is not shut down by us, and an SDK provider cannot remove
        # a processor: stopping it is what keeps it from writing after uninstrument().
        add = getattr(provider, "add_span_processor", None)  # the API's providers have none
        if callable(add):
            processor = BatchSpanProcessor(exporter, schedule_delay_millis=500)
            add(processor)
            self.stops.append(processor.shutdown)

    def closers(self) -> list[Callable[[], object]]:
        return [*self.stops, *self.sink_closers, *self.last]


def _own_provider_unless_global(out: _Outputs) -> tuple[Any, TracerProvider | None]:
    current = trace.get_tracer_provider()
    # A ProxyTracerProvider means the app set none: build a private one rather than claiming
    # the global slot, so an app that sets its own later is not refused.
    if not isinstance(current, trace.ProxyTracerProvider):
        out.foreign.append(current)
        return current, None
    # No atexit shutdown of its own: agentwrap's exit hook flushes it within a bounded time,
    # after the open runs have closed (an unreachable exporter must not hold exit).
    own = TracerProvider(resource=Resource.create(), shutdown_on_exit=False)
    out.stops.append(own.shutdown)
    return own, own


def _metrics(meter_provider: Any, out: _Outputs) -> Metrics | None:
    owned = False
    if meter_provider is None:
        meter_provider, owned = guarded(meter_provider_from_env) or (None, False)
        if owned:  # a collector that is down must not hold up exit
            out.last.append(functools.partial(shutdown_bounded, meter_provider.shutdown))
    if not owned and meter_provider is not None:
        out.foreign.append(meter_provider)
    return guarded(Metrics, meter_provider)


def _logger_provider(logger_provider: Any) -> tuple[Any, bool]:
    """The app's LoggerProvider, else an OTLP one of ours if the environment asks for one (and
    whether it is ours, to shut down at close)."""
    if logger_provider is not None:
        return logger_provider, False
    return guarded(logger_provider_from_env), True


def build_telemetry(
    config: Config,
    tracer_provider: Any = None,
    sinks: Sequence[Sink] | None = None,
    meter_provider: Any = None,
    logger_provider: Any = None,
) -> Telemetry:
    """Build a Telemetry from ``config`` and the environment (``instrument()``'s arguments)."""
    out = _Outputs(sinks or ())
    own: TracerProvider | None = None
    if tracer_provider is None:
        tracer_provider, own = _own_provider_unless_global(out)
    else:
        out.foreign.append(tracer_provider)
    metrics = _metrics(meter_provider, out)
    logs, owns_logs = _logger_provider(logger_provider)
    if not owns_logs:
        out.foreign.append(logs)
    built = build_sinks(config, logger_provider=logs, owns_logger_provider=owns_logs)
    for exporter in built.span_exporters:  # the JSONL file's and the run store's spans
        out.add_span_exporter(tracer_provider, exporter)
    for sink in built.sinks:
        out.add_sink(sink)
    if own is not None:  # OTEL_* span exporters: an app that set its own provider chose its own
        guarded(_exporters.add_env_exporters, own)
    telemetry = Telemetry(config, tracer_provider, out.sinks, metrics, OBSERVERS, out.closers())
    for provider in out.foreign:
        guarded(_exit.before_shutdown, provider, functools.partial(_close_runs_of, weakref.ref(telemetry)))
    return telemetry


def _close_runs_of(telemetry_ref: weakref.ref[Telemetry]) -> None:
    """A provider of the application's that a Telemetry writes to is shutting down: the
    Telemetry's open runs close now, while their root spans and summaries can still get out."""
    telemetry = telemetry_ref()
    if telemetry is None:
        return
    guarded(close_implicit_runs, telemetry)
    for run in open_runs():
        if getattr(run, "telemetry", None) is telemetry:
            guarded(run.close)


def _wire_process(config: Config) -> None:
    guarded(_exit.install, _finish_process)
    guarded(_propagate.install)
    # first_seen: its background thread starts loading the file now, not at the first warning.
    guarded(live_first_seen, config.store)


def _default_telemetry() -> Telemetry:
    """The Telemetry of runs and calls made before any ``instrument()``: from the environment."""
    telemetry = build_telemetry(load_config())
    _wire_process(telemetry.config)
    return telemetry


set_default_factory(_default_telemetry)


# -- shutting down -----------------------------------------------------------------------------


def shutdown(telemetry: Telemetry) -> None:
    """Close the Telemetry's implicit runs, then the Telemetry, then flush first_seen."""
    guarded(close_implicit_runs, telemetry, True)
    telemetry.close()
    guarded(flush_all, 0.3)  # the first_seen sightings still queued for their file


def _finish_process() -> None:
    """At exit or SIGTERM: every open run writes its summary, then the active Telemetry closes."""
    guarded(close_implicit_runs)
    for run in open_runs():
        guarded(run.close)
    telemetry = active_telemetry()
    if telemetry is not None:  # flush spans, metrics and log records; stop the exporters
        guarded(shutdown, telemetry)


# -- the SDK patches ---------------------------------------------------------------------------

_lock = threading.RLock()
_enabled: set[str] = set()  # providers whose hook may patch
_patched: dict[str, ModuleType] = {}  # provider -> its patch module, once applied
_hooked: set[str] = set()  # SDK names with a registered post-import hook (never removed)
_settings: tuple[Any, ...] | None = None  # what the active Telemetry was built from


def _apply(provider: str, patch_module_name: str, sdk: ModuleType) -> None:
    with _lock:
        if provider not in _enabled or provider in _patched:
            return
        patch = importlib.import_module(patch_module_name)
        if patch.install(sdk):
            _patched[provider] = patch
            log.debug("agentwrap: instrumented %s %s", provider, getattr(sdk, "__version__", "?"))


def _hook_for(provider: str, patch_module_name: str) -> Callable[[ModuleType], None]:
    def hook(sdk: ModuleType) -> None:
        try:
            _apply(provider, patch_module_name, sdk)
        except Exception as exc:  # noqa: BLE001 - an import hook must not break the import
            report_internal_error(f"instrument {provider}", exc)

    return hook


def _enable(providers: Iterable[str], known: dict[str, tuple[str, str]]) -> None:
    """Patch each provider's SDK when it is first imported, or now if it already is."""
    with _lock:
        for provider in providers:
            _enabled.add(provider)
            sdk_name, patch_module_name = known[provider]
            if sdk_name not in _hooked:
                _hooked.add(sdk_name)
                wrapt.register_post_import_hook(_hook_for(provider, patch_module_name), sdk_name)
            elif sdk_name in sys.modules:  # hooked before, then uninstrumented: patch again
                _hook_for(provider, patch_module_name)(sys.modules[sdk_name])


def setup(
    config: Config,
    providers: Sequence[str] | None = None,
    tracer_provider: Any = None,
    sinks: Sequence[Sink] | None = None,
    meter_provider: Any = None,
    logger_provider: Any = None,
) -> None:
    """What ``instrument()`` does: a Telemetry for these settings (unless it is the active
    one already), and the providers' SDKs patched. Raises ValueError on an unknown provider."""
    global _settings
    known = patch_table()
    wanted = list(known) if providers is None else list(providers)
    unknown = [p for p in wanted if p not in known]
    if unknown and known:  # (no patches at all: said once already, and nothing is patched)
        raise ValueError(f"agentwrap: unknown provider(s) {unknown}; known: {sorted(known)}")
    with _lock:
        outputs = (tracer_provider, meter_provider, logger_provider)
        settings = (config, tuple(wanted), tuple(sinks or ()), *outputs)
        if settings != _settings:
            if _settings is not None:
                _say_what_changed(_settings, settings)
            telemetry = build_telemetry(config, tracer_provider, sinks, meter_provider, logger_provider)
            _wire_process(config)
            previous = set_telemetry(telemetry)
            if previous is not None:
                guarded(shutdown, previous)
            _settings = settings
        _enable([p for p in wanted if p in known], known)


_OUTPUT_NAMES = ("providers", "sinks", "tracer_provider", "meter_provider", "logger_provider")


def _say_what_changed(before: tuple[Any, ...], after: tuple[Any, ...]) -> None:
    """One line when instrument() is called again with other settings: they apply, and what
    they change is said (a JSONL file no longer written above all), never silently."""
    changes = [
        f"{name}: {old!r} -> {new!r}" + (" (no longer written)" if name == "file" and old else "")
        for name, old, new in config_changes(before[0], after[0])
    ]
    changes += [
        f"{name} changed"
        for name, old, new in zip(_OUTPUT_NAMES, before[1:], after[1:], strict=True)
        if old != new
    ]
    log.warning(
        "agentwrap: instrument() called again with other settings, which now apply: %s", "; ".join(changes)
    )


def setup_auto() -> None:
    """What ``AGENTWRAP_AUTO_INSTRUMENT`` does at the first SDK import: every provider's
    patch hooked, and the exit hooks. The Telemetry itself is built at the first call or run,
    so a TracerProvider the app sets up meanwhile is the one used."""
    known = patch_table()
    _enable(known, known)
    _exit.install(_finish_process)


def teardown() -> None:
    """What ``uninstrument()`` does: every patch undone, the active Telemetry shut down."""
    global _settings
    with _lock:
        _enabled.clear()
        for provider, patch in list(_patched.items()):
            guarded(patch.uninstall)
            del _patched[provider]
        previous = set_telemetry(None)
        _settings = None
    if previous is not None:
        guarded(shutdown, previous)


def patched_providers() -> list[str]:
    """The providers whose SDK is currently patched."""
    with _lock:
        return sorted(_patched)
