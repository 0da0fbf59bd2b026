"""``AGENTWRAP_AUTO_INSTRUMENT=1``: instrument a program with no change to its code.

The ``agentwrap-auto.pth`` file installed in site-packages calls :func:`start` at interpreter
start-up when the variable is set (and does nothing but read it otherwise). ``start`` costs a
millisecond or so: it puts a finder at the front of ``sys.meta_path`` that waits for the first
import of a supported SDK (or HTTP client). Only then is the rest of agentwrap imported: a
post-import hook per SDK is registered (each SDK is patched when first imported, or at once if
it already is), with the exit and SIGTERM hooks, and the import goes on through the hook, so
the SDK comes out patched. A program that never imports an SDK pays almost nothing. The tracer,
sinks and exporters are built at the first LLM call or run, from the environment
(``AGENTWRAP_*`` and the standard ``OTEL_*`` variables), so a TracerProvider the app sets up in
the meantime is used. Implicit runs are on (``AGENTWRAP_IMPLICIT_RUNS=0`` turns them off).
"""

from __future__ import annotations

import _thread
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec
    from typing import Any

__all__ = ["instrument_now", "start"]

_lock = _thread.RLock()  # (not threading: importing it costs milliseconds at start-up)
_started = False
_instrumented = False


class _FirstSDKImport:
    """A meta path finder that instruments when a watched module is about to be imported."""

    def __init__(self, names: frozenset[str]) -> None:
        self.names = names

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if fullname not in self.names:
            return None
        with _lock:
            if self in sys.meta_path:
                sys.meta_path.remove(self)
            instrument_now()
        import importlib.util

        # Found again, now through the post-import hook's own finder (first in sys.meta_path).
        return importlib.util.find_spec(fullname)


def _watched() -> frozenset[str]:
    from agentwrap._patch_table import patch_table  # a plain dict: no SDK, no OTel

    return frozenset(sdk for sdk, _ in patch_table().values())


def start() -> None:
    """Wait for the first SDK import (or instrument at once if one is imported already)."""
    global _started
    with _lock:
        if _started:
            return
        _started = True
        try:
            os.environ.setdefault("AGENTWRAP_IMPLICIT_RUNS", "1")
            names = _watched()
            if any(name in sys.modules for name in names):
                instrument_now()
            else:
                sys.meta_path.insert(0, _FirstSDKImport(names))
        except Exception:  # noqa: BLE001 - a start-up hook must never stop the program
            _report()


def instrument_now() -> None:
    """Register the SDK hooks and the exit hooks (idempotent; never raises)."""
    global _instrumented
    with _lock:
        if _instrumented:
            return
        _instrumented = True
        try:
            _instrument()
        except Exception:  # noqa: BLE001 - nor may the SDK's import be broken by us
            _report()


def _instrument() -> None:
    from agentwrap import _setup

    _setup.setup_auto()


def _report() -> None:
    from agentwrap._log import log

    log.warning("agentwrap: auto-instrumentation failed; the program runs uninstrumented", exc_info=True)
