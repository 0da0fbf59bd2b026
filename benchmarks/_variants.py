"""The variants compared: the bare SDK, agentwrap, and the peer instrumentations from PyPI.

Every variant gets the same OTel pipeline: a ``TracerProvider`` with a ``SimpleSpanProcessor``
into an ``InMemorySpanExporter``. Instrumentors patch globally, so each variant lives in its
own worker process (see :mod:`benchmarks._worker`).
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from typing import Any

__all__ = ["FLOOR", "PEERS", "VARIANTS", "Peer", "setup_variant"]


@dataclass(frozen=True)
class Peer:
    """One peer instrumentor: the PyPI package, its module and its Instrumentor class."""

    provider: str
    package: str
    module: str
    cls: str


PEERS: dict[str, list[Peer]] = {
    "otel-openai-v2": [
        Peer(
            "openai",
            "opentelemetry-instrumentation-openai-v2",
            "opentelemetry.instrumentation.openai_v2",
            "OpenAIInstrumentor",
        ),
    ],
    "openllmetry": [
        Peer(
            "openai",
            "opentelemetry-instrumentation-openai",
            "opentelemetry.instrumentation.openai",
            "OpenAIInstrumentor",
        ),
        Peer(
            "anthropic",
            "opentelemetry-instrumentation-anthropic",
            "opentelemetry.instrumentation.anthropic",
            "AnthropicInstrumentor",
        ),
    ],
    "openinference": [
        Peer(
            "openai",
            "openinference-instrumentation-openai",
            "openinference.instrumentation.openai",
            "OpenAIInstrumentor",
        ),
        Peer(
            "anthropic",
            "openinference-instrumentation-anthropic",
            "openinference.instrumentation.anthropic",
            "AnthropicInstrumentor",
        ),
    ],
}

FLOOR = "spans-only"  # agentwrap's spans and nothing else (benchmarks/_floor.py): not a peer
VARIANTS = ["bare", "agentwrap", FLOOR, *PEERS]
PROVIDERS = ("openai", "anthropic")


class CountingSink:
    """A sink that only counts what it gets (summaries and events), so memory stays flat."""

    def __init__(self) -> None:
        self.records = 0
        self.summaries = 0

    def emit(self, record: dict[str, Any]) -> None:
        """Count one record."""
        self.records += 1
        if record.get("type") == "run.summary":
            self.summaries += 1

    def close(self) -> None:
        """Nothing to release."""


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def setup_variant(name: str, provider: Any) -> tuple[dict[str, str], Any]:
    """Instrument this process as variant ``name``.

    Returns ``({sdk provider: status}, handle)`` where status is ``"ok"``, ``"not installed"``,
    ``"n/a"`` (the peer has no instrumentation for that SDK) or ``"error: ..."``; the handle is
    the agentwrap sink for the agentwrap variant.
    """
    if name == "bare":
        return {p: "ok" for p in PROVIDERS}, None
    if name == "agentwrap":
        import agentwrap

        sink = CountingSink()
        # Every feature on: runs with summaries (to a sink), tool spans, the detectors there are.
        agentwrap.instrument(tracer_provider=provider, sinks=[sink], log_summaries=False)
        from agentwrap.patches import PROVIDERS as known

        status = {p: "ok" if p in known else "not instrumented by agentwrap yet" for p in PROVIDERS}
        return status, sink
    if name == FLOOR:
        from benchmarks._floor import install_spans_only

        return install_spans_only(provider), None
    status = {p: "n/a" for p in PROVIDERS}
    for peer in PEERS[name]:
        if not _installed(peer.module):
            status[peer.provider] = "not installed"
            continue
        try:
            instrumentor = getattr(importlib.import_module(peer.module), peer.cls)()
            instrumentor.instrument(tracer_provider=provider)
        except Exception as exc:  # noqa: BLE001 - a broken peer is reported, not fatal
            status[peer.provider] = f"error: {type(exc).__name__}: {exc}"[:200]
        else:
            status[peer.provider] = "ok"
    return status, None
