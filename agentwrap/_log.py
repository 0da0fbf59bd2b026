"""The ``agentwrap`` logger, with the library convention's NullHandler.

Every module of ours that logs takes its logger from here, so the handler is on the logger
before the first record: a program that configures no logging gets nothing from agentwrap on
stderr (not the bare words of Python's last-resort handler), and one that does sees every
record through its own handlers. ``import agentwrap`` imports this module at once when the
program has imported ``logging`` already; it does not import ``logging`` itself, which would
cost milliseconds at start-up.
"""

from __future__ import annotations

import logging

__all__ = ["log"]

log = logging.getLogger("agentwrap")
if not any(type(handler) is logging.NullHandler for handler in log.handlers):
    log.addHandler(logging.NullHandler())  # once, even if this module is imported again
