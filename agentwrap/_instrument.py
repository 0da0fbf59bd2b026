"""``instrument()`` and ``uninstrument()``, the public doors to the composition root.

Patching is deferred with post-import hooks: a provider's patch is applied when its SDK is
first imported, or at once if it already is. ``instrument()`` therefore never imports an SDK
the application does not use (and costs microseconds, not the SDK's import time). What it
builds and installs is :mod:`agentwrap._setup`'s business.
"""

from __future__ import annotations

from typing import Any

from agentwrap import _setup
from agentwrap._config import load_config

__all__ = ["instrument", "instrumented_providers", "uninstrument"]


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

    Calling it again with other settings applies them (the previous outputs are flushed and
    closed) and says in one warning line what changed.

    Raises:
        TypeError: An unknown option, or an option of the wrong type (``max_turns="abc"``).
        ValueError: An unknown provider, or an option out of range (``max_turns=-1``); bad
            ``AGENTWRAP_*`` variables are not raised but reported and ignored.
    """
    config = load_config(**options)  # raises TypeError on unknown options: the caller's mistake
    _setup.setup(config, providers, tracer_provider, sinks, meter_provider, logger_provider)


def uninstrument() -> None:
    """Restore every SDK method agentwrap replaced, and flush and close its exporters."""
    _setup.teardown()


def instrumented_providers() -> list[str]:
    """The providers whose SDK is currently patched."""
    return _setup.patched_providers()
