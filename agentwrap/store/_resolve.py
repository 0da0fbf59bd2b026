"""Where the stores are: one resolver for the run store and the detectors' ``first_seen`` table.

One ``store`` setting (``instrument(store=...)``, ``AGENTWRAP_STORE``) names both:

- the **run store** (summaries and events for ``agentwrap report`` and the dashboard) is kept
  only when the setting asks for one: a SQLite file or a ``postgresql://`` URL;
- ``first_seen`` (:mod:`agentwrap.detect`) is always kept: in the file the setting names,
  else (unset, or a database URL) in the default file under the user's data directory, and
  in memory only for ``"off"``.

So one user has one embedded file, the run tables beside ``first_seen``. The command line
opens a run store with :func:`open_store`, whose default is ``AGENTWRAP_STORE``, else that
same default file.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from agentwrap.store._base import RunStore
from agentwrap.store._postgres import PostgresStore
from agentwrap.store._sqlite import SqliteStore

__all__ = ["default_store_path", "first_seen_path", "open_store", "store_target"]

_OFF = ("off", "none", "memory", ":memory:")
_SQLITE_URL = "sqlite:///"  # sqlite:///rel/path, sqlite:////abs/path
_POSTGRES_URLS = ("postgresql://", "postgres://")


def default_store_path() -> Path:
    """``agentwrap/agentwrap.db`` under the platform's per-user data directory.

    ``XDG_DATA_HOME`` (else ``~/.local/share``) on Linux, ``~/Library/Application Support`` on
    macOS, ``LOCALAPPDATA`` on Windows.
    """
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    return base / "agentwrap" / "agentwrap.db"


def store_target(setting: str | None) -> str | None:
    """Where the run store goes for a ``store`` setting: ``None`` (no run store) when unset or
    off; runs are kept only when asked, while ``first_seen`` lives in the default file anyway."""
    if setting is None or setting.strip().lower() in ("", *_OFF):
        return None
    return setting


def first_seen_path(setting: str | None) -> str | None:
    """The file that keeps ``first_seen`` for a ``store`` setting, or ``None`` for memory only."""
    if setting is None or setting == "":
        return os.fspath(default_store_path())
    if setting.strip().lower() in _OFF:
        return None
    if setting.startswith(_SQLITE_URL):
        return setting[len(_SQLITE_URL) :]
    if "://" in setting:  # another kind of store (a database URL): first_seen stays in the default file
        return os.fspath(default_store_path())
    return os.path.expanduser(setting)


def open_store(target: str | os.PathLike[str] | None = None) -> RunStore:
    """A run store for a path or URL: ``postgresql://...`` is PostgreSQL, anything else a SQLite file.

    ``None`` means ``AGENTWRAP_STORE``, else :func:`default_store_path`.
    """
    if target is None:
        where = os.environ.get("AGENTWRAP_STORE") or os.fspath(default_store_path())
    else:
        where = os.fspath(target)
    if where.startswith(_POSTGRES_URLS):
        return PostgresStore(where)
    if where.startswith(_SQLITE_URL):
        where = where[len(_SQLITE_URL) :]
    return SqliteStore(where)
