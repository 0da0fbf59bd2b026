"""What the detect observers share: emitting what they found, with ``first_seen``, and the
settings they resolve once per configuration."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from agentwrap._events import emit_warning
from agentwrap.store._first_seen import iso_time
from agentwrap.store._first_seen_live import live_first_seen

if TYPE_CHECKING:
    from opentelemetry.trace import Span

    from agentwrap._config import Config
    from agentwrap._run import Run

__all__ = ["Found", "emit_found", "first_seen_fields", "per_config"]

# A warning an observer found: its name, its fields, the span it is about (None: the run's
# root) and, when that span has ended, its id.
Found = tuple[str, dict[str, Any], "Span | None", "str | None"]
T = TypeVar("T")


def first_seen_fields(name: str, key: str, when_ns: int, run: Run) -> dict[str, Any]:
    """``first_seen`` fields of one sighting (from memory: the file is read and written by a
    background thread, see :mod:`agentwrap.store._first_seen_live`)."""
    seen = live_first_seen(run.telemetry.config.store).lookup(name, key, when_ns, run.trace_id, run.run_id)
    return {
        "first_seen": iso_time(seen.first_seen_ns),
        "first_seen_unix_nano": seen.first_seen_ns,
        "first_seen_trace_id": seen.trace_id,
    }


def emit_found(run: Run, found: Iterable[Found]) -> None:
    """Emit each warning found, with its ``first_seen``, on its span (or the run's root)."""
    for name, fields, span, span_id in found:
        fields.update(first_seen_fields(name, "", time.time_ns(), run))
        emit_warning(name, fields, span=span or run.span, run=run, span_id=span_id)


def per_config(build: Callable[[Config], T]) -> Callable[[Config], T]:
    """``build(config)``, kept for the last config seen: resolved once per ``instrument()``
    (a Config is frozen), not once per run."""
    last: list[Any] = [None, None]

    def get(config: Config) -> T:
        seen, value = last
        if seen is not config:
            value = build(config)
            last[:] = [config, value]
        result: T = value
        return result

    return get
