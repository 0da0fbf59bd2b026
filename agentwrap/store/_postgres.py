"""The fleet store: the same tables in PostgreSQL, for many workers on many machines.

Needs the ``postgres`` extra (psycopg 3). The connection has a short connect timeout: a
database that cannot be reached fails the store's writer thread fast, never the app.
"""

from __future__ import annotations

from typing import Any

from agentwrap.store._base import SCHEMA, RunStore

__all__ = ["PostgresStore"]

CONNECT_TIMEOUT_S = 5
_SCHEMA_LOCK_KEY = 0x61676E74  # "agnt": serializes CREATE TABLE across workers starting together


class PostgresStore(RunStore):
    """A run store in PostgreSQL, addressed by a ``postgresql://`` URL."""

    placeholder = "%s"

    def __init__(self, url: str, connect_timeout: int = CONNECT_TIMEOUT_S) -> None:
        super().__init__()
        self.url = url
        self.connect_timeout = connect_timeout

    def _connect(self) -> Any:
        try:
            import psycopg
        except ImportError as exc:
            raise RuntimeError(
                "the PostgreSQL store needs psycopg: pip install 'agentwrap[postgres]'"
            ) from exc
        return psycopg.connect(self.url, connect_timeout=self.connect_timeout, application_name="agentwrap")

    def _create_schema(self, conn: Any) -> None:
        with conn.cursor() as cur:
            # Concurrent CREATE TABLE IF NOT EXISTS can still collide in the catalog.
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK_KEY,))
            for statement in SCHEMA:
                cur.execute(statement.format(bigint="BIGINT", real="DOUBLE PRECISION"))
        conn.commit()

    def has_table(self, name: str) -> bool:
        """Whether the database has this table."""
        return self.query("SELECT to_regclass(?) IS NOT NULL", (name,))[0][0] is True
