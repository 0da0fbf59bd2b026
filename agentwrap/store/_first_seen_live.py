"""``first_seen`` for live warnings, with no I/O on the calling thread.

A warning is emitted where the LLM call is made, and it carries its pattern's ``first_seen``.
Reading or writing the SQLite file there would put a transaction (and, behind another
process's write, a busy wait) into the host's call. Instead each store file gets one daemon
thread that does all of that file's I/O:

- it loads every pattern the file knows as soon as telemetry starts (read-only: a file that does
  not exist yet is not created until there is something to write);
- it writes the sightings the calling threads queue, in one transaction per batch, the earliest
  sighting winning as in :class:`~agentwrap.store._first_seen.FirstSeenStore`;
- it re-reads the file every ``ttl`` seconds, so patterns another process or a backfill wrote
  show up without a restart.

A lookup is then a dictionary read under a lock. Only when a warning comes before the first
load has finished (in the first milliseconds after ``instrument()``) does it wait for that
load, at most :data:`FIRST_LOAD_WAIT_S`, and only the first lookup of the process does. If
the file cannot be used, one warning is logged and ``first_seen`` is kept in memory for the
process, as before.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from agentwrap._log import log
from agentwrap.store._first_seen import (
    FirstSeen,
    FirstSeenStore,
    MemoryFirstSeenStore,
    Observation,
    open_first_seen,
)

__all__ = ["FIRST_LOAD_WAIT_S", "LiveFirstSeen", "flush_all", "live_first_seen"]

FIRST_LOAD_WAIT_S = 0.25
T = TypeVar("T")

_services: dict[str, LiveFirstSeen] = {}
_services_lock = threading.Lock()


class LiveFirstSeen:
    """The process's view of one ``first_seen`` file, kept current by a background thread."""

    def __init__(self, store: FirstSeenStore, ttl: float | None = None) -> None:
        self._store = store
        self._ttl = store.ttl if ttl is None else ttl
        self._known: dict[tuple[str, str], FirstSeen] = {}
        self._next_write: dict[tuple[str, str], float] = {}  # monotonic time a pattern is due again
        self._queue: list[Observation] = []
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._loaded = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._failed = False
        self._waited = False
        self._thread = threading.Thread(target=self._work, name="agentwrap-first-seen", daemon=True)
        self._thread.start()

    # -- the calling thread ---------------------------------------------------------------------

    def lookup(
        self, name: str, key: str, seen_ns: int, trace_id: str | None, run_id: str | None
    ) -> FirstSeen:
        """The pattern's first sighting, this one included; the sighting is queued for the file."""
        if not self._waited:  # once: a load held up by a locked file must not slow every warning
            self._waited = True
            self._loaded.wait(FIRST_LOAD_WAIT_S)
        pattern = (name, key)
        now = time.monotonic()
        with self._lock:
            known = self._known.get(pattern)
            if known is None or seen_ns < known.first_seen_ns:
                last = max(seen_ns, known.last_seen_ns) if known is not None else seen_ns
                known = FirstSeen(seen_ns, trace_id, run_id, last)
                due = True
            else:
                known = replace(known, last_seen_ns=max(known.last_seen_ns, seen_ns))
                due = now >= self._next_write.get(pattern, 0.0)  # last_seen: once per ttl, as before
            self._known[pattern] = known
            if due and not self._failed:
                self._next_write[pattern] = now + self._ttl
                self._queue.append((name, key, seen_ns, trace_id, run_id))
                self._idle.clear()
                self._wake.notify()
        return known

    def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the queued sightings to be written."""
        with self._lock:
            self._wake.notify()
        return self._idle.wait(timeout)

    # -- the background thread ------------------------------------------------------------------

    def _work(self) -> None:
        try:
            self._load(read_only=True)
        finally:
            self._loaded.set()
        refresh_at = time.monotonic() + self._ttl
        while True:
            with self._lock:
                if not self._queue:
                    self._idle.set()
                    self._wake.wait(max(refresh_at - time.monotonic(), 0.0))
                batch, self._queue = self._queue, []
            if batch and not self._failed:
                self._guard(self._store.observe_many, batch)
                self._load(read_only=False)
                refresh_at = time.monotonic() + self._ttl
            elif time.monotonic() >= refresh_at:
                self._load(read_only=True)
                refresh_at = time.monotonic() + self._ttl
            if batch:
                with self._lock:
                    if not self._queue:
                        self._idle.set()

    def _load(self, read_only: bool) -> None:
        if self._failed or (read_only and not os.path.exists(self._store.path)):
            return
        rows = self._guard(self._store.patterns)
        if not rows:
            return
        with self._lock:
            for name, key, stored in rows:
                mine = self._known.get((name, key))
                if mine is None or stored.first_seen_ns <= mine.first_seen_ns:
                    last = max(stored.last_seen_ns, mine.last_seen_ns if mine else 0)
                    self._known[(name, key)] = replace(stored, last_seen_ns=last)

    def _guard(self, fn: Callable[..., T], *args: object) -> T | None:
        try:
            return fn(*args)
        except (sqlite3.Error, OSError) as exc:
            if not self._failed:
                self._failed = True
                log.warning("agentwrap: first_seen store unavailable (%s); using memory for now", exc)
            return None


class _InMemory:
    """``store="off"``: the same lookup over the process-local store (no I/O anyway)."""

    def __init__(self) -> None:
        self._store = MemoryFirstSeenStore()

    def lookup(
        self, name: str, key: str, seen_ns: int, trace_id: str | None, run_id: str | None
    ) -> FirstSeen:
        return self._store.observe(name, key, seen_ns, trace_id, run_id)

    def flush(self, timeout: float) -> bool:
        return True


_memory = _InMemory()


def live_first_seen(store_setting: str | None) -> LiveFirstSeen | _InMemory:
    """The process-wide live view for a ``store`` setting (started on first use)."""
    store = open_first_seen(store_setting)
    if not isinstance(store, FirstSeenStore):
        return _memory
    with _services_lock:
        service = _services.get(store.path)
        if service is None:
            service = _services[store.path] = LiveFirstSeen(store)
        return service


def flush_all(timeout: float) -> None:
    """Write what every live view has queued, waiting at most ``timeout`` seconds in all."""
    deadline = time.monotonic() + timeout
    with _services_lock:
        services = list(_services.values())
    for service in services:
        service.flush(max(deadline - time.monotonic(), 0.0))
