"""Aggregates over a run store: what ``agentwrap report`` prints and the dashboard draws.

Every figure is computed by the engine in SQL that SQLite and PostgreSQL both run unchanged:
sums and counts per group (averages are divided here, so both engines give the same float),
and latency percentiles by the nearest-rank method with window functions (the value at rank
``ceil(p * n / 100)`` of the group's latencies in ascending order).
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from agentwrap.store import RunStore

__all__ = ["GROUP_COLUMNS", "Window", "build_report", "first_seen", "iso", "parse_time"]

# report key -> runs column
GROUP_COLUMNS = {"release": "release", "model": "model", "prompt_version": "prompt_hash"}
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


@dataclass(frozen=True)
class Window:
    """Runs that started in ``[since_ns, until_ns)``; ``None`` leaves a side open."""

    since_ns: int | None = None
    until_ns: int | None = None

    def where(self, column: str = "start_ns") -> tuple[str, list[Any]]:
        """A SQL condition and its parameters."""
        parts, params = ["1=1"], []
        if self.since_ns is not None:
            parts.append(f"{column} >= ?")
            params.append(self.since_ns)
        if self.until_ns is not None:
            parts.append(f"{column} < ?")
            params.append(self.until_ns)
        return " AND ".join(parts), params


def parse_time(text: str | None, now_ns: int | None = None) -> int | None:
    """``"24h"``/``"7d"`` (that long before now), an ISO date or time, or epoch seconds -> ns."""
    if text is None or text == "":
        return None
    now_ns = time.time_ns() if now_ns is None else now_ns
    text = text.strip()
    match = _DURATION.match(text)
    if match:
        return now_ns - int(float(match.group(1)) * _UNIT_S[match.group(2)] * 1e9)
    try:
        return int(float(text) * 1e9)
    except ValueError:
        pass
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1e9)


def iso(ns: int | None) -> str | None:
    """Nanoseconds since the epoch as an ISO 8601 UTC time (seconds precision)."""
    if ns is None:
        return None
    return datetime.fromtimestamp(ns / 1e9, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def first_seen(store: RunStore, detector_first_seen: dict[str, int] | None = None) -> dict[str, int]:
    """When each warning name was first seen: the earliest of the events' own ``first_seen``
    (set by detectors added after an incident), their times, and the detector store's."""
    found: dict[str, int] = {}
    for name, earliest in store.query(
        "SELECT name, MIN(COALESCE(first_seen_ns, time_ns)) FROM events GROUP BY name"
    ):
        found[str(name)] = int(earliest)
    if store.has_table("first_seen"):  # the detectors' table, when it shares the store's file
        for name, earliest in store.query("SELECT name, MIN(first_seen_ns) FROM first_seen GROUP BY name"):
            found[str(name)] = min(int(earliest), found.get(str(name), int(earliest)))
    for name, ns in (detector_first_seen or {}).items():
        found[name] = min(ns, found.get(name, ns))
    return found


