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

A TracerProvider of the application's that agentwrap writes to may shut down before that work
is done, and then the root spans of the runs still open are dropped. Two things keep runs
closing first, whoever registered an exit hook first. Our ``atexit`` hook is registered again
each time a Telemetry is wired (atexit runs hooks last-in, first-out, and the providers a
Telemetry uses exist by then, their own exit hooks with them), and :func:`before_shutdown`
hooks the ``shutdown`` of each such provider, so that a program that shuts its provider down
itself (or from an exit hook registered later) has the runs closed just before. The hook is
on the provider object alone, not on its class: other providers, and the SDK, are untouched.
"""

from __future__ import annotations

import atexit
import functools
import os
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from agentwrap._errors import guarded
from agentwrap._log import log

__all__ = ["BUDGET_S", "before_shutdown", "finish_open_runs", "install"]

BUDGET_S = 0.8


_lock = threading.Lock()
_previous_sigterm: Any = None
_sigterm_installed = False
_finish: Callable[[], object] | None = None  # the work to do at exit, from the composition root


def install(finish: Callable[[], object]) -> None:
    """Have ``finish`` done at exit and on SIGTERM (the handler is set from the main thread only).

    Args:
        finish: Closes the open runs and shuts the active Telemetry down.
    """
    global _sigterm_installed, _previous_sigterm, _finish
    with _lock:
        _finish = finish
        # Registered again, so that ours runs before the exit hooks of the providers that
        # exist by now (see the module's docstring); unregistering an absent hook is a no-op.
        atexit.unregister(finish_open_runs)
        atexit.register(finish_open_runs)
        if _sigterm_installed or threading.current_thread() is not threading.main_thread():
            return
        previous = signal.getsignal(signal.SIGTERM)
        if previous is None:  # installed from C: not ours to replace
            return
        signal.signal(signal.SIGTERM, _on_sigterm)
        _previous_sigterm = previous
        _sigterm_installed = True


# The attribute of our shutdown hook that holds what it does first (a one-item list, so that a
# provider a later Telemetry uses again has that Telemetry's runs closed).
_FIRST = "_agentwrap_first"


def before_shutdown(provider: Any, first: Callable[[], object]) -> None:
    """Have ``first`` done each time ``provider.shutdown()`` is called, just before it runs.

    Args:
        provider: A provider of the application's (anything with a ``shutdown`` method).
        first: Closes the runs whose spans or records go to ``provider``.
    """
    current = getattr(provider, "shutdown", None)
    if not callable(current):
        return
    hooked: list[Callable[[], object]] | None = getattr(current, _FIRST, None)
    if hooked is not None:  # hooked already: the newest Telemetry's runs are the ones to close
        hooked[0] = first
        return

    todo = [first]

    @functools.wraps(current)
    def shutdown(*args: Any, **kwargs: Any) -> Any:
        guarded(todo[0])
        return current(*args, **kwargs)

    setattr(shutdown, _FIRST, todo)
    try:
        provider.shutdown = shutdown
    except (AttributeError, TypeError):  # slots, a read-only property: exit order still helps
        log.debug("agentwrap: cannot hook %s.shutdown", type(provider).__name__)


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
