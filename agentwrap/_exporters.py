"""Span exporters chosen by environment variables (for instrument() and the env-var hook alike).

They apply to the TracerProvider agentwrap builds for itself; an app that set up its own
provider also chose its own exporters.

- ``OTEL_TRACES_EXPORTER`` (``otlp``, ``console``, ``none``; comma-separated), or, when it is
  unset, an ``OTEL_EXPORTER_OTLP_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``: spans go
  to OTLP, configured by the standard ``OTEL_EXPORTER_OTLP_*`` variables (protocol, headers,
  timeout). Needs ``pip install 'agentwrap[otlp]'``.

A name agentwrap does not know in one of the ``OTEL_*_EXPORTER`` variables it reads (here, and
the metrics and logs ones in :mod:`agentwrap._otel_export`) costs one warning line on the
``agentwrap`` logger, once per process, and is ignored as if it were not there.

The sinks the environment asks for (``AGENTWRAP_CONSOLE=1``) are built with the others by
:func:`agentwrap.sinks._factory.build_sinks`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

from agentwrap._log import log

__all__ = ["add_env_exporters", "exporter_names"]

_TRACES_EXPORTERS = ("otlp", "console", "none")
_warned: set[tuple[str, str]] = set()  # (variable, value) already reported


def exporter_names(variable: str, accepted: tuple[str, ...], env: Mapping[str, str]) -> set[str]:
    """The exporter names in ``variable`` (comma-separated) among ``accepted``.

    Args:
        variable: An ``OTEL_*_EXPORTER`` variable.
        accepted: The names agentwrap acts on; any other costs one warning line (once per
            value and process) and is ignored.
        env: The environment.
    """
    raw = env.get(variable, "")
    names = {name.strip().lower() for name in raw.split(",") if name.strip()}
    unknown = sorted(names.difference(accepted))
    if unknown and (variable, raw) not in _warned:
        _warned.add((variable, raw))
        log.warning(
            "agentwrap: %s=%r: %s ignored (agentwrap accepts %s)",
            variable,
            raw,
            ", ".join(repr(name) for name in unknown),
            ", ".join(accepted),
        )
    return names.intersection(accepted)


def _exporter_names(env: Mapping[str, str]) -> set[str]:
    names = exporter_names("OTEL_TRACES_EXPORTER", _TRACES_EXPORTERS, env)
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
