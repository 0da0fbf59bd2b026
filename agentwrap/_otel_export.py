"""Metric and log providers of agentwrap's own, exporting over OTLP from the standard variables.

Used only when the application gave none and set no global one. An OTLP endpoint must be
configured (``OTEL_EXPORTER_OTLP_ENDPOINT``, or the signal's own ``..._METRICS_ENDPOINT`` /
``..._LOGS_ENDPOINT``) or the signal's exporter named (``OTEL_METRICS_EXPORTER`` /
``OTEL_LOGS_EXPORTER`` = ``otlp``; ``none`` switches it off), and the ``otlp`` extra installed.
The protocol follows ``OTEL_EXPORTER_OTLP_PROTOCOL`` (``http/protobuf`` by default; ``grpc`` if
its exporter is installed). Exports run on the SDK's background threads; shutting down waits a
bounded time, so a collector that is down never holds the application up.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from typing import Any

from opentelemetry import metrics
from opentelemetry.sdk.resources import Resource

from agentwrap._exporters import exporter_names
from agentwrap._log import log

__all__ = ["logger_provider_from_env", "meter_provider_from_env", "otlp_configured", "shutdown_bounded"]


def otlp_configured(signal: str, env: Mapping[str, str] | None = None) -> bool:
    """Whether the OTEL_* variables ask for OTLP export of ``signal`` (``metrics``/``logs``)."""
    env = os.environ if env is None else env
    names = exporter_names(f"OTEL_{signal.upper()}_EXPORTER", ("otlp", "none"), env)
    if names:  # explicit: "otlp" exports (to the default endpoint if none is set), "none" does not
        return "otlp" in names
    return bool(
        env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get(f"OTEL_EXPORTER_OTLP_{signal.upper()}_ENDPOINT")
    )


def _grpc(signal: str) -> bool:
    protocol = os.environ.get(f"OTEL_EXPORTER_OTLP_{signal.upper()}_PROTOCOL") or os.environ.get(
        "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"
    )
    return protocol.strip().lower() == "grpc"


def _metric_exporter() -> Any:
    if _grpc("metrics"):
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
    else:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter  # type: ignore[assignment]
    return OTLPMetricExporter()


def _log_exporter() -> Any:
    if _grpc("logs"):
        from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
    else:
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter  # type: ignore[assignment]
    return OTLPLogExporter()


def meter_provider_from_env() -> tuple[Any, bool]:
    """The MeterProvider to record on, and whether agentwrap owns it (and must shut it down).

    The global one if the app set one; else an OTLP one of ours if configured; else the
    API's no-op global (the instruments then cost next to nothing)."""
    current = metrics.get_meter_provider()
    if type(current).__name__ != "_ProxyMeterProvider" or not otlp_configured("metrics"):
        return current, False
    try:
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

        reader = PeriodicExportingMetricReader(_metric_exporter())
    except ImportError:
        log.warning("agentwrap: OTLP metrics need the otlp extra: pip install 'agentwrap[otlp]'")
        return current, False
    # No atexit shutdown of the SDK's own (it retries an unreachable collector for its whole
    # timeout): agentwrap's exit hook shuts the Telemetry down within a bounded time.
    return MeterProvider(metric_readers=[reader], resource=Resource.create(), shutdown_on_exit=False), True


def logger_provider_from_env() -> Any:
    """A LoggerProvider of ours exporting over OTLP, if the variables ask for one (else None)."""
    if not otlp_configured("logs"):
        return None
    try:
        from opentelemetry.sdk._logs import LoggerProvider
        from opentelemetry.sdk._logs.export import BatchLogRecordProcessor

        processor = BatchLogRecordProcessor(_log_exporter())
    except ImportError:
        log.warning("agentwrap: OTLP logs need the otlp extra: pip install 'agentwrap[otlp]'")
        return None
    provider = LoggerProvider(resource=Resource.create(), shutdown_on_exit=False)  # see above
    provider.add_log_record_processor(processor)
    return provider


def shutdown_bounded(shutdown: Callable[[], Any], timeout_s: float = 3.0) -> bool:
    """Run ``shutdown`` on a daemon thread; wait at most ``timeout_s`` (an exporter retrying
    against a collector that is down must not hold up the application's exit)."""

    def target() -> None:
        try:
            shutdown()
        except Exception:  # noqa: BLE001 - shutting down an exporter must not raise into the app
            log.debug("agentwrap: exporter shutdown failed", exc_info=True)

    thread = threading.Thread(target=target, name="agentwrap-shutdown", daemon=True)
    thread.start()
    thread.join(timeout_s)
    return not thread.is_alive()
