"""``agentwrap backfill``: the command over :mod:`agentwrap.detect.backfill` (progress bar, table)."""

from __future__ import annotations

import os
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from agentwrap.cli._inputs import open_run_store, read_files, shown, store_errors
from agentwrap.detect.api import Detector, RunRecords, all_detectors
from agentwrap.detect.backfill import (
    BackfillResult,
    backfill,
    load_detector,
    records_from_store,
    runs_from_records,
)
from agentwrap.detect.store import AnyStore, iso_time, open_store

__all__ = ["add_backfill_command"]


def _detectors(specs: tuple[str, ...], use_all: bool) -> dict[str, Detector]:
    try:
        detectors = dict(load_detector(spec) for spec in specs)
    except (ImportError, AttributeError, ValueError) as exc:
        raise click.ClickException(f"cannot load detector: {exc}") from None
    if use_all or not specs:
        detectors = {**all_detectors(), **detectors}
    if not detectors:
        raise click.ClickException("no detector: pass --detector module:function or install one")
    return detectors


def _history(files: tuple[str, ...], from_store: str | None) -> list[dict[str, Any]]:
    if not files and not from_store:
        raise click.ClickException("no history: pass JSONL files or --from-store")
    records = read_files(files)
    if from_store:
        open_run_store(from_store).close()  # one line, not a traceback, if it cannot be read
        with store_errors(from_store):
            records.extend(records_from_store(from_store))
    return records


def _source(files: tuple[str, ...], from_store: str | None) -> str:
    return ", ".join([*files, *([shown(from_store)] if from_store else [])])


def _print_result(
    console: Console, result: BackfillResult, detectors: int, target: AnyStore, source: str
) -> None:
    console.print(f"replayed {result.runs} run(s) through {detectors} detector(s) from {source}")
    for name, count in sorted(result.failures.items()):
        console.print(f"[yellow]detector {name} raised on {count} run(s); those runs were skipped[/]")
    if not result.occurrences:
        console.print("no occurrences found")
        return
    table = Table("event", "key", "occurrences", "first seen (store)", "first trace")
    for (name, key), count in sorted(result.occurrences.items()):
        seen = target.get(name, key)
        first = iso_time(seen.first_seen_ns) if seen else "?"
        table.add_row(name, key, str(count), first, (seen.trace_id or "") if seen else "")
    console.print(table)
    console.print(f"first_seen store: {target.path or 'memory'}")


def _replay(
    console: Console, runs: list[RunRecords], detectors: dict[str, Detector], target: AnyStore, quiet: bool
) -> BackfillResult:
    with Progress(
        TextColumn("[bold]backfill[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=quiet or not console.is_terminal,
        transient=True,
    ) as progress:
        task = progress.add_task("runs", total=len(runs))
        return backfill(runs, detectors, target, on_run=lambda _run: progress.advance(task))


def add_backfill_command(cli: click.Group) -> None:
    """Add ``agentwrap backfill`` to the click group."""

    @cli.command(help="Replay stored runs through detectors so first_seen is the earliest past occurrence.")
    @click.argument("files", nargs=-1, type=click.Path())
    @click.option("--detector", "specs", multiple=True, help="module:function to replay (repeatable).")
    @click.option(
        "--all", "use_all", is_flag=True, help="Also replay every installed (entry point) detector."
    )
    @click.option("--from-store", "from_store", help="Read history from this run store (path or URL).")
    @click.option(
        "--store", help="The first_seen store to update (default: AGENTWRAP_STORE or the data dir)."
    )
    @click.option("--quiet", is_flag=True, help="No progress bar.")
    def backfill_command(
        files: tuple[str, ...],
        specs: tuple[str, ...],
        use_all: bool,
        from_store: str | None,
        store: str | None,
        quiet: bool,
    ) -> None:
        console = Console(highlight=False)
        if not console.is_terminal:  # a pipe or a file: wide lines rather than a cropped table
            console = Console(highlight=False, width=200)
        detectors = _detectors(specs, use_all)
        runs = runs_from_records(_history(files, from_store))
        target = open_store(store if store is not None else os.environ.get("AGENTWRAP_STORE"))
        with store_errors(target.path or "memory"):  # the first_seen file is read as runs replay
            result = _replay(console, runs, detectors, target, quiet)
            _print_result(console, result, len(detectors), target, _source(files, from_store))
