"""The embedded store: one SQLite file in WAL mode, shared safely by several processes.

WAL lets readers run beside the one writer; ``BEGIN IMMEDIATE`` takes the write lock at the
start of a write so two writers queue on the busy timeout instead of failing halfway.
"""

from __future__ import annotations

import os
import sqlite3
import time
from typing import Any

from agentwrap.store._base import SCHEMA, RunStore

__all__ = ["SqliteStore"]

BUSY_TIMEOUT_S = 30.0


class SqliteStore(RunStore):
    """A run store in a SQLite file (``":memory:"`` for a private, temporary one)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__()
        self.path = os.path.expanduser(os.fspath(path))
        self.url = self.path

    def _connect(self) -> sqlite3.Connection:
        if self.path != ":memory:":
            parent = os.path.dirname(os.path.abspath(self.path))
            os.makedirs(parent, exist_ok=True)
        # isolation_level=None: we issue BEGIN ourselves, so the write lock is taken up front.
        conn = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        if self.path != ":memory:":
            _retry_busy(lambda: conn.execute("PRAGMA journal_mode = WAL"))
            conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    def _create_schema(self, conn: sqlite3.Connection) -> None:
        def create() -> None:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in SCHEMA:
                    conn.execute(statement.format(bigint="INTEGER", real="REAL"))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

        _retry_busy(create)

    def _begin_write(self, conn: Any) -> None:
        conn.execute("BEGIN IMMEDIATE")

    def has_table(self, name: str) -> bool:
        """Whether the file has this table (the detectors' ``first_seen``, say)."""
        return bool(self.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)))


def _retry_busy(fn: Any, attempts: int = 50) -> Any:
    # Switching to WAL and creating tables can report "database is locked" without going
    # through the busy handler when another process is doing the same at that moment.
    for attempt in range(attempts):
        try:
            return fn()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    return None  # pragma: no cover
