"""Span exporters chosen by environment variables (for instrument() and the env-var hook alike).

They apply to the TracerProvider agentwrap builds for itself; an app that set up its own
provider also chose its own exporters.

- ``OTEL_TRACES_EXPORTER`` (``otlp``, ``console``, ``none``; comma-separated), or, when it is
  unset, an ``OTEL_EXPORTER_OTLP_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``: spans go
  to OTLP, configured by the standard ``OTEL_EXPORTER_OTLP_*`` variables (protocol, headers,
  timeout). Needs ``pip install 'agentwrap[otlp]'``.

The sinks the environment asks for (``AGENTWRAP_CONSOLE=1``) are built with the others by
:func:`agentwrap.sinks._factory.build_sinks`.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from typing import Any

__all__ = ["add_env_exporters"]

log = logging.getLogger("agentwrap")


def _exporter_names(env: Mapping[str, str]) -> set[str]:
    names = {n.strip().lower() for n in env.get("OTEL_TRACES_EXPORTER", "").split(",") if n.strip()}
    if not names and (
        env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    ):
        names.add("otlp")
    return names


def _otlp_exporter(env: Mapping[str, str]) -> Any:
    protocol = (
        env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
        or env.get("OTEL_EXPORTER_OTLP_PROTOCOL")
        or "http/protobuf"
    )
    try:
        if protocol.strip().lower() == "grpc":
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
        else:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # type: ignore[assignment]
                OTLPSpanExporter,
            )
    except ImportError:
        log.warning(
            "agentwrap: OTLP export asked for, but no exporter installed: pip install 'agentwrap[otlp]'"
        )
        return None
    return OTLPSpanExporter()


def add_env_exporters(provider: Any, env: Mapping[str, str] | None = None) -> None:
    """Add the span exporters the environment asks for to agentwrap's own provider."""
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    names = _exporter_names(os.environ if env is None else env)
    if "none" in names:
        return
    if "otlp" in names:
        exporter = _otlp_exporter(os.environ if env is None else env)
        if exporter is not None:
            provider.add_span_processor(BatchSpanProcessor(exporter))
    if "console" in names:
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter(out=sys.stderr)))
