"""The ``agentwrap`` click group: ``demo`` and ``view`` here, the other commands registered
from their modules (``import``/``report``/``dashboard``, ``run``, ``backfill``)."""

from __future__ import annotations

import json

import click
from rich.console import Console

from agentwrap.cli._inputs import read_files
from agentwrap.cli._render import console, render_trace
from agentwrap.cli._view import TraceView, load_runs

__all__ = ["build_cli"]


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


def _add_demo_command(cli: click.Group) -> None:
    @cli.command(help="Run the seed's airline agent against a local fake LLM and show its trace and summary.")
    @click.option("--file", type=click.Path(), help="JSONL output path (default: a temp file).")
    @click.option("--quiet", is_flag=True, help="Do not print the summary JSON.")
    def demo(file: str | None, quiet: bool) -> None:
        from agentwrap.cli._demo import run_demo

        run_demo(file, quiet)


def _add_view_command(cli: click.Group) -> None:
    @cli.command(help="Show the runs in JSONL files as trace trees.")
    @click.argument("files", nargs=-1, required=True, type=click.Path())
    @click.option("--run", "run_name", help="Only runs with this name.")
    @click.option("--trace", help="Only the trace with this id (a prefix is enough).")
    @click.option("--release", help="Only runs of this release.")
    @click.option("--warnings", "warned", is_flag=True, help="Only runs with warnings.")
    @click.option("--summary/--no-summary", default=False, help="Also print each run's summary JSON.")
    @click.option("--color/--no-color", default=None, help="Force colour on or off (default: on a terminal).")
    def view(
        files: tuple[str, ...],
        run_name: str | None,
        trace: str | None,
        release: str | None,
        warned: bool,
        summary: bool,
        color: bool | None,
    ) -> None:
        out = console()
        if color is not None:
            out = Console(highlight=False, force_terminal=color, no_color=not color, width=200)
        shown = 0
        for trace_view in load_runs(read_files(files)):
            if _matches(trace_view, run_name, trace, release, warned):
                render_trace(out, trace_view)
                if summary and trace_view.summary:
                    out.print_json(
                        json.dumps({"summarized_metadata": trace_view.summary["summarized_metadata"]})
                    )
                shown += 1
        if not shown:
            out.print("no matching runs")


def build_cli() -> click.Group:
    """The ``agentwrap`` group with every command on it."""
    from agentwrap.cli._backfill import add_backfill_command
    from agentwrap.cli._data import add_commands
    from agentwrap.cli._run import add_run_command

    @click.group(help="agentwrap: observe AI agent runs with zero code changes.")
    @click.version_option(package_name="agentwrap")
    def cli() -> None:
        pass

    _add_demo_command(cli)
    _add_view_command(cli)
    add_commands(cli)  # import, report, dashboard
    add_run_command(cli)  # run -- python app.py
    add_backfill_command(cli)  # backfill first_seen from history
    return cli
