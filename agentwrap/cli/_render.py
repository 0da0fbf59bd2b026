"""Trace trees on a terminal (or plain text in a pipe): what ``view`` and ``demo`` print."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.tree import Tree

from agentwrap.cli._view import SpanNode, TraceView, describe

__all__ = ["console", "escape", "render_trace"]


def console() -> Console:
    """A console for stdout: coloured on a terminal, wide plain lines in a pipe or file."""
    # rich writes plain text into a pipe or file by itself; a pipe gets wide lines rather than
    # rich's 80-column default, since trees are cropped, not wrapped.
    found = Console(highlight=False)
    return found if found.is_terminal else Console(highlight=False, width=200)


def escape(text: str) -> str:
    """``text`` with rich's markup brackets escaped."""
    return text.replace("[", r"\[")


def _add_nodes(tree: Tree, nodes: list[SpanNode], warnings_by_span: dict[str, list[str]]) -> None:
    for node in nodes:
        label = describe(node.record)
        style = "red" if node.record.get("status") == "ERROR" else ""
        if node.record.get("name", "").startswith("execute_tool"):
            style = style or "cyan"
        branch = tree.add(f"[{style}]{escape(label)}[/]" if style else escape(label))
        for warning in warnings_by_span.get(node.record.get("span_id") or "", []):
            branch.add(f"[yellow]⚠ {escape(warning)}[/]")
        _add_nodes(branch, node.children, warnings_by_span)


def _warning_text(event: dict[str, Any]) -> str:
    fields = event.get("fields") or {}
    details = " ".join(f"{k}={v}" for k, v in fields.items())
    return f"{event.get('name')} {details}".strip()


def render_trace(out: Console, view: TraceView) -> None:
    """Print one trace as an indented tree, warnings marked where they happened."""
    title = f"Trace {view.trace_id}"
    if view.run_name:
        title += f"  run={view.run_name}"
    tree = Tree(f"[bold]{escape(title)}[/]")
    by_span: dict[str, list[str]] = {}
    for event in view.warnings:
        by_span.setdefault(event.get("span_id") or "", []).append(_warning_text(event))
    _add_nodes(tree, view.roots, by_span)
    for text in by_span.get("", []):
        tree.add(f"[yellow]⚠ {escape(text)}[/]")
    out.print(tree)
