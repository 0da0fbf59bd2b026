"""A throwaway PostgreSQL server on loopback, started with initdb/pg_ctl in a temp dir.

The machine's PostgreSQL server binaries (Debian's ``postgresql`` package) are found under
``/usr/lib/postgresql/*/bin``. PostgreSQL refuses to run as root, so as root the cluster is
created and run as the ``postgres`` user. Missing binaries skip the tests, except in CI
(``CI`` set), where they fail.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


def _bindir() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return os.path.dirname(found[-1])
    pg_ctl = shutil.which("pg_ctl")
    return os.path.dirname(pg_ctl) if pg_ctl else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def unavailable(reason: str) -> None:
    """Skip outside CI; fail in CI, where the dependency must be installed."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (required in CI)")
    pytest.skip(reason)


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a PostgreSQL server; yield its URL; stop it and remove its files."""
    bindir = _bindir()
    if bindir is None:
        unavailable("PostgreSQL server binaries not found (apt-get install -y postgresql)")
    assert bindir is not None
    root = tempfile.mkdtemp(prefix="agentwrap-pg-")
    data, port = os.path.join(root, "data"), _free_port()
    prefix: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    run = lambda *cmd: subprocess.run(  # noqa: E731
        [*prefix, *cmd], check=True, capture_output=True, text=True, cwd=root
    )
    try:
        run(f"{bindir}/initdb", "-D", data, "-U", "agentwrap", "--auth=trust", "-E", "UTF8", "--no-sync")
        opts = f"-p {port} -k {root} -h 127.0.0.1 -c fsync=off -c full_page_writes=off"
        run(f"{bindir}/pg_ctl", "-D", data, "-o", opts, "-l", os.path.join(root, "log"), "-w", "start")
        try:
            yield f"postgresql://agentwrap@127.0.0.1:{port}/postgres"
        finally:
            run(f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)
