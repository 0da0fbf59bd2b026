"""Every run opened and not yet closed, so that exit and SIGTERM can still close them.

A run registers itself when it opens and leaves when it closes; the composition root's exit
hook closes whatever is left (explicit runs whose ``with`` block will never finish), which
writes their summaries.
"""

from __future__ import annotations

import threading
from typing import Protocol

__all__ = ["OpenRun", "forget", "open_runs", "register"]


class OpenRun(Protocol):
    """What the registry needs of a run."""

    @property
    def run_id(self) -> str:
        """The run's id."""

    def close(self, exc: BaseException | None = None) -> object:
        """Close the run (once; later calls do nothing)."""


_lock = threading.Lock()
_open: dict[str, OpenRun] = {}


def register(run: OpenRun) -> None:
    """Note a run that has just opened."""
    with _lock:
        _open[run.run_id] = run


def forget(run: OpenRun) -> None:
    """Forget a run that is closing."""
    with _lock:
        _open.pop(run.run_id, None)


def open_runs() -> list[OpenRun]:
    """The runs opened and not yet closed, oldest first."""
    with _lock:
        return list(_open.values())
