"""Hand-written SVG charts for the offline dashboard: no library, no script, no network.

Each function returns one ``<svg>`` string. Bars carry ``class="bar"`` and a ``<title>`` (the
browser's own tooltip), so the page is testable by its DOM and readable without JavaScript.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

__all__ = ["PALETTE", "bars", "hbars", "histogram", "legend", "stacked_bars", "waterfall"]

PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f"]
W, H, PAD_L, PAD_B, PAD_T, PAD_R = 640, 240, 48, 40, 12, 12


def _fmt(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:.1f}k"
    if value == int(value):
        return str(int(value))
    return f"{value:.2f}"


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    step = 10 ** len(str(int(value))) / 10
    for mult in (1, 2, 2.5, 5, 10):
        if value <= step * mult:
            return float(step * mult)
    return value  # pragma: no cover


def _frame(body: str, label: str, width: int = W, height: int = H) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{escape(label)}">{body}</svg>'
    )


def _axes(top: float, x_labels: Sequence[str], unit: str = "", width: int = W) -> str:
    parts = []
    plot_h = H - PAD_B - PAD_T
    for i in range(5):
        value = top * i / 4
        y = H - PAD_B - plot_h * i / 4
        parts.append(f'<line x1="{PAD_L}" x2="{width - PAD_R}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        parts.append(
            f'<text x="{PAD_L - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{_fmt(value)}{unit}</text>'
        )
    n = len(x_labels)
    every = max(1, n // 8)
    slot = (width - PAD_L - PAD_R) / max(n, 1)
    for i, text in enumerate(x_labels):
        if i % every == 0:
            x = PAD_L + slot * (i + 0.5)
            parts.append(
                f'<text x="{x:.1f}" y="{H - PAD_B + 16}" text-anchor="middle" class="tick">'
                f"{escape(text)}</text>"
            )
    return "".join(parts)


def stacked_bars(
    labels: Sequence[str], series: Mapping[str, Sequence[float]], label: str, unit: str = "", width: int = W
) -> str:
    """Vertical bars per label, each stacked by series (e.g. runs per day by release)."""
    totals = [sum(values[i] for values in series.values()) for i in range(len(labels))]
    top = _nice_max(max(totals, default=0))
    plot_h, slot = H - PAD_B - PAD_T, (width - PAD_L - PAD_R) / max(len(labels), 1)
    parts = [_axes(top, labels, unit, width)]
    for i, x_label in enumerate(labels):
        y = float(H - PAD_B)
        for s, (name, values) in enumerate(series.items()):
            value = values[i]
            if not value:
                continue
            h = plot_h * value / top
            y -= h
            parts.append(
                f'<rect class="bar" x="{PAD_L + slot * i + slot * 0.1:.1f}" y="{y:.1f}" '
                f'width="{slot * 0.8:.1f}" height="{h:.1f}" fill="{PALETTE[s % len(PALETTE)]}">'
                f"<title>{escape(x_label)} · {escape(name)}: {_fmt(value)}{unit}</title></rect>"
            )
    return _frame("".join(parts), label, width=width)


def bars(
    labels: Sequence[str], values: Sequence[float], label: str, unit: str = "", color: str = PALETTE[0]
) -> str:
    """Plain vertical bars."""
    return stacked_bars(labels, {label: values}, label, unit).replace(PALETTE[0], color)


def histogram(values: Sequence[float], edges: Sequence[float], label: str, unit: str = "") -> str:
    """Counts of ``values`` in the bins ``[edges[i], edges[i+1])``; the last bin is open."""
    counts = [0] * len(edges)
    for value in values:
        index = 0
        for i, edge in enumerate(edges):
            if value >= edge:
                index = i
        counts[index] += 1
    labels = [f"≥{_fmt(e)}{unit}" for e in edges]
    return bars(labels, counts, label)


def hbars(rows: Sequence[tuple[str, float]], label: str, unit: str = "", color: str = PALETTE[0]) -> str:
    """Horizontal bars, one per row: for comparing releases or prompt versions side by side."""
    row_h, label_w = 22, 170
    height = PAD_T + row_h * max(len(rows), 1) + 8
    top = max((v for _, v in rows), default=0) or 1.0
    parts = []
    for i, (name, value) in enumerate(rows):
        y = PAD_T + i * row_h
        w = (W - label_w - 70) * value / top
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" class="tick">{escape(name)}</text>'
        )
        parts.append(
            f'<rect class="bar" x="{label_w}" y="{y + 3}" width="{max(w, 1):.1f}" height="{row_h - 6}" '
            f'fill="{color}"><title>{escape(name)}: {_fmt(value)}{unit}</title></rect>'
        )
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 15}" class="tick">{_fmt(value)}{unit}</text>')
    return _frame("".join(parts), label, height=height)


def waterfall(spans: Sequence[dict[str, object]], label: str, width: int = 1200) -> str:
    """A run's spans as bars on a time axis, indented by depth. Each span dict has ``name``,
    ``start`` and ``end`` (seconds from the run's start), ``depth``, ``kind`` and ``error``."""
    row_h, label_w = 22, 230
    height = PAD_T + row_h * max(len(spans), 1) + 30
    end = max((float(s["end"]) for s in spans), default=0.0) or 1.0  # type: ignore[arg-type]
    scale = (width - label_w - 60) / end
    colors = {"llm": PALETTE[0], "tool": PALETTE[3], "run": "#9aa5b1"}
    parts = []
    for i, span in enumerate(spans):
        y = PAD_T + i * row_h
        start, stop = float(span["start"]), float(span["end"])  # type: ignore[arg-type]
        fill = PALETTE[2] if span.get("error") else colors.get(str(span.get("kind")), PALETTE[4])
        indent = 10 * int(span.get("depth", 0))  # type: ignore[call-overload]
        name = escape(str(span["name"]))
        parts.append(f'<text x="{4 + indent}" y="{y + 15}" class="tick">{name}</text>')
        parts.append(
            f'<rect class="bar span" x="{label_w + start * scale:.1f}" y="{y + 3}" '
            f'width="{max((stop - start) * scale, 1.5):.1f}" height="{row_h - 6}" fill="{fill}">'
            f"<title>{name}: {start:.3f}s → {stop:.3f}s ({stop - start:.3f}s)</title></rect>"
        )
        parts.append(
            f'<text x="{label_w + stop * scale + 4:.1f}" y="{y + 15}" class="tick">{stop - start:.2f}s</text>'
        )
    axis_y = height - 14
    for i in range(5):
        x = label_w + (width - label_w - 60) * i / 4
        parts.append(
            f'<text x="{x:.1f}" y="{axis_y}" text-anchor="middle" class="tick">{end * i / 4:.2f}s</text>'
        )
    return _frame("".join(parts), label, width=width, height=height)


def legend(names: Sequence[str]) -> str:
    """A colour key for a stacked chart's series (HTML, not SVG)."""
    items = "".join(
        f'<span class="key"><i style="background:{PALETTE[i % len(PALETTE)]}"></i>{escape(n)}</span>'
        for i, n in enumerate(names)
    )
    return f'<div class="legend">{items}</div>'
