"""``instrument()`` and ``uninstrument()``.

Patching is deferred with post-import hooks: a provider's patch is applied when its SDK is
first imported, or at once if it already is. ``instrument()`` therefore never imports an SDK
the application does not use (and costs microseconds, not the SDK's import time).
"""

from __future__ import annotations

import importlib
import logging
import threading
from types import ModuleType
from typing import Any

import wrapt

from agentwrap._config import load_config
from agentwrap._errors import guarded, report_internal_error
from agentwrap._telemetry import Telemetry, set_telemetry

__all__ = ["instrument", "instrumented_providers", "uninstrument"]

log = logging.getLogger("agentwrap")

_lock = threading.RLock()
_enabled: set[str] = set()  # providers whose hook may patch
_patched: dict[str, ModuleType] = {}  # provider -> its patch module, once applied
_hooked: set[str] = set()  # SDK names with a registered post-import hook (never removed)
_settings: tuple[Any, ...] | None = None


def _providers() -> dict[str, tuple[str, str]]:
    providers: dict[str, tuple[str, str]] = importlib.import_module("agentwrap.patches").PROVIDERS
    return providers


def _apply(provider: str, patch_module_name: str, sdk: ModuleType) -> None:
    with _lock:
        if provider not in _enabled or provider in _patched:
            return
        patch = importlib.import_module(patch_module_name)
        if patch.install(sdk):
            _patched[provider] = patch
            log.debug("agentwrap: instrumented %s %s", provider, getattr(sdk, "__version__", "?"))


def _hook_for(provider: str, patch_module_name: str) -> Any:
    def hook(sdk: ModuleType) -> None:
        try:
            _apply(provider, patch_module_name, sdk)
        except Exception as exc:  # noqa: BLE001 - an import hook must not break the import
            report_internal_error(f"instrument {provider}", exc)

    return hook


def instrument(
    *,
    tracer_provider: Any = None,
    providers: list[str] | None = None,
    sinks: list[Any] | None = None,
    meter_provider: Any = None,
    logger_provider: Any = None,
    **options: Any,
) -> None:
    """Instrument the LLM SDKs (idempotent and thread-safe).

    Args:
        tracer_provider: The OTel TracerProvider to use. Default: the global one if the app set
            one, else a private one of agentwrap's.
        providers: Which SDKs to instrument (default: all known, e.g. ``["openai"]``).
        sinks: Extra sinks (objects with ``emit(record)`` and ``close()``) for run summaries
            and events, beside the logger and the JSONL file.
        meter_provider: The OTel MeterProvider for the GenAI and run metrics. Default: the
            global one if the app set one, else an OTLP one if ``OTEL_EXPORTER_OTLP_*`` asks.
        logger_provider: An OTel LoggerProvider to receive run summaries and events as log
            records. Default: an OTLP one if ``OTEL_EXPORTER_OTLP_*`` asks, else none.
        **options: Configuration (:class:`agentwrap.Config` fields such as ``file``,
            ``capture_content``, ``release``, ``result_max_chars``); unset ones come from
            ``AGENTWRAP_*`` variables.
    """
    global _settings
    config = load_config(**options)  # raises TypeError on unknown options: the caller's mistake
    known = _providers()
    wanted = list(known) if providers is None else providers
    unknown = [p for p in wanted if p not in known]
    if unknown:
        raise ValueError(f"agentwrap: unknown provider(s) {unknown}; known: {sorted(known)}")
    with _lock:
        providers_given = (tracer_provider, meter_provider, logger_provider)
        settings = (config, tuple(wanted), tuple(sinks or ()), *providers_given)
        if settings != _settings:
            telemetry = Telemetry(config, tracer_provider, sinks, meter_provider, logger_provider)
            previous = set_telemetry(telemetry)
            if previous is not None:
                guarded(previous.shutdown)
            _settings = settings
        for provider in wanted:
            _enabled.add(provider)
            sdk_name, patch_module_name = known[provider]
            if sdk_name not in _hooked:
                _hooked.add(sdk_name)
                wrapt.register_post_import_hook(_hook_for(provider, patch_module_name), sdk_name)
            else:
                import sys

                if sdk_name in sys.modules:
                    _hook_for(provider, patch_module_name)(sys.modules[sdk_name])


def uninstrument() -> None:
    """Restore every SDK method agentwrap replaced, and flush and close its exporters."""
    global _settings
    with _lock:
        _enabled.clear()
        for provider, patch in list(_patched.items()):
            guarded(patch.uninstall)
            del _patched[provider]
        previous = set_telemetry(None)
        _settings = None
    if previous is not None:
        guarded(previous.shutdown)


def instrumented_providers() -> list[str]:
    """The providers whose SDK is currently patched."""
    with _lock:
        return sorted(_patched)
