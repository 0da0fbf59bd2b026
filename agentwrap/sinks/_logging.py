"""Records as structured log records on the ``agentwrap`` logger.

The message reads on its own, one line: the record's name, then its fields as ``key=value``
and its trace, e.g. ``tool.repeated_calls tool_name=search_flights repeat_count=3 step=3
trace_id=4bf9...``; a run summary gives the run's figures the same way. The unformatted
message (``record.msg``) is the same for every record of a kind, the values being its
arguments, so error trackers group by it. The name is ``event_name`` and the fields travel in
``extra`` as well, so that JSON formatters and structlog's stdlib integration see them as
attributes, not as text to parse.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from agentwrap._log import log

__all__ = ["LoggingSink"]

# The seed's figures a summary line gives, in this order (lists and maps stay in ``extra``).
_SUMMARY_FIGURES = (
    "total_number_of_turns",
    "selected_tool_calls",
    "number_of_same_tool_retries",
    "overall_latency",
    "llm_model",
    "release_version",
    "hash_of_prompt",
)


class LoggingSink:
    """Emit each record on a logger: summaries at INFO, warning events at WARNING."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._logger = logger or log

    def emit(self, record: dict[str, Any]) -> None:
        """Log one record: a line that reads on its own, the fields as ``extra`` attributes."""
        kind = record.get("type")
        if kind == "span":
            return  # spans are for tracing backends and files, not for log lines
        name = str(record.get("name", kind) if kind == "event" else kind)
        level = logging.WARNING if record.get("severity") == "warning" else logging.INFO
        if not self._logger.isEnabledFor(level):
            return
        template, args = _message(name, _pairs(record))
        extra = {"agentwrap": record, "event_name": name, **_flat_extra(record)}
        self._logger.log(level, template, *args, extra=extra)

    def close(self) -> None:
        """Nothing to flush: logging handlers own their streams."""


def _message(name: str, pairs: list[tuple[str, Any]]) -> tuple[str, tuple[str, ...]]:
    """The ``%``-template ``"name key=%s ..."`` and its arguments, each value on one line."""
    if not pairs:
        return name, ()  # no arguments: logging leaves the message as it is (no % to escape)
    keys = " ".join(f"{key.replace('%', '%%')}=%s" for key, _ in pairs)
    return f"{name.replace('%', '%%')} {keys}", tuple(_text(value) for _, value in pairs)


def _pairs(record: dict[str, Any]) -> list[tuple[str, Any]]:
    if record.get("type") == "run.summary":
        summary = record.get("summarized_metadata") or {}
        return [
            ("run_name", record.get("run_name")),
            *((key, summary.get(key)) for key in _SUMMARY_FIGURES),
            ("termination_reason", (record.get("termination") or {}).get("termination_reason")),
            ("total_tokens", (record.get("usage") or {}).get("total_tokens")),
            ("warnings", record.get("warnings")),
            ("trace_id", summary.get("trace_id")),
        ]
    pairs = list((record.get("fields") or {}).items())
    if record.get("trace_id"):
        pairs.append(("trace_id", record["trace_id"]))
    return pairs


# A bare value is one word; anything else is written as JSON (quoted and escaped).
_BARE = re.compile(r'[^\s"\\=\x00-\x1f\x7f]+')
# Line breaks that JSON leaves as they are (str.splitlines breaks on them).
_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def _text(value: Any) -> str:
    if isinstance(value, str) and _BARE.fullmatch(value):
        return value
    text = json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":"))
    return text.translate(_BREAKS)


# LogRecord attributes that ``extra`` must not overwrite (logging raises KeyError on them).
_RESERVED = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def _flat_extra(record: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key not in _RESERVED and key != "type"}
