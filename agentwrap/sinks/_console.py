"""Run summaries and warning events on stderr, one JSON object per line (``AGENTWRAP_CONSOLE=1``)."""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Mapping
from typing import Any

__all__ = ["ConsoleSink", "console_requested"]

_TRUE = ("1", "true", "yes", "on")


class ConsoleSink:
    """Prints run summaries (and warning events) to stderr, one JSON object per line."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def emit(self, record: dict[str, Any]) -> None:
        """Print one record."""
        line = json.dumps(record, ensure_ascii=False, default=str, separators=(",", ":"))
        with self._lock:
            sys.stderr.write(line + "\n")
            sys.stderr.flush()

    def close(self) -> None:
        """Nothing to release."""


def console_requested(env: Mapping[str, str] | None = None) -> bool:
    """Whether ``AGENTWRAP_CONSOLE`` asks for summaries on stderr."""
    value = (os.environ if env is None else env).get("AGENTWRAP_CONSOLE", "")
    return value.strip().lower() in _TRUE
