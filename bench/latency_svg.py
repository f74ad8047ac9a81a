"""A latency-percentile plot as a small hand-written SVG (no plotting library needed).

    svg = percentile_svg({"intake": {"50": 7.9, "90": 12.0, "99": 25.1}, ...}, title="...")

x: the percentile on the usual "number of nines" scale (log of 1 / (1 - p)), so
p50, p90, p99 and p99.9 are evenly spaced; y: latency in ms on a log scale.
"""
from __future__ import annotations

import math
from html import escape

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b")
WIDTH, HEIGHT = 760, 420
LEFT, RIGHT, TOP, BOTTOM = 70, 190, 44, 56  # margins around the plotting area


def _nines(percentile: float) -> float:
    return math.log10(1 / (1 - percentile / 100))


def _log_ticks(low: float, high: float) -> list[float]:
    """1-2-5 ticks from ``low`` to ``high`` (both > 0); denser when that gives fewer than four."""
    for mantissas in ((1, 2, 5), (1, 1.5, 2, 3, 5, 7)):
        ticks = []
        for exponent in range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 1):
            for mantissa in mantissas:
                value = mantissa * 10 ** exponent
                if low <= value <= high:
                    ticks.append(value)
        if len(ticks) >= 4:
            break
    return ticks


def _label(value: float) -> str:
    return f"{value:g}"


def percentile_svg(series: dict[str, dict[str, float]], title: str, y_label: str = "latency (ms, log scale)") -> str:
    """One line per series through its (percentile -> ms) points."""
    percentiles = sorted({float(p) for points in series.values() for p in points})
    values = [ms for points in series.values() for ms in points.values() if ms > 0]
    y_low, y_high = min(values) / 1.25, max(values) * 1.25
    x_low, x_high = _nines(percentiles[0]), _nines(percentiles[-1])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x_of(percentile: float) -> float:
        span = (x_high - x_low) or 1.0
        return LEFT + 10 + (plot_w - 20) * (_nines(percentile) - x_low) / span

    def y_of(ms: float) -> float:
        fraction = (math.log10(ms) - math.log10(y_low)) / (math.log10(y_high) - math.log10(y_low))
        return TOP + plot_h * (1 - fraction)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
           f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
           f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
           f'<text x="{LEFT}" y="24" font-size="15" font-weight="bold">{escape(title)}</text>',
           f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#444"/>']
    for tick in _log_ticks(y_low, y_high):  # horizontal grid and y labels
        y = y_of(tick)
        out.append(f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_label(tick)}</text>')
    for percentile in percentiles:  # vertical grid and x labels
        x = x_of(percentile)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{TOP + plot_h}" stroke="#eee"/>')
        out.append(f'<text x="{x:.1f}" y="{TOP + plot_h + 18}" text-anchor="middle">p{_label(percentile)}</text>')
    out.append(f'<text x="{LEFT + plot_w / 2:.0f}" y="{HEIGHT - 12}" text-anchor="middle">percentile</text>')
    out.append(f'<text transform="translate(18 {TOP + plot_h / 2:.0f}) rotate(-90)" text-anchor="middle">'
               f'{escape(y_label)}</text>')
    for index, (name, points) in enumerate(series.items()):
        color = COLORS[index % len(COLORS)]
        coords = [(x_of(float(p)), y_of(ms)) for p, ms in sorted(points.items(), key=lambda item: float(item[0]))
                  if ms > 0]
        out.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="'
                   + " ".join(f"{x:.1f},{y:.1f}" for x, y in coords) + '"/>')
        out += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{color}"/>' for x, y in coords]
        legend_y = TOP + 14 + 22 * index
        out.append(f'<line x1="{LEFT + plot_w + 14}" x2="{LEFT + plot_w + 40}" y1="{legend_y - 4}" '
                   f'y2="{legend_y - 4}" stroke="{color}" stroke-width="2"/>')
        out.append(f'<text x="{LEFT + plot_w + 46}" y="{legend_y}">{escape(name)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
