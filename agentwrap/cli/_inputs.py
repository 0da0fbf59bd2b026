"""What the commands read and write, through one error path.

A problem with an input or an output is one line on stderr that names it, and exit status 1
(a :class:`click.ClickException`), never a traceback:

- a file that cannot be opened or created (missing, a directory, not readable or writable):
  click's ``Could not open file`` error;
- a JSONL file with no record in it: empty, or no line of it JSON (a binary or non-UTF-8 file);
- a store that cannot be opened or read (a database that is down, a file that is not one, a
  SQLite file that does not exist for a command that only reads).

In a file that does have records, lines that are not JSON (a truncated last line, a corrupt
or non-UTF-8 line) are skipped, and one warning line per file says how many and which came
first. Messages name stores as given, with any password in a URL masked.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import IO, Any

import click

from agentwrap.sinks._jsonl import read_records
from agentwrap.sinks._store import shown
from agentwrap.store import RunStore, SqliteStore, open_store

__all__ = [
    "check_records",
    "input_file",
    "open_run_store",
    "output_file",
    "read_files",
    "shown",
    "store_errors",
    "writable_file",
]


@contextmanager
def input_file(path: str) -> Iterator[IO[bytes]]:
    """``path`` opened for reading bytes (lines are decoded one by one: a line that is not
    UTF-8 is a bad line, not the end of the command)."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below, after the caller is done
    except OSError as exc:
        raise click.FileError(path, _hint(exc)) from None
    with handle:
        yield handle


def check_records(path: str, records: int, skipped: Sequence[int]) -> None:
    """Fail on a file with no record; warn (one line) about the lines of it that were skipped."""
    if not records:
        why = f"{_lines(len(skipped))} not JSON" if skipped else "the file is empty"
        raise click.ClickException(f"{path}: no records ({why})")
    if len(skipped) == 1:
        click.echo(f"agentwrap: {path}: line {skipped[0]} is not JSON, skipped", err=True)
    elif skipped:
        click.echo(
            f"agentwrap: {path}: {len(skipped)} lines are not JSON, skipped (the first: line {skipped[0]})",
            err=True,
        )


def _lines(count: int) -> str:
    return "1 line is" if count == 1 else f"{count} lines are"


def read_files(paths: Sequence[str]) -> list[dict[str, Any]]:
    """The records of JSONL files, in order (see :func:`check_records` for bad lines)."""
    records: list[dict[str, Any]] = []
    for path in paths:
        skipped: list[int] = []
        with input_file(path) as handle:
            found = list(read_records(handle, on_skip=skipped.append))
        check_records(path, len(found), skipped)
        records.extend(found)
    return records


def _one_line(exc: BaseException) -> str:
    lines = (" ".join(line.split()) for line in str(exc).splitlines())
    return "; ".join(line for line in lines if line) or type(exc).__name__


def _hint(exc: OSError) -> str:
    # os.makedirs says "File exists" when a directory on the way is a file.
    return "Not a directory" if isinstance(exc, FileExistsError) else exc.strerror or str(exc)


@contextmanager
def store_errors(where: str) -> Iterator[None]:
    """Turn a failure of the store ``where`` into the one-line error naming it."""
    try:
        yield
    except click.ClickException:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever the engine raises, the user sees one line
        raise click.ClickException(f"cannot use the store {shown(where)}: {_one_line(exc)}") from None


def open_run_store(target: str | None, *, create: bool = False) -> RunStore:
    """The run store ``target`` names (``None``: ``AGENTWRAP_STORE``, else the default file),
    connected. A command that only reads (``create=False``) never creates a SQLite file."""
    store = open_store(target)
    if isinstance(store, SqliteStore) and not create and not os.path.isfile(store.path):
        if os.path.isdir(store.path):
            raise click.ClickException(f"{store.path} is a directory, not a run store")
        raise click.ClickException(f"no run store at {store.path} (`agentwrap import` creates one)")
    with store_errors(store.url):
        store.connection()
    return store


def writable_file(path: str) -> None:
    """Check that ``path`` can be appended to (its directories created), before a command
    hands it to code that fails open and would only log the problem."""
    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise click.FileError(path, _hint(exc)) from None


def output_file(path: str, text: str) -> None:
    """Write ``text`` to ``path`` (replacing it)."""
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise click.FileError(path, _hint(exc)) from None
