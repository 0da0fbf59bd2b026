"""Run stores: where run summaries and events are kept for ``agentwrap report`` and dashboards.

SQLite (a file, embedded, the default) on one machine; PostgreSQL (``postgresql://`` URL,
the ``postgres`` extra) for a fleet. Both hold the same tables and answer the same SQL. The
detectors' ``first_seen`` table is kept here too (:mod:`agentwrap.detect.store`), and one
resolver (:mod:`agentwrap.store._resolve`) says where each store is for a ``store`` setting.

The sink that fills a run store as runs close, :class:`StoreSink`, and its span exporter are
in :mod:`agentwrap.sinks` with the other sinks (and importable from here).
"""

from __future__ import annotations

from typing import Any

from agentwrap.store._base import RunStore, WriteCounts
from agentwrap.store._postgres import PostgresStore
from agentwrap.store._resolve import default_store_path, open_store, store_target
from agentwrap.store._sqlite import SqliteStore

__all__ = [
    "PostgresStore",
    "RunStore",
    "SqliteStore",
    "StoreSink",
    "StoreSpanExporter",
    "WriteCounts",
    "default_store_path",
    "open_store",
    "store_target",
]

_FROM_SINKS = ("StoreSink", "StoreSpanExporter")


def __getattr__(name: str) -> Any:
    # On first use (PEP 562): the sink side needs the OTel SDK, which reading a store does not.
    if name not in _FROM_SINKS:
        raise AttributeError(f"module 'agentwrap.store' has no attribute {name!r}")
    from agentwrap.sinks import _store

    value = getattr(_store, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_FROM_SINKS})
