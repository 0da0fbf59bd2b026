"""The ``first_seen`` store: when each derived event was first seen, and where.

A pattern is an event name plus an optional key a detector chooses (``""`` by default); the
store keeps its earliest sighting (and in which trace and run) and its latest, in an embedded
SQLite file that several processes and any number of backfills can share, the earliest
sighting winning whatever the order of the writes. The store itself lives with the run store
in :mod:`agentwrap.store` (one resolver says which file a ``store`` setting names); these are
its public names.
"""

from __future__ import annotations

from agentwrap.store._first_seen import (
    AnyStore,
    FirstSeen,
    FirstSeenStore,
    MemoryFirstSeenStore,
    Observation,
    iso_time,
)
from agentwrap.store._first_seen import open_first_seen as open_store
from agentwrap.store._resolve import default_store_path

__all__ = [
    "AnyStore",
    "FirstSeen",
    "FirstSeenStore",
    "MemoryFirstSeenStore",
    "Observation",
    "default_store_path",
    "iso_time",
    "open_store",
]
