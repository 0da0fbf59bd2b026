"""Fail-open plumbing: agentwrap's own errors never reach the host program.

Every piece of agentwrap code that runs on the application's path is called through
:func:`guarded`. An exception of ours is logged once per place on the ``agentwrap`` logger
and swallowed; the SDK call goes on as if agentwrap were not there. Set
``AGENTWRAP_RAISE_INTERNAL_ERRORS=1`` (our own test-suite does) to see them raised instead.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from agentwrap._log import log as logger

__all__ = ["AgentwrapError", "DeliberateError", "guarded", "logger", "report_internal_error"]

T = TypeVar("T")

RAISE_INTERNAL_ERRORS = os.environ.get("AGENTWRAP_RAISE_INTERNAL_ERRORS", "").lower() in ("1", "true", "yes")

_reported: set[str] = set()
_reported_lock = threading.Lock()


class AgentwrapError(Exception):
    """Base class of the errors agentwrap raises on purpose (configuration, budgets)."""


class DeliberateError(AgentwrapError):
    """An error agentwrap raises *into the host program* on purpose, from guarded code.

    :func:`guarded` swallows every other exception; this one (and only this one, with its
    subclasses such as :class:`agentwrap.BudgetExceeded`) it lets through, so that an
    enforced budget can stop a call before anything is sent.
    """


def report_internal_error(where: str, exc: BaseException) -> None:
    """Log an internal error once per place, or raise it when asked to (tests, debugging)."""
    if RAISE_INTERNAL_ERRORS:
        raise exc
    with _reported_lock:
        first = where not in _reported
        _reported.add(where)
    if first:
        logger.warning(
            "agentwrap: internal error in %s; instrumentation skipped, the call is unaffected "
            "(further errors here are logged at debug level)",
            where,
            exc_info=exc,
        )
    else:
        logger.debug("agentwrap: internal error in %s", where, exc_info=exc)


def guarded(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """Call ``fn``; on any exception of ours, report it and return ``None``."""
    try:
        return fn(*args, **kwargs)
    except DeliberateError:
        raise  # meant for the host program (an enforced budget), not an internal error
    except Exception as exc:  # noqa: BLE001 - fail open is the point
        report_internal_error(getattr(fn, "__qualname__", repr(fn)), exc)
        return None
