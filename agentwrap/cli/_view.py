"""Reading runs back from a JSONL file: the trace tree of each run and its summary.

Pure data work (no terminal code): :func:`load_runs` groups the file's records by trace and
builds each trace's span tree; :mod:`agentwrap.cli._render` draws it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SpanNode", "TraceView", "describe", "load_runs"]


@dataclass
class SpanNode:
    """A span and its children, in start order."""

    record: dict[str, Any]
    children: list[SpanNode] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class TraceView:
    """One trace: its root spans, its run summary (if a run closed in it) and its warnings."""

    trace_id: str
    roots: list[SpanNode] = field(default_factory=list)
    summary: dict[str, Any] | None = None
    warnings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def run_name(self) -> str | None:
        """The run's name, from its summary record."""
        return self.summary.get("run_name") if self.summary else None


def load_runs(records: Iterable[dict[str, Any]]) -> list[TraceView]:
    """Group records by trace and build span trees, in order of first appearance."""
    traces: dict[str, TraceView] = {}
    spans: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        kind = record.get("type")
        trace_id = record.get("trace_id") or (record.get("summarized_metadata") or {}).get("trace_id")
        if not trace_id:
            continue
        view = traces.setdefault(trace_id, TraceView(trace_id))
        if kind == "span":
            spans.setdefault(trace_id, []).append(record)
        elif kind == "run.summary":
            view.summary = record
        elif kind == "event" and record.get("severity", "warning") == "warning":
            view.warnings.append(record)  # info events (run.terminated) are in the summary already
    for trace_id, view in traces.items():
        view.roots = _tree(spans.get(trace_id, []))
    return list(traces.values())


def _tree(records: list[dict[str, Any]]) -> list[SpanNode]:
    nodes = {r["span_id"]: SpanNode(r) for r in records if r.get("span_id")}
    roots: list[SpanNode] = []
    for node in nodes.values():
        parent = nodes.get(node.record.get("parent_span_id") or "")
        (parent.children if parent else roots).append(node)
    for node in nodes.values():
        node.children.sort(key=lambda n: n.record.get("start_time_unix_nano", 0))
    roots.sort(key=lambda n: n.record.get("start_time_unix_nano", 0))
    return roots


def describe(span: dict[str, Any]) -> str:
    """A one-line description of a span: what it was, tokens, latency, result preview."""
    attrs = span.get("attributes", {})
    bits = [span.get("name", "?")]
    if attrs.get("gen_ai.response.model"):
        bits.append(f"model={attrs['gen_ai.response.model']}")
    tokens_in, tokens_out = attrs.get("gen_ai.usage.input_tokens"), attrs.get("gen_ai.usage.output_tokens")
    if tokens_in is not None or tokens_out is not None:
        estimated = "~" if attrs.get("agentwrap.usage.estimated") else ""
        bits.append(f"tokens={estimated}{tokens_in or 0}→{tokens_out or 0}")
    if attrs.get("gen_ai.response.finish_reasons"):
        bits.append("finish=" + ",".join(attrs["gen_ai.response.finish_reasons"]))
    if "gen_ai.tool.call.arguments" in attrs:
        bits.append(f"args={attrs['gen_ai.tool.call.arguments']}")
    if "gen_ai.tool.call.result" in attrs:
        bits.append(f"→ {attrs['gen_ai.tool.call.result']}")
    bits.append(f"{span.get('duration_s', 0):.2f}s")
    if span.get("status") == "ERROR":
        bits.append(f"ERROR {attrs.get('error.type', '')}".rstrip())
    return "  ".join(bits)
