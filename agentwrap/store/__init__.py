"""Run stores: where run summaries and events are kept for ``agentwrap report`` and dashboards.

SQLite (a file, embedded, the default) on one machine; PostgreSQL (``postgresql://`` URL,
the ``postgres`` extra) for a fleet. Both hold the same tables and answer the same SQL.
"""

from __future__ import annotations

import os

from agentwrap.store._base import RunStore, WriteCounts
from agentwrap.store._postgres import PostgresStore
from agentwrap.store._sink import StoreSink, StoreSpanExporter
from agentwrap.store._sqlite import DEFAULT_STORE_PATH, SqliteStore, default_store_path

__all__ = [
    "DEFAULT_STORE_PATH",
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


def open_store(target: str | os.PathLike[str] | None = None) -> RunStore:
    """A store for a path or URL: ``postgresql://...`` is PostgreSQL, anything else a SQLite file.

    ``None`` means ``AGENTWRAP_STORE``, else the default path.
    """
    where = os.fspath(target) if target is not None else default_store_path()
    if where.startswith(("postgresql://", "postgres://")):
        return PostgresStore(where)
    if where.startswith("sqlite:///"):
        where = where[len("sqlite:///") :]
    return SqliteStore(where)


def store_target(setting: str | None) -> str | None:
    """Where the run store goes for a ``store`` setting (``instrument(store=...)``,
    ``AGENTWRAP_STORE``): ``None`` (no run store) when unset or off; runs are kept only when
    asked, while the detectors' small ``first_seen`` table lives in the default file anyway."""
    if setting is None or setting.strip().lower() in ("", "off", "none", "memory", ":memory:"):
        return None
    return setting
