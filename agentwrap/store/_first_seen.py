"""The ``first_seen`` store: when each derived event was first seen, in an embedded SQLite file.

A pattern is an event name plus an optional key a detector chooses (``""`` by default). The
store keeps the earliest time it was seen (and in which trace and run) and the latest. Writes
are an upsert that keeps the minimum, so they commute: several processes (WAL mode, a busy
timeout) and any number of backfills can write in any order and the answer is the earliest
occurrence anyone has reported. Stdlib ``sqlite3`` only.

:meth:`FirstSeenStore.observe` caches what it read, so a pattern costs one small transaction
the first time a process sees it and nothing afterwards (entries are re-read after ``ttl``
seconds, so a backfill run elsewhere shows up without a restart). Live warnings do not call it
on the calling thread: :mod:`agentwrap.store._first_seen_live` does their I/O in a background
thread. Which file a ``store`` setting names is :func:`agentwrap.store._resolve.first_seen_path`'s
answer; the public names are in :mod:`agentwrap.detect.store`.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone

from agentwrap.store._resolve import first_seen_path

__all__ = [
    "AnyStore",
    "FirstSeen",
    "FirstSeenStore",
    "MemoryFirstSeenStore",
    "Observation",
    "iso_time",
    "open_first_seen",
]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS first_seen (
    name TEXT NOT NULL,
    key TEXT NOT NULL DEFAULT '',
    first_seen_ns INTEGER NOT NULL,
    trace_id TEXT,
    run_id TEXT,
    last_seen_ns INTEGER NOT NULL,
    PRIMARY KEY (name, key)
)
"""
# In an UPDATE every right-hand side reads the row as it was, so the CASEs compare against
# the old first_seen_ns whatever the order of the assignments.
_UPSERT = """
INSERT INTO first_seen (name, key, first_seen_ns, trace_id, run_id, last_seen_ns)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (name, key) DO UPDATE SET
    trace_id = CASE WHEN excluded.first_seen_ns < first_seen.first_seen_ns
                    THEN excluded.trace_id ELSE first_seen.trace_id END,
    run_id = CASE WHEN excluded.first_seen_ns < first_seen.first_seen_ns
                  THEN excluded.run_id ELSE first_seen.run_id END,
    first_seen_ns = MIN(first_seen.first_seen_ns, excluded.first_seen_ns),
    last_seen_ns = MAX(first_seen.last_seen_ns, excluded.last_seen_ns)
"""
_SELECT = "SELECT first_seen_ns, trace_id, run_id, last_seen_ns FROM first_seen WHERE name = ? AND key = ?"


def iso_time(ns: int) -> str:
    """``2026-11-25T23:46:30.123Z`` for a Unix time in nanoseconds."""
    moment = datetime.fromtimestamp(ns / 1e9, tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class FirstSeen:
    """When a pattern was first seen, and where.

    ``last_seen_ns`` is the latest sighting *written*: a process writes a pattern on a cache
    miss only (once per ``ttl``), so it lags behind by up to that long.
    """

    first_seen_ns: int
    trace_id: str | None = None
    run_id: str | None = None
    last_seen_ns: int = 0

    @property
    def first_seen(self) -> str:
        """The first time, as ISO 8601 UTC."""
        return iso_time(self.first_seen_ns)


Observation = tuple[str, str, int, "str | None", "str | None"]  # name, key, seen_ns, trace_id, run_id


class MemoryFirstSeenStore:
    """The same interface, kept in this process only (``store="off"``)."""

    path: str | None = None

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], FirstSeen] = {}
        self._lock = threading.Lock()

    def observe(
        self, name: str, key: str, seen_ns: int, trace_id: str | None = None, run_id: str | None = None
    ) -> FirstSeen:
        """Record one sighting; return the pattern's first sighting."""
        self.observe_many([(name, key, seen_ns, trace_id, run_id)])
        return self._rows[(name, key)]

    def observe_many(self, observations: Iterable[Observation]) -> int:
        """Record many sightings; return how many."""
        count = 0
        with self._lock:
            for name, key, seen_ns, trace_id, run_id in observations:
                old = self._rows.get((name, key))
                if old is None or seen_ns < old.first_seen_ns:
                    last = max(seen_ns, old.last_seen_ns) if old else seen_ns
                    self._rows[(name, key)] = FirstSeen(seen_ns, trace_id, run_id, last)
                else:
                    self._rows[(name, key)] = FirstSeen(
                        old.first_seen_ns, old.trace_id, old.run_id, max(old.last_seen_ns, seen_ns)
                    )
                count += 1
        return count

    def get(self, name: str, key: str = "") -> FirstSeen | None:
        """The pattern's first sighting, if any."""
        return self._rows.get((name, key))

    def patterns(self) -> list[tuple[str, str, FirstSeen]]:
        """Every pattern, earliest first."""
        rows = [(name, key, seen) for (name, key), seen in self._rows.items()]
        return sorted(rows, key=lambda row: row[2].first_seen_ns)


