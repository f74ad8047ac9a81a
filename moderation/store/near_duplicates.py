"""The index of recent comments' near-duplicate band keys (``policy.near_duplicates``).

Global, because copy-paste campaigns cross sites: one hash per UTC day (today's and
yesterday's are searched; each expires after three days), written and read with single-key
commands in non-transactional pipelines (each key lies in one slot of a Redis Cluster). Per
band key it keeps the first comment seen with it (``site/id``, set once with HSETNX) and a
count (HINCRBY): no read-modify-write, so concurrent workers lose nothing.
"""
from __future__ import annotations

import time
import redis

from moderation.policy.near_duplicates import EarlierCopies
from moderation.store import keys

KEEP_SECONDS = 3 * 86400


class NearDuplicateIndex:
    def __init__(self, client: redis.Redis, clock=time.time):
        self.redis = client
        self.clock = clock

    def _days(self) -> list[str]:
        now = self.clock()
        return [time.strftime("%Y%m%d", time.gmtime(now - offset)) for offset in (0, 86400)]

    def find(self, bands_per_comment: list[tuple[str, ...]]) -> list[EarlierCopies]:
        """For each comment's band keys, the earlier copies seen in the last two days (one round trip)."""
        days = self._days()
        pipe = self.redis.pipeline(transaction=False)
        asked = 0
        for bands in bands_per_comment:
            for day in days:
                if bands:
                    pipe.hmget(keys.near_duplicates_key(day), [field for band in bands for field in (band, f"{band}#n")])
                    asked += 1
        replies = iter(pipe.execute() if asked else ())
        found = []
        for bands in bands_per_comment:
            best = EarlierCopies()
            for _day in days if bands else ():
                values = next(replies)
                for first, count in zip(values[::2], values[1::2]):
                    if first and int(count or 0) > best.count:
                        best = EarlierCopies(int(count), first)
            found.append(best)
        return found

    def add(self, entries: list[tuple[str, tuple[str, ...]]]) -> None:
        """Index comments (``site/id``, band keys) under today (one round trip)."""
        key = keys.near_duplicates_key(self._days()[0])
        pipe = self.redis.pipeline(transaction=False)
        for ref, bands in entries:
            for band in bands:
                pipe.hsetnx(key, band, ref)
                pipe.hincrby(key, f"{band}#n", 1)
        if any(bands for _, bands in entries):
            pipe.expire(key, KEEP_SECONDS)
            pipe.execute()
