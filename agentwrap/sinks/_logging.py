"""Records as structured log records on the ``agentwrap`` logger.

The message is the record type (``run.summary``, ``tool.repeated_calls``, ...) and the fields
travel in ``extra`` so that stdlib formatters, JSON formatters and structlog's stdlib
integration all see them as attributes, not as text to parse.
"""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["LoggingSink"]


class LoggingSink:
    """Emit each record on a logger: summaries at INFO, warning events at WARNING."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._logger = logger or logging.getLogger("agentwrap")

    def emit(self, record: dict[str, Any]) -> None:
        """Log one record; its name is the message, its fields are ``extra`` attributes."""
        kind = record.get("type")
        if kind == "span":
            return  # spans are for tracing backends and files, not for log lines
        name = record.get("name", kind) if kind == "event" else kind
        level = logging.WARNING if record.get("severity") == "warning" else logging.INFO
        if not self._logger.isEnabledFor(level):
            return
        extra = {"agentwrap": record, **_flat_extra(record)}
        self._logger.log(level, "%s", name, extra=extra)

    def close(self) -> None:
        """Nothing to flush: logging handlers own their streams."""


# LogRecord attributes that ``extra`` must not overwrite (logging raises KeyError on them).
_RESERVED = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def _flat_extra(record: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key not in _RESERVED and key != "type"}
