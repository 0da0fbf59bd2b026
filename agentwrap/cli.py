"""The ``agentwrap`` command line: ``demo``, ``view``, ``import``, ``report`` and ``dashboard``.

Needs the ``cli`` extra (click and rich); the library itself never imports this module.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from typing import Any

try:
    import click
    from rich.console import Console
    from rich.tree import Tree
except ImportError:  # pragma: no cover - exercised only without the extra
    click = None  # type: ignore[assignment]

from agentwrap._view import SpanNode, TraceView, describe, load_runs, read_records

__all__ = ["main"]


def _console() -> Console:
    # rich colours a terminal and writes plain text into a pipe or file by itself; a pipe
    # gets wide lines rather than rich's 80-column default, since trees are cropped, not wrapped.
    console = Console(highlight=False)
    return console if console.is_terminal else Console(highlight=False, width=200)


def _add_nodes(tree: Tree, nodes: list[SpanNode], warnings_by_span: dict[str, list[str]]) -> None:
    for node in nodes:
        label = describe(node.record)
        style = "red" if node.record.get("status") == "ERROR" else ""
        if node.record.get("name", "").startswith("execute_tool"):
            style = style or "cyan"
        branch = tree.add(f"[{style}]{_escape(label)}[/]" if style else _escape(label))
        for warning in warnings_by_span.get(node.record.get("span_id") or "", []):
            branch.add(f"[yellow]⚠ {_escape(warning)}[/]")
        _add_nodes(branch, node.children, warnings_by_span)


def _escape(text: str) -> str:
    return text.replace("[", r"\[")


def _warning_text(event: dict[str, Any]) -> str:
    fields = event.get("fields") or {}
    details = " ".join(f"{k}={v}" for k, v in fields.items())
    return f"{event.get('name')} {details}".strip()


def render_trace(console: Console, view: TraceView) -> None:
    """Print one trace as an indented tree, warnings marked where they happened."""
    title = f"Trace {view.trace_id}"
    if view.run_name:
        title += f"  run={view.run_name}"
    tree = Tree(f"[bold]{_escape(title)}[/]")
    by_span: dict[str, list[str]] = {}
    for event in view.warnings:
        by_span.setdefault(event.get("span_id") or "", []).append(_warning_text(event))
    _add_nodes(tree, view.roots, by_span)
    for text in by_span.get("", []):
        tree.add(f"[yellow]⚠ {_escape(text)}[/]")
    console.print(tree)


def _matches(
    view: TraceView, run_name: str | None, trace: str | None, release: str | None, warned: bool
) -> bool:
    summary = (view.summary or {}).get("summarized_metadata") or {}
    return (
        (run_name is None or view.run_name == run_name)
        and (trace is None or view.trace_id.startswith(trace))
        and (release is None or summary.get("release_version") == release)
        and (not warned or bool(view.warnings))
    )


def _demo(file: str | None, quiet: bool) -> None:
    import agentwrap
    from agentwrap.demo import AIRLINE_SCRIPT, run_airline_agent
    from agentwrap.testing import FakeLLMServer

    try:
        import openai
    except ImportError:
        raise click.ClickException("the demo needs the openai SDK: pip install 'agentwrap[openai]'") from None
    path = file or os.path.join(tempfile.mkdtemp(prefix="agentwrap-demo-"), "runs.jsonl")
    console = _console()
    with FakeLLMServer() as server:
        server.enqueue(*AIRLINE_SCRIPT())
        # The demo's data is made up, so it opts in to content capture to show arguments and
        # results; by default agentwrap records hashes and counts, never content.
        agentwrap.instrument(file=path, capture_content=True, log_summaries=False)
        client = openai.OpenAI(base_url=server.base_url, api_key="demo-key", max_retries=0)
        try:
            with agentwrap.run(name="airline-agent", release="v1.4.2") as run:
                answer = run_airline_agent(client)
        finally:
            client.close()
            agentwrap.uninstrument()  # flushes the spans to the file
    console.print(f"[bold]Agent answered:[/] {_escape(answer)}\n")
    with open(path, encoding="utf-8") as handle:
        views = load_runs(read_records(handle))
    for view in views:
        render_trace(console, view)
    if not quiet:
        console.print("\n[bold]Run summary[/] (the seed's aggregate schema):")
        console.print_json(json.dumps({"summarized_metadata": run.summary}))
    console.print(f"\nSpans, events and the summary are in {path}")
    console.print(f"Look again with:    agentwrap view {path}")
    console.print(f"Aggregate it:       agentwrap report --from {path}")
    console.print(f"Open a dashboard:   agentwrap dashboard --from {path} -o agentwrap-dashboard.html")


def _build_cli() -> Any:
    @click.group(help="agentwrap: observe AI agent runs with zero code changes.")
    @click.version_option(package_name="agentwrap")
    def cli() -> None:
        pass

    @cli.command(help="Run the seed's airline agent against a local fake LLM and show its trace and summary.")
    @click.option("--file", type=click.Path(dir_okay=False), help="JSONL output path (default: a temp file).")
    @click.option("--quiet", is_flag=True, help="Do not print the summary JSON.")
    def demo(file: str | None, quiet: bool) -> None:
        _demo(file, quiet)

    @cli.command(help="Show the runs in a JSONL file as trace trees.")
    @click.argument("file", type=click.File("r", encoding="utf-8"))
    @click.option("--run", "run_name", help="Only runs with this name.")
    @click.option("--trace", help="Only the trace with this id (a prefix is enough).")
    @click.option("--release", help="Only runs of this release.")
    @click.option("--warnings", "warned", is_flag=True, help="Only runs with warnings.")
    @click.option("--summary/--no-summary", default=False, help="Also print each run's summary JSON.")
    @click.option("--color/--no-color", default=None, help="Force colour on or off (default: on a terminal).")
    def view(
        file: Any,
        run_name: str | None,
        trace: str | None,
        release: str | None,
        warned: bool,
        summary: bool,
        color: bool | None,
    ) -> None:
        console = _console()
        if color is not None:
            console = Console(highlight=False, force_terminal=color, no_color=not color, width=200)
        shown = 0
        for trace_view in load_runs(read_records(file)):
            if _matches(trace_view, run_name, trace, release, warned):
                render_trace(console, trace_view)
                if summary and trace_view.summary:
                    console.print_json(
                        json.dumps({"summarized_metadata": trace_view.summary["summarized_metadata"]})
                    )
                shown += 1
        if not shown:
            console.print("no matching runs")

    from agentwrap._cli_data import add_commands  # import, report, dashboard

    add_commands(cli)
    from agentwrap._cli_run import add_run_command  # run -- python app.py

    add_run_command(cli)
    from agentwrap.detect.backfill import add_backfill_command  # backfill first_seen from history

    add_backfill_command(cli)
    return cli


def main() -> None:
    """Entry point of the ``agentwrap`` script."""
    if click is None:
        sys.stderr.write("agentwrap: the command line needs the cli extra: pip install 'agentwrap[cli]'\n")
        raise SystemExit(2)
    _build_cli()(prog_name="agentwrap")
