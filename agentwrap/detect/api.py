"""Layer 3: detectors that a team adds after an incident.

A detector is a small function over one run's records that returns the events it finds::

    import agentwrap
    from agentwrap.detect import DetectorEvent, RunRecords

    @agentwrap.register_detector
    def stale_dates(run: RunRecords):
        for call in run.tool_calls:
            if call.name == "search_flights" and call.is_error:
                yield DetectorEvent("flights.search_failed", {"step": call.step}, span_id=call.span_id)

It runs when each run closes, over exactly the records that ``agentwrap backfill`` rebuilds
from stored history, so the same function finds the same events live and in the past. Every
event it returns is emitted as a warning with ``first_seen`` from the store. A package can
ship detectors through the ``agentwrap.detectors`` entry point group::

    [project.entry-points."agentwrap.detectors"]
    stale_dates = "mypkg.detectors:stale_dates"

A detector that raises (or returns something that is not an event) is switched off for that
run with one log line on the ``agentwrap`` logger; the application never sees the error.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, overload

from agentwrap._log import log
from agentwrap.records import LLMCallRecord  # one record of a call: the run keeps the same objects

__all__ = [
    "ENTRY_POINT_GROUP",
    "Detector",
    "DetectorEvent",
    "LLMCallRecord",
    "RunRecords",
    "ToolCallRecord",
    "all_detectors",
    "as_event",
    "load_entry_point_detectors",
    "occurrence_time",
    "register_detector",
    "unregister_detector",
]

ENTRY_POINT_GROUP = "agentwrap.detectors"


@dataclass(frozen=True, slots=True)
class ToolCallRecord:
    """One tool call the model asked for, and what came back.

    ``step`` is the step of the LLM call that asked for it. ``is_error`` is the tool span's
    error status (the result's error flag, e.g. Anthropic's ``is_error``). ``arguments`` and
    ``result`` are only present when content capture is on (as in stored history).
    """

    span_id: str
    name: str
    step: int
    arguments_hash: str
    start_ns: int
    end_ns: int | None = None
    is_error: bool = False
    arguments: Any = None
    result: str | None = None


@dataclass(frozen=True)
class RunRecords:
    """What a detector sees of one closed run."""

    run_id: str
    trace_id: str
    name: str | None
    release: str | None
    start_ns: int
    end_ns: int
    llm_calls: tuple[LLMCallRecord, ...] = ()
    tool_calls: tuple[ToolCallRecord, ...] = ()
    events: tuple[dict[str, Any], ...] = ()
    summary: Mapping[str, Any] = field(default_factory=dict)

    def span_end(self, span_id: str | None) -> int | None:
        """End time of one of the run's call or tool spans."""
        for call in self.llm_calls:
            if call.span_id == span_id:
                return call.end_ns
        for tool in self.tool_calls:
            if tool.span_id == span_id:
                return tool.end_ns
        return None


@dataclass(frozen=True)
class DetectorEvent:
    """An event a detector found.

    Attributes:
        name: The event name, a stable dotted string (``"clock.stale_date"``).
        fields: Structured fields (plain JSON values).
        span_id: The span it is about (a call's or a tool's); default: the run's root span.
        key: Narrows the pattern whose ``first_seen`` is kept (default: the event name alone).
        time_ns: When it happened (default: the end of ``span_id``'s span, else of the run).
    """

    name: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    span_id: str | None = None
    key: str = ""
    time_ns: int | None = None


Detector = Callable[[RunRecords], Iterable["DetectorEvent | Mapping[str, Any]"]]

_lock = threading.Lock()
_registered: dict[str, Detector] = {}
_from_entry_points: dict[str, Detector] | None = None


def _name_of(fn: Any) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


@overload
def register_detector(fn: Detector, *, name: str | None = None) -> Detector: ...
@overload
def register_detector(fn: None = None, *, name: str | None = None) -> Callable[[Detector], Detector]: ...
def register_detector(
    fn: Detector | None = None, *, name: str | None = None
) -> Detector | Callable[[Detector], Detector]:
    """Register a detector for every run that closes from now on (usable as a decorator).

    Args:
        fn: ``fn(run: RunRecords) -> iterable of DetectorEvent`` (dicts with the same keys
            are accepted too).
        name: Its name in logs and in the events' ``detector`` field (default: module.qualname).
            Registering a name again replaces the earlier detector.
    """

    def add(detector: Detector) -> Detector:
        if not callable(detector):
            raise TypeError(f"agentwrap: a detector must be callable, not {detector!r}")
        with _lock:
            _registered[name or _name_of(detector)] = detector
        return detector

    return add if fn is None else add(fn)


def unregister_detector(name_or_fn: str | Detector) -> bool:
    """Remove a detector registered in code; return whether it was there."""
    with _lock:
        for key, detector in list(_registered.items()):
            if key == name_or_fn or detector is name_or_fn:
                del _registered[key]
                return True
    return False


def load_entry_point_detectors(refresh: bool = False) -> dict[str, Detector]:
    """The detectors installed packages declare in the ``agentwrap.detectors`` group.

    Loaded once per process (``refresh=True`` scans again); one that fails to load is
    skipped with one log line.
    """
    global _from_entry_points
    with _lock:
        if _from_entry_points is not None and not refresh:
            return dict(_from_entry_points)
    found: dict[str, Detector] = {}
    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = entry.load()
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the host
            log.warning("agentwrap: detector entry point %r failed to load (%s); skipped", entry.name, exc)
            continue
        if callable(loaded):
            found[entry.name] = loaded
        else:
            log.warning("agentwrap: detector entry point %r is not callable; skipped", entry.name)
    with _lock:
        _from_entry_points = found
    return dict(found)


def all_detectors() -> dict[str, Detector]:
    """Entry-point detectors, then the ones registered in code (which win on a name clash)."""
    detectors = load_entry_point_detectors()
    with _lock:
        detectors.update(_registered)
    return detectors


def as_event(item: Any) -> DetectorEvent:
    """A detector's result item as a :class:`DetectorEvent` (``TypeError`` if it is not one)."""
    if isinstance(item, DetectorEvent):
        event = item
    elif isinstance(item, Mapping) and isinstance(item.get("name"), str):
        allowed = {"name", "fields", "span_id", "key", "time_ns"}
        event = DetectorEvent(**{k: v for k, v in item.items() if k in allowed})
    else:
        raise TypeError(f"a detector must return DetectorEvent objects, got {type(item).__name__}")
    if not event.name or not isinstance(event.fields, Mapping):
        raise TypeError("a detector event needs a name and a mapping of fields")
    return event


def occurrence_time(event: DetectorEvent, run: RunRecords) -> int:
    """When the event happened: its own time, else its span's end, else the run's end."""
    if event.time_ns is not None:
        return int(event.time_ns)
    return run.span_end(event.span_id) or run.end_ns or run.start_ns