class FirstSeenStore:
    """``first_seen`` in a SQLite file, safe to share between processes."""

    def __init__(self, path: str | os.PathLike[str], ttl: float = 30.0) -> None:
        self.path = os.fspath(path)
        self.ttl = ttl
        self._cache: dict[tuple[str, str], tuple[FirstSeen, float]] = {}
        self._lock = threading.Lock()
        self._ready = False

    def _connect(self) -> sqlite3.Connection:
        if not self._ready:
            parent = os.path.dirname(self.path)
            if parent:
                os.makedirs(parent, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 10000")
        if not self._ready:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(_SCHEMA)
            self._ready = True
        return conn

    def observe(
        self, name: str, key: str, seen_ns: int, trace_id: str | None = None, run_id: str | None = None
    ) -> FirstSeen:
        """Record one sighting and return the pattern's first sighting (I/O only on a cache miss)."""
        with self._lock:
            cached = self._cache.get((name, key))
            if cached is not None and cached[0].first_seen_ns <= seen_ns and time.monotonic() < cached[1]:
                return cached[0]
            conn = self._connect()
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute(_UPSERT, (name, key, seen_ns, trace_id, run_id, seen_ns))
                row = conn.execute(_SELECT, (name, key)).fetchone()
                conn.execute("COMMIT")
            finally:
                conn.close()
            seen = FirstSeen(int(row[0]), row[1], row[2], int(row[3]))
            self._cache[(name, key)] = (seen, time.monotonic() + self.ttl)
            return seen

    def observe_many(self, observations: Iterable[Observation]) -> int:
        """Record many sightings in one transaction (backfill); return how many."""
        rows = [(name, key, ns, trace, run, ns) for name, key, ns, trace, run in observations]
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(_UPSERT, rows)
            conn.execute("COMMIT")
        finally:
            conn.close()
        with self._lock:
            self._cache.clear()
        return len(rows)

    def get(self, name: str, key: str = "") -> FirstSeen | None:
        """The pattern's first sighting as stored now, if any (always reads the file)."""
        conn = self._connect()
        try:
            row = conn.execute(_SELECT, (name, key)).fetchone()
        finally:
            conn.close()
        return None if row is None else FirstSeen(int(row[0]), row[1], row[2], int(row[3]))

    def patterns(self) -> list[tuple[str, str, FirstSeen]]:
        """Every pattern, earliest first."""
        conn = self._connect()
        try:
            rows = conn.execute(
                "SELECT name, key, first_seen_ns, trace_id, run_id, last_seen_ns FROM first_seen"
                " ORDER BY first_seen_ns"
            ).fetchall()
        finally:
            conn.close()
        return [(r[0], r[1], FirstSeen(int(r[2]), r[3], r[4], int(r[5]))) for r in rows]


AnyStore = FirstSeenStore | MemoryFirstSeenStore

_stores: dict[str, AnyStore] = {}
_stores_lock = threading.Lock()


def open_first_seen(setting: str | None) -> AnyStore:
    """The process-wide ``first_seen`` store for a ``store`` setting (one object per file, so
    one cache); in memory for ``"off"``."""
    path = first_seen_path(setting)
    key = path or ":memory:"
    with _stores_lock:
        store = _stores.get(key)
        if store is None:
            store = FirstSeenStore(path) if path else MemoryFirstSeenStore()
            _stores[key] = store
        return store
