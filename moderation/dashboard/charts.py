"""The overview's charts: decisions per hour by outcome, and by rule, as server-drawn SVG.

The numbers come from the per-site hourly hashes (``keys.hourly_stats_key``: ``outcome`` and
``outcome|code`` counters written with each decision, ``moderator|state`` with each action).
Geometry is computed here and drawn by the template with presentation attributes (the CSP
allows no inline style).
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

from moderation.store import keys
from moderation.store.comments import stats_hour

OUTCOMES = ("approved", "pending", "rejected", "spam")
HOURS = 24
WIDTH, HEIGHT, BAR_GAP = 720, 160, 2


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    outcome: str
    count: int
    hour: str


@dataclass(frozen=True)
class HourlyChart:
    bars: tuple[Bar, ...]
    peak: int
    hours: tuple[str, ...]       # "HH" labels, oldest first
    totals: dict                 # outcome -> decisions over the window
    rules: tuple[tuple[str, int], ...]  # (outcome|code, decisions), most first
    moderator_actions: dict      # state -> moderators' moves over the window
    width: int = WIDTH
    height: int = HEIGHT


def read_hours(client, site_ids: list[str], now: float | None = None) -> list[tuple[str, Counter]]:
    """(hour, counters summed over the sites) for the last HOURS hours, oldest first."""
    now = time.time() if now is None else now
    hours = [stats_hour(now - 3600 * back) for back in range(HOURS - 1, -1, -1)]
    pipe = client.pipeline(transaction=False)
    for site_id in site_ids:
        for hour in hours:
            pipe.hgetall(keys.hourly_stats_key(site_id, hour))
    replies = iter(pipe.execute() if site_ids else ())
    summed = {hour: Counter() for hour in hours}
    for _site in site_ids:
        for hour in hours:
            summed[hour].update({name: int(count) for name, count in next(replies).items()})
    return [(hour, summed[hour]) for hour in hours]


def hourly_chart(per_hour: list[tuple[str, Counter]]) -> HourlyChart:
    """Stacked bars, one per hour, of decisions by outcome."""
    peak = max((sum(counters[outcome] for outcome in OUTCOMES) for _hour, counters in per_hour), default=0)
    slot = WIDTH / max(1, len(per_hour))
    bars: list[Bar] = []
    totals: Counter = Counter()
    rules: Counter = Counter()
    moderators: Counter = Counter()
    for index, (hour, counters) in enumerate(per_hour):
        base = HEIGHT
        for outcome in OUTCOMES:
            count = counters[outcome]
            totals[outcome] += count
            if count and peak:
                height = HEIGHT * count / peak
                base -= height
                bars.append(Bar(round(index * slot + BAR_GAP / 2, 1), round(base, 1), round(slot - BAR_GAP, 1),
                                round(height, 1), outcome, count, hour))
        for name, count in counters.items():
            prefix, _, code = name.partition("|")
            if prefix == "moderator":
                moderators[code] += count
            elif code:
                rules[name] += count
    return HourlyChart(tuple(bars), peak, tuple(hour[-2:] for hour, _ in per_hour), dict(totals),
                       tuple(rules.most_common(12)), dict(moderators))
