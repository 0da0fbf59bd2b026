"""``agentwrap dashboard``: one self-contained HTML file over a run store.

Everything is inline (CSS and SVG drawn here, see :mod:`agentwrap.cli._svg`); the page loads
nothing, so it works offline, from a file, as a CI artifact or an e-mail attachment.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime, timezone
from html import escape
from typing import Any

from agentwrap.cli import _svg
from agentwrap.cli._report import Window, build_report, iso
from agentwrap.store import RunStore

__all__ = ["build_dashboard", "run_waterfall"]

_LATENCY_EDGES = [0, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64]
_TOKEN_EDGES = [0, 500, 1000, 2000, 4000, 8000, 16000, 32000, 64000]
_HOUR, _DAY = 3600 * 10**9, 86400 * 10**9

_CSS = """
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;
background:#f6f7f9;color:#1f2933}
header{background:#1f2933;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;color:#cbd2d9}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:16px;padding:16px 24px}
section.chart{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:12px 16px}
section.wide{grid-column:1/-1}section h2{font-size:15px;margin:0 0 8px}
.tick{font-size:11px;fill:#52606d}.grid{stroke:#e4e7eb}.legend{margin:4px 0;font-size:12px}
.key{margin-right:12px;white-space:nowrap}.key i{display:inline-block;width:10px;height:10px;margin-right:4px}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:8px}h3{font-size:12px;margin:6px 0;color:#52606d}
table{border-collapse:collapse;font-size:12px;width:100%}
td,th{padding:3px 6px;border-bottom:1px solid #e4e7eb;text-align:right}
td:first-child,th:first-child{text-align:left}.empty{color:#9aa5b1}
"""


def _buckets(store: RunStore, window: Window) -> tuple[int, int, int]:
    where, params = window.where()
    lo, hi = store.query(f"SELECT MIN(start_ns), MAX(start_ns) FROM runs WHERE {where}", params)[0]
    lo, hi = int(lo or 0), int(hi or 0)
    size = _HOUR if hi - lo <= 3 * _DAY else _DAY
    return size, lo // size, hi // size


def _label(bucket: int, size: int) -> str:
    moment = datetime.fromtimestamp(bucket * size / 1e9, tz=timezone.utc)
    return moment.strftime("%m-%d %H:00" if size == _HOUR else "%m-%d")


def _over_time(
    rows: list[tuple[Any, ...]], size: int, first: int, last: int
) -> tuple[list[str], dict[str, list[float]]]:
    span = list(range(first, last + 1))[:400]
    index = {b: i for i, b in enumerate(span)}
    series: dict[str, list[float]] = defaultdict(lambda: [0.0] * len(span))
    for bucket, name, count in rows:
        if int(bucket) in index:
            series[str(name) if name is not None else "(none)"][index[int(bucket)]] += int(count)
    return [_label(b, size) for b in span], dict(sorted(series.items()))


def run_waterfall(store: RunStore, run: str | None = None) -> tuple[str | None, list[dict[str, Any]]]:
    """The chosen run (a run id or trace id prefix; default: the latest run) as waterfall rows.

    Spans come from the store's ``spans`` table (filled by ``agentwrap import``); a run stored
    only as a summary is drawn from its summary: the run and its tool calls' timings.
    """
    if run:
        rows = store.query(
            "SELECT run_id, trace_id, start_ns, record FROM runs WHERE run_id = ? OR trace_id LIKE ? "
            "ORDER BY start_ns DESC LIMIT 1",
            (run, run + "%"),
        )
    else:
        rows = store.query(
            "SELECT run_id, trace_id, start_ns, record FROM runs "
            "WHERE trace_id IN (SELECT trace_id FROM spans) ORDER BY start_ns DESC LIMIT 1"
        ) or store.query("SELECT run_id, trace_id, start_ns, record FROM runs ORDER BY start_ns DESC LIMIT 1")
    if not rows:
        return None, []
    run_id, trace_id, start_ns, record = rows[0]
    spans = store.query("SELECT record FROM spans WHERE trace_id = ? ORDER BY start_ns", (trace_id,))
    if spans:
        return str(trace_id), _span_rows([json.loads(r[0]) for r in spans])
    return str(trace_id), _summary_rows(json.loads(record))


def _span_rows(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    origin = min(int(s["start_time_unix_nano"]) for s in spans)
    by_id = {s["span_id"]: s for s in spans}

    def depth(span: dict[str, Any]) -> int:
        d, parent = 0, by_id.get(span.get("parent_span_id") or "")
        while parent is not None and d < 20:
            d, parent = d + 1, by_id.get(parent.get("parent_span_id") or "")
        return d

    rows = []
    for s in spans[:60]:
        name = str(s.get("name", "?"))
        kind = (
            "tool" if name.startswith("execute_tool") else "run" if name.startswith("invoke_agent") else "llm"
        )
        rows.append(
            {
                "name": name,
                "start": (int(s["start_time_unix_nano"]) - origin) / 1e9,
                "end": (int(s["end_time_unix_nano"]) - origin) / 1e9,
                "depth": depth(s),
                "kind": kind,
                "error": s.get("status") == "ERROR",
            }
        )
    return rows


def _summary_rows(record: dict[str, Any]) -> list[dict[str, Any]]:
    summary = record.get("summarized_metadata") or {}
    total = float(str(summary.get("overall_latency", "0")).rstrip("s") or 0)
    rows = [{"name": record.get("run_name") or "run", "start": 0.0, "end": total, "depth": 0, "kind": "run"}]
    timings = summary.get("timing_of_each_tool_calls") or {}
    at = 0.0
    for call in summary.get("sequence_of_tool_calls") or []:
        took = float(str(timings.get(call.get("span_id"), "0")).rstrip("s") or 0)
        rows.append(
            {
                "name": f"execute_tool {call.get('tool')}",
                "start": at,
                "end": at + took,
                "depth": 1,
                "kind": "tool",
            }
        )
        at += took
    return rows


def _section(title: str, body: str, wide: bool = False, chart: str = "") -> str:
    cls = "chart wide" if wide else "chart"
    return f'<section class="{cls}" data-chart="{chart}"><h2>{escape(title)}</h2>{body}</section>'


def _side_by_side(store: RunStore, window: Window, key: str, title: str, chart: str) -> str:
    report = build_report(store, window, by=(key,))
    groups = report["groups"][:12]
    if not groups:
        return _section(title, '<p class="empty">no runs</p>', chart=chart)

    def name(group: dict[str, Any]) -> str:
        value = group[key]
        if value is None:
            return "(none)"
        return str(value)[:19] + "…" if key == "prompt_version" and len(str(value)) > 20 else str(value)

    metrics = [
        ("runs", "runs", ""),
        ("latency p50", "latency_p50_s", "s"),
        ("latency p95", "latency_p95_s", "s"),
        ("tokens / run", "tokens_per_run", ""),
        ("tool calls / run", "tool_calls_per_run", ""),
        ("same-tool retries / run", "same_tool_retries_per_run", ""),
        ("warnings / run", "warnings_per_run", ""),
    ]
    charts = "".join(
        f"<div><h3>{escape(label)}</h3>"
        + _svg.hbars(
            [(name(g), float(g[field] or 0)) for g in groups], f"{title}: {label}", unit, _svg.PALETTE[i % 9]
        )
        + "</div>"
        for i, (label, field, unit) in enumerate(metrics)
    )
    return _section(title, f'<div class="pair">{charts}</div>', wide=True, chart=chart)


def build_dashboard(
    store: RunStore, window: Window | None = None, run: str | None = None, title: str = "agentwrap"
) -> str:
    """The dashboard page as one HTML string."""
    window = window or Window()
    where, params = window.where()
    total = int(store.query(f"SELECT COUNT(*) FROM runs WHERE {where}", params)[0][0])
    size, first, last = _buckets(store, window)
    sections = []
    runs_rows = store.query(
        f"SELECT start_ns / {size}, release, COUNT(*) FROM runs WHERE {where} GROUP BY 1, 2", params
    )
    labels, series = _over_time(runs_rows, size, first, last)
    sections.append(
        _section(
            "Runs over time, by release",
            _svg.legend(list(series)) + _svg.stacked_bars(labels, series, "runs over time", width=1200),
            wide=True,
            chart="runs-over-time",
        )
    )
    values = store.query(f"SELECT latency_s, total_tokens FROM runs WHERE {where}", params)
    sections.append(
        _section(
            "Latency distribution (overall latency per run)",
            _svg.histogram([float(v[0]) for v in values], _LATENCY_EDGES, "latency distribution", "s"),
            chart="latency",
        )
    )
    sections.append(
        _section(
            "Tokens per run",
            _svg.histogram([float(v[1]) for v in values], _TOKEN_EDGES, "tokens per run"),
            chart="tokens",
        )
    )
    event_where, event_params = window.where("time_ns")
    warn_rows = store.query(
        f"SELECT time_ns / {size}, name, COUNT(*) FROM events WHERE {event_where} AND severity = 'warning' "
        "GROUP BY 1, 2",
        event_params,
    )
    labels, series = _over_time(warn_rows, size, first, last)
    body = (
        _svg.legend(list(series)) + _svg.stacked_bars(labels, series, "warnings over time", width=1200)
        if series
        else ('<p class="empty">no warnings</p>')
    )
    sections.append(_section("Warnings by type over time", body, wide=True, chart="warnings-over-time"))
    sections.append(_side_by_side(store, window, "release", "Releases side by side", "releases"))
    sections.append(_side_by_side(store, window, "prompt_version", "Prompt versions side by side", "prompts"))
    trace_id, rows = run_waterfall(store, run)
    body = _svg.waterfall(rows, "run waterfall") if rows else '<p class="empty">no run</p>'
    sections.append(_section(f"Waterfall of run {trace_id or ''}", body, wide=True, chart="waterfall"))
    subtitle = (
        f"{total} runs · {iso(window.since_ns) or 'all time'} → {iso(window.until_ns) or 'now'} · "
        f"generated {iso(int(datetime.now(timezone.utc).timestamp() * 1e9))}"
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)} dashboard</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{escape(title)} · agent runs</h1><p>{escape(subtitle)}</p></header>"
        f"<main>{''.join(sections)}</main></body></html>"
    )