def build_report(
    store: RunStore,
    window: Window = Window(),
    by: Sequence[str] = ("release", "model", "prompt_version"),
    detector_first_seen: dict[str, int] | None = None,
) -> dict[str, Any]:
    """The report as plain data: one entry per group, largest groups first."""
    unknown = [key for key in by if key not in GROUP_COLUMNS]
    if unknown or not by:
        raise ValueError(f"cannot group by {unknown}; choose from {sorted(GROUP_COLUMNS)}")
    cols = [GROUP_COLUMNS[key] for key in by]
    keys = ", ".join(cols)
    where, params = window.where()
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    sums = store.query(
        f"SELECT {keys}, COUNT(*), SUM(total_tokens), SUM(input_tokens), SUM(output_tokens), SUM(turns), "
        f"SUM(tool_calls), SUM(retries), SUM(warnings), MIN(start_ns), MAX(end_ns) "
        f"FROM runs WHERE {where} GROUP BY {keys}",
        params,
    )
    width = len(cols)
    for row in sums:
        key, (runs, tokens, tin, tout, turns, tools, retries, warned, first, last) = row[:width], row[width:]
        n = int(runs)
        group: dict[str, Any] = dict(zip(by, key, strict=True))
        group.update(
            runs=n,
            latency_p50_s=None,
            latency_p95_s=None,
            tokens_per_run=int(tokens) / n,
            input_tokens_per_run=int(tin) / n,
            output_tokens_per_run=int(tout) / n,
            turns_per_run=int(turns) / n,
            tool_calls_per_run=int(tools) / n,
            same_tool_retries_per_run=int(retries) / n,
            warnings_per_run=int(warned) / n,
            first_run=iso(int(first)),
            last_run=iso(int(last)),
            termination_reasons={},
            warnings={},
        )
        groups[tuple(key)] = group
    _add_percentiles(store, groups, keys, width, where, params)
    _add_terminations(store, groups, keys, width, where, params)
    _add_warnings(store, groups, cols, width, where, params, first_seen(store, detector_first_seen))
    ordered = sorted(groups.values(), key=lambda g: (-g["runs"], [str(g.get(k)) for k in by]))
    return {
        "window": {"since": iso(window.since_ns), "until": iso(window.until_ns)},
        "group_by": list(by),
        "runs": sum(g["runs"] for g in ordered),
        "groups": ordered,
    }


def _add_percentiles(
    store: RunStore,
    groups: dict[tuple[Any, ...], dict[str, Any]],
    keys: str,
    width: int,
    where: str,
    params: list[Any],
) -> None:
    rows = store.query(
        f"WITH ranked AS (SELECT {keys}, latency_s, "
        f"ROW_NUMBER() OVER (PARTITION BY {keys} ORDER BY latency_s) AS rn, "
        f"COUNT(*) OVER (PARTITION BY {keys}) AS n FROM runs WHERE {where}) "
        f"SELECT {keys}, MAX(CASE WHEN rn = (n * 50 + 99) / 100 THEN latency_s END), "
        f"MAX(CASE WHEN rn = (n * 95 + 99) / 100 THEN latency_s END) FROM ranked GROUP BY {keys}",
        params,
    )
    for row in rows:
        group = groups.get(tuple(row[:width]))
        if group is not None:
            group["latency_p50_s"], group["latency_p95_s"] = float(row[width]), float(row[width + 1])


def _add_terminations(
    store: RunStore,
    groups: dict[tuple[Any, ...], dict[str, Any]],
    keys: str,
    width: int,
    where: str,
    params: list[Any],
) -> None:
    rows = store.query(
        f"SELECT {keys}, termination_reason, COUNT(*) FROM runs "
        f"WHERE {where} AND termination_reason IS NOT NULL GROUP BY {keys}, termination_reason",
        params,
    )
    for row in rows:
        group = groups.get(tuple(row[:width]))
        if group is not None:
            group["termination_reasons"][str(row[width])] = int(row[width + 1])


def _add_warnings(
    store: RunStore,
    groups: dict[tuple[Any, ...], dict[str, Any]],
    cols: list[str],
    width: int,
    where: str,
    params: list[Any],
    seen: dict[str, int],
) -> None:
    keys = ", ".join(f"r.{c}" for c in cols)
    rows = store.query(
        f"SELECT {keys}, w.name, SUM(w.count), COUNT(*) "
        f"FROM run_warnings w JOIN runs r ON r.run_id = w.run_id "
        f"WHERE {where.replace('start_ns', 'r.start_ns')} GROUP BY {keys}, w.name",
        params,
    )
    for row in rows:
        group = groups.get(tuple(row[:width]))
        if group is not None:
            name = str(row[width])
            group["warnings"][name] = {
                "count": int(row[width + 1]),
                "runs": int(row[width + 2]),
                "first_seen": iso(seen.get(name)),
            }
