"""``agentwrap run -- python app.py``: run a program observed, without changing it.

Sets ``AGENTWRAP_AUTO_INSTRUMENT=1`` (and the variables of the options given) and replaces
itself with the command. The start-up hook in site-packages does the rest, so the command's
Python must be one where agentwrap is installed: a bare ``python`` / ``python3`` is taken to
mean the interpreter agentwrap runs in.
"""

from __future__ import annotations

import os
import shutil
import sys
from typing import Any

import click

from agentwrap.cli._inputs import writable_file

__all__ = ["add_run_command", "run_environment"]

_PYTHONS = {"python", "python3", f"python3.{sys.version_info.minor}"}


def run_environment(
    base: dict[str, str],
    *,
    file: str | None = None,
    service_name: str | None = None,
    release: str | None = None,
    capture_content: bool | None = None,
    console: bool = False,
    idle_seconds: float | None = None,
    otlp_endpoint: str | None = None,
) -> dict[str, str]:
    """The environment of the observed program (options over what ``base`` already says)."""
    env = dict(base)
    env["AGENTWRAP_AUTO_INSTRUMENT"] = "1"
    pairs = {
        "AGENTWRAP_FILE": file,
        "OTEL_SERVICE_NAME": service_name,
        "AGENTWRAP_RELEASE": release,
        "AGENTWRAP_IMPLICIT_IDLE_SECONDS": None if idle_seconds is None else str(idle_seconds),
        "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_endpoint,
    }
    if capture_content is not None:
        pairs["AGENTWRAP_CAPTURE_CONTENT"] = "1" if capture_content else "0"
    if console:
        pairs["AGENTWRAP_CONSOLE"] = "1"
    env.update({k: v for k, v in pairs.items() if v is not None})
    return env


def add_run_command(cli: click.Group) -> None:
    """Register ``agentwrap run`` on the click group."""

    @cli.command(
        "run",
        context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
        help="Run COMMAND with agentwrap instrumenting it (AGENTWRAP_AUTO_INSTRUMENT=1), e.g. "
        "`agentwrap run --file runs.jsonl -- python app.py`.",
    )
    @click.option("--file", type=click.Path(), help="Append spans and summaries to this JSONL file.")
    @click.option("--service-name", help="OTEL_SERVICE_NAME of the program.")
    @click.option("--release", help="Release version stamped on its runs.")
    @click.option("--capture-content/--no-capture-content", default=None, help="Record message content.")
    @click.option("--console", is_flag=True, help="Print run summaries to stderr.")
    @click.option("--idle-seconds", type=float, help="Close an implicit run after this long without a call.")
    @click.option("--otlp-endpoint", help="Export spans over OTLP here (needs agentwrap[otlp]).")
    @click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
    def run(command: tuple[str, ...], **options: Any) -> None:
        if options["file"]:
            writable_file(options["file"])  # said here: the program's file sink would only log it
        env = run_environment(dict(os.environ), **options)
        if command[0] in _PYTHONS:  # the interpreter agentwrap (and its start-up hook) is in
            program = sys.executable
        else:
            program = shutil.which(command[0], path=env.get("PATH")) or command[0]
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            os.execvpe(program, [program, *command[1:]], env)
        except OSError as exc:
            raise click.ClickException(f"cannot run {command[0]}: {exc.strerror}") from None
