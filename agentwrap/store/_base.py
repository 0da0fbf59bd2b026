"""What every run store shares: the schema, the writes, and plain SQL queries.

The SQL is written once, in the dialect common to SQLite (3.25+) and PostgreSQL, with ``?``
placeholders that the PostgreSQL store turns into ``%s``. Engines differ only in how they
connect, lock and create tables; every figure of ``agentwrap report`` comes from the same SQL.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import Any

from agentwrap.store import _rows

__all__ = ["RunStore", "WriteCounts"]

# {bigint} and {real} are filled per engine.
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS runs (
        run_id TEXT PRIMARY KEY,
        trace_id TEXT,
        run_name TEXT,
        release TEXT,
        model TEXT,
        prompt_hash TEXT,
        start_ns {bigint} NOT NULL,
        end_ns {bigint} NOT NULL,
        latency_s {real} NOT NULL,
        turns INTEGER NOT NULL,
        tool_calls INTEGER NOT NULL,
        retries INTEGER NOT NULL,
        input_tokens {bigint} NOT NULL,
        output_tokens {bigint} NOT NULL,
        total_tokens {bigint} NOT NULL,
        termination_reason TEXT,
        warnings INTEGER NOT NULL,
        record TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS runs_start ON runs (start_ns)",
    "CREATE INDEX IF NOT EXISTS runs_trace ON runs (trace_id)",
    """CREATE TABLE IF NOT EXISTS run_warnings (
        run_id TEXT NOT NULL,
        name TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (run_id, name)
    )""",
    """CREATE TABLE IF NOT EXISTS events (
        uid TEXT PRIMARY KEY,
        run_id TEXT,
        trace_id TEXT,
        span_id TEXT,
        name TEXT NOT NULL,
        severity TEXT,
        time_ns {bigint} NOT NULL,
        first_seen_ns {bigint},
        release TEXT,
        run_name TEXT,
        record TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS events_name_time ON events (name, time_ns)",
    """CREATE TABLE IF NOT EXISTS spans (
        span_id TEXT NOT NULL,
        trace_id TEXT NOT NULL,
        parent_span_id TEXT,
        name TEXT,
        start_ns {bigint} NOT NULL,
        end_ns {bigint} NOT NULL,
        status TEXT,
        record TEXT NOT NULL,
        PRIMARY KEY (trace_id, span_id)
    )""",
)

_INSERT = {
    "runs": "INSERT INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
    "run_warnings": "INSERT INTO run_warnings VALUES (?,?,?) ON CONFLICT DO NOTHING",
    "events": "INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
    "spans": "INSERT INTO spans VALUES (?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
}


class WriteCounts(dict[str, int]):
    """How many records of each type a write took (``runs``, ``events``, ``spans``)."""


def rows_of(records: Iterable[dict[str, Any]]) -> dict[str, list[tuple[Any, ...]]]:
    """Split records into the rows of each table (unknown record types are ignored)."""
    tables: dict[str, list[tuple[Any, ...]]] = {name: [] for name in _INSERT}
    for record in records:
        kind = record.get("type")
        if kind == "run.summary":
            tables["runs"].append(_rows.run_row(record))
            tables["run_warnings"].extend(_rows.warning_rows(record))
        elif kind == "event":
            tables["events"].append(_rows.event_row(record))
        elif kind == "span" and record.get("span_id") and record.get("trace_id"):
            tables["spans"].append(_rows.span_row(record))
    return tables


class RunStore:
    """A store of run summaries, events and (imported) spans. Subclasses pick the engine.

    Thread-safe: one connection, used under a lock. Each process opens its own store; the
    engine (SQLite's file locks in WAL mode, PostgreSQL's MVCC) keeps several processes apart.
    """

    placeholder = "?"
    url: str

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._conn: Any = None

    # -- engine hooks ----------------------------------------------------------------------------

    def _connect(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _create_schema(self, conn: Any) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _begin_write(self, conn: Any) -> None:
        """Start a write transaction (SQLite takes its write lock up front)."""

    # -- plumbing ------------------------------------------------------------------------------

    def _sql(self, sql: str) -> str:
        return sql if self.placeholder == "?" else sql.replace("?", self.placeholder)

    def connection(self) -> Any:
        """The open connection (opened, and the schema created, on first use)."""
        with self._lock:
            if self._conn is None:
                conn = self._connect()
                try:
                    self._create_schema(conn)
                except BaseException:
                    conn.close()
                    raise
                self._conn = conn
            return self._conn

    def close(self) -> None:
        """Close the connection; a later call reopens it."""
        with self._lock:
            if self._conn is not None:
                conn, self._conn = self._conn, None
                conn.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -------------------------------------------------------------------------------

    def write(self, records: Iterable[dict[str, Any]]) -> WriteCounts:
        """Store records in one transaction; records already stored are skipped."""
        tables = rows_of(records)
        with self._lock:
            conn = self.connection()
            try:
                self._begin_write(conn)
                cur = conn.cursor()
                for table, rows in tables.items():
                    if rows:
                        cur.executemany(self._sql(_INSERT[table]), rows)
                conn.commit()
            except BaseException:
                conn.rollback()
                raise
        return WriteCounts(runs=len(tables["runs"]), events=len(tables["events"]), spans=len(tables["spans"]))

    # -- reading -------------------------------------------------------------------------------

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a read query (``?`` placeholders) and return its rows as tuples."""
        with self._lock:
            conn = self.connection()
            cur = conn.cursor()
            try:
                cur.execute(self._sql(sql), tuple(params))
                rows = [tuple(r) for r in cur.fetchall()]
            finally:
                cur.close()
            conn.commit()  # end the read transaction (PostgreSQL opens one for every query)
            return rows

    def has_table(self, name: str) -> bool:  # pragma: no cover - abstract
        """Whether the store has a table of this name."""
        raise NotImplementedError

    def count(self, table: str) -> int:
        """Rows in one of the store's tables."""
        if table not in _INSERT:
            raise ValueError(f"unknown table {table!r}")
        return int(self.query(f"SELECT COUNT(*) FROM {table}")[0][0])  # noqa: S608 - checked name
