"""Exit and SIGTERM: the summaries of open runs are written, and exit is not held up.

At interpreter exit (``atexit``) and on SIGTERM, the work the composition root installed is
done: every open run (implicit runs first, then explicit ones whose ``with`` block will never
finish) is closed, which writes its summary to the sinks, and the active Telemetry is shut
down (buffered spans, metrics and log records flushed; the providers agentwrap owns register
no exit handlers of their own). That work runs in a helper thread that is given
:data:`BUDGET_S` seconds in all: an unreachable exporter, or a lock held by the interrupted
code, can cost spans but never delays exit by more than that. A SIGTERM handler the program
had is called afterwards; with the default disposition, the process then dies by the signal
as it would have without agentwrap.
"""

from __future__ import annotations

import atexit
import os
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from agentwrap._errors import guarded

__all__ = ["BUDGET_S", "finish_open_runs", "install"]

BUDGET_S = 0.8

_lock = threading.Lock()
_atexit_installed = False
_previous_sigterm: Any = None
_sigterm_installed = False
_finish: Callable[[], object] | None = None  # the work to do at exit, from the composition root


def install(finish: Callable[[], object]) -> None:
    """Have ``finish`` done at exit and on SIGTERM (the handler is set from the main thread only).

    Args:
        finish: Closes the open runs and shuts the active Telemetry down.
    """
    global _atexit_installed, _sigterm_installed, _previous_sigterm, _finish
    with _lock:
        _finish = finish
        if not _atexit_installed:
            _atexit_installed = True
            atexit.register(finish_open_runs)
        if _sigterm_installed or threading.current_thread() is not threading.main_thread():
            return
        previous = signal.getsignal(signal.SIGTERM)
        if previous is None:  # installed from C: not ours to replace
            return
        signal.signal(signal.SIGTERM, _on_sigterm)
        _previous_sigterm = previous
        _sigterm_installed = True


def _close_and_flush() -> None:
    finish = _finish
    if finish is not None:
        guarded(finish)


def finish_open_runs(budget_s: float = BUDGET_S) -> None:
    """Close open runs and flush spans, waiting at most ``budget_s`` seconds."""
    worker = threading.Thread(target=_close_and_flush, name="agentwrap-exit", daemon=True)
    try:
        worker.start()
    except RuntimeError:  # no new threads this late in finalization: do it here
        _close_and_flush()
        return
    worker.join(budget_s)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    finish_open_runs()
    previous = _previous_sigterm
    if callable(previous):
        previous(signum, frame)
    elif previous == signal.SIG_IGN:
        return
    else:  # the default: die by the signal, exit status and all, as without agentwrap
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
