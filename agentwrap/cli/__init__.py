"""The ``agentwrap`` command line: ``demo``, ``view``, ``import``, ``report``, ``dashboard``,
``backfill`` and ``run``.

Needs the ``cli`` extra (click and rich). The library itself never imports this package;
importing it without the extra works, and :func:`main` then says what to install.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["main"]


def _build_cli() -> Any:
    """The ``agentwrap`` click group with every command registered."""
    from agentwrap.cli._app import build_cli

    return build_cli()


def _warnings_to_stderr() -> None:
    """Show agentwrap's warnings on stderr, one line each: the library's logger has only a
    NullHandler, and the command line is an application, which says where its logs go."""
    import logging

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.setLevel(logging.WARNING)
    logging.getLogger("agentwrap").addHandler(handler)


def main() -> None:
    """Entry point of the ``agentwrap`` script."""
    try:
        import click  # noqa: F401
        import rich  # noqa: F401
    except ImportError:
        sys.stderr.write("agentwrap: the command line needs the cli extra: pip install 'agentwrap[cli]'\n")
        raise SystemExit(2) from None
    _warnings_to_stderr()
    _build_cli()(prog_name="agentwrap")
