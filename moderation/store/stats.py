"""Decision statistics, summed over sites: counts by outcome and reason, and the latency histogram.

The counters are written by the store's scripts in the same step as each
decision (``record_decision_stats`` in ``lua/prelude.lua``), per site; this
module reads them back for ``/metrics``.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import redis

from moderation.store import keys
from moderation.store.scripts import lua_number
from moderation.store.states import LATENCY_BUCKETS


@dataclass
class DecisionStats:
    outcomes: Counter = field(default_factory=Counter)  # outcome -> decisions
    reasons: Counter = field(default_factory=Counter)  # (outcome, reason code) -> decisions
    latency_buckets: list[tuple[str, int]] = field(default_factory=list)  # cumulative ("0.05", n) ... ("+Inf", n)
    latency_count: int = 0
    latency_sum: float = 0.0


def read_decision_stats(client: redis.Redis) -> DecisionStats:
    site_ids = sorted(client.smembers(keys.sites_index_key()))
    pipe = client.pipeline(transaction=False)
    for site_id in site_ids:
        pipe.hgetall(keys.decision_stats_key(site_id))
        pipe.hgetall(keys.latency_stats_key(site_id))
    replies = pipe.execute()
    stats = DecisionStats()
    per_bucket: Counter = Counter()
    for decisions, latency in zip(replies[::2], replies[1::2]):
        for name, count in decisions.items():
            outcome, _, reason = name.partition("|")
            if reason:
                stats.reasons[(outcome, reason)] += int(count)
            else:
                stats.outcomes[outcome] += int(count)
        for name, value in latency.items():
            if name.startswith("le:"):
                per_bucket[name[3:]] += int(value)
        stats.latency_count += int(latency.get("count", 0))
        stats.latency_sum += float(latency.get("sum", 0.0))
    running = 0
    for bound in [lua_number(bound) for bound in LATENCY_BUCKETS] + ["+Inf"]:
        running += per_bucket[bound]
        stats.latency_buckets.append((bound, running))
    return stats
