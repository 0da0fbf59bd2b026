"""The store commands of the command line: ``import``, ``report`` and ``dashboard``.

Registered on the ``agentwrap`` group by :mod:`agentwrap.cli`; needs the ``cli`` extra.
Progress and messages go to stderr, so ``report --json`` output can be piped to a script.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from agentwrap.cli._inputs import check_records, input_file, open_run_store, output_file, shown, store_errors
from agentwrap.cli._report import GROUP_COLUMNS, Window, build_report, parse_time
from agentwrap.store import RunStore, SqliteStore, WriteCounts
from agentwrap.store._import import import_jsonl

__all__ = ["add_commands", "import_file"]


def _err() -> Console:
    return Console(stderr=True, highlight=False)


def import_file(store: RunStore, path: str, console: Console) -> WriteCounts:
    """Import a JSONL file with a progress bar (shown when stderr is a terminal)."""
    columns = (
        TextColumn("importing {task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
    )
    skipped: list[int] = []
    with input_file(path) as handle:
        size = os.fstat(handle.fileno()).st_size
        with Progress(*columns, console=console, disable=not console.is_terminal, transient=True) as progress:
            task = progress.add_task(os.path.basename(path), total=size)
            with store_errors(store.url):
                counts = import_jsonl(
                    store,
                    handle,
                    progress=lambda done: progress.update(task, completed=done),
                    on_skip=skipped.append,
                )
    check_records(path, counts["runs"] + counts["events"] + counts["spans"], skipped)
    return counts


@contextmanager
def _opened(store_target: str | None, from_files: Sequence[str]) -> Iterator[tuple[RunStore, str]]:
    """The store to read (JSONL files loaded into a temporary one when given) and its name."""
    console = _err()
    store = SqliteStore(":memory:") if from_files else open_run_store(store_target)
    try:
        for path in from_files:
            import_file(store, path, console)
        if from_files:
            yield store, ", ".join(from_files)
        else:
            with store_errors(store.url):  # the database can still fail while it is read
                yield store, shown(store.url)
    finally:
        store.close()


def _window(since: str | None, until: str | None) -> Window:
    try:
        return Window(parse_time(since), parse_time(until))
    except ValueError as exc:
        raise click.BadParameter(f"not a time: {exc}") from None


def _short(value: Any, key: str) -> str:
    if value is None:
        return "-"
    text = str(value)
    return text[:15] + "…" if key == "prompt_version" and len(text) > 16 else text


def _table(report: dict[str, Any]) -> Table:
    by = report["group_by"]
    table = Table(title=f"{report['runs']} runs", title_justify="left")
    for key in by:
        table.add_column(key)
    for name in ("runs", "p50 s", "p95 s", "tokens/run", "turns/run", "tools/run", "retries/run"):
        table.add_column(name, justify="right")
    table.add_column("termination")
    table.add_column("warnings (runs, first seen)")
    for g in report["groups"]:
        warnings = "\n".join(
            f"{name} ×{w['count']} ({w['runs']}, {(w['first_seen'] or '?')[:10]})"
            for name, w in sorted(g["warnings"].items())
        )
        terminations = "\n".join(f"{k} {v}" for k, v in sorted(g["termination_reasons"].items()))
        table.add_row(
            *(_short(g[k], k) for k in by),
            str(g["runs"]),
            f"{g['latency_p50_s']:.2f}",
            f"{g['latency_p95_s']:.2f}",
            f"{g['tokens_per_run']:.0f}",
            f"{g['turns_per_run']:.1f}",
            f"{g['tool_calls_per_run']:.1f}",
            f"{g['same_tool_retries_per_run']:.2f}",
            terminations or "-",
            warnings or "-",
        )
    return table


_store_option = click.option(
    "--store",
    "store_target",
    envvar="AGENTWRAP_STORE",
    help="A SQLite file or a postgresql:// URL "
    "(default: $AGENTWRAP_STORE, else ~/.local/share/agentwrap/agentwrap.db).",
)
_from_option = click.option(
    "--from",
    "from_files",
    multiple=True,
    type=click.Path(),
    help="Read this JSONL file instead of a store (repeatable).",
)
_since_option = click.option(
    "--since", help="Runs started at or after: 24h, 7d, 2026-10-01, or epoch seconds."
)
_until_option = click.option("--until", help="Runs started before this time (same forms as --since).")


def add_commands(cli: click.Group) -> None:
    """Register ``import``, ``report`` and ``dashboard`` on the ``agentwrap`` group."""

    @cli.command("import", help="Load JSONL files (spans, events, summaries) into the store.")
    @click.argument("files", nargs=-1, required=True, type=click.Path())
    @_store_option
    def import_command(files: tuple[str, ...], store_target: str | None) -> None:
        console = _err()
        with open_run_store(store_target, create=True) as store:
            for path in files:
                counts = import_file(store, path, console)
                click.echo(
                    f"imported {counts['runs']} runs, {counts['events']} events, {counts['spans']} spans"
                    f" from {path} into {shown(store.url)}"
                )

    @cli.command(
        help="Aggregates per release, model and prompt version: latency, tokens, turns, tools, warnings."
    )
    @_store_option
    @_from_option
    @_since_option
    @_until_option
    @click.option(
        "--by",
        default="release,model,prompt_version",
        show_default=True,
        help=f"Group by these, comma-separated: {', '.join(GROUP_COLUMNS)}.",
    )
    @click.option("--json", "as_json", is_flag=True, help="Print JSON (for scripts) instead of a table.")
    def report(
        store_target: str | None,
        from_files: tuple[str, ...],
        since: str | None,
        until: str | None,
        by: str,
        as_json: bool,
    ) -> None:
        keys = tuple(k.strip() for k in by.split(",") if k.strip())
        bad = [k for k in keys if k not in GROUP_COLUMNS]
        if bad or not keys:
            raise click.BadParameter(f"choose from {', '.join(GROUP_COLUMNS)}", param_hint="--by")
        window = _window(since, until)
        with _opened(store_target, from_files) as (store, source):
            data = build_report(store, window, keys)
        if as_json:
            click.echo(json.dumps(data, indent=2))
        elif not data["groups"]:
            click.echo(f"no runs in {source} for this window")
        else:
            console = Console(highlight=False)
            if not console.is_terminal:
                console = Console(highlight=False, width=220)
            console.print(_table(data))

    @cli.command(help="Write a self-contained HTML dashboard (works offline; no server, no CDN).")
    @click.option(
        "-o",
        "--output",
        default="agentwrap-dashboard.html",
        show_default=True,
        type=click.Path(),
    )
    @_store_option
    @_from_option
    @_since_option
    @_until_option
    @click.option(
        "--run", "run", help="Run id or trace id (prefix) for the waterfall (default: the latest run)."
    )
    def dashboard(
        output: str,
        store_target: str | None,
        from_files: tuple[str, ...],
        since: str | None,
        until: str | None,
        run: str | None,
    ) -> None:
        from agentwrap.cli._dashboard import build_dashboard

        with _opened(store_target, from_files) as (store, source):
            page = build_dashboard(store, _window(since, until), run=run)
        output_file(output, page)
        click.echo(f"dashboard of {source} written to {output}")
