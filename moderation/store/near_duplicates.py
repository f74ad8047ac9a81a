"""The index of recent comments' near-duplicate band keys (``policy.near_duplicates``).

Global, because copy-paste campaigns cross sites: one hash per UTC day (today's and
yesterday's are searched; each expires a day and an hour after its last write), written and read with single-key
commands in non-transactional pipelines (each key lies in one slot of a Redis Cluster). Per
band key it keeps the first comment seen with it (``site/id``, set once with HSETNX) and a
count (HINCRBY): no read-modify-write, so concurrent workers lose nothing. A band shared is
only a candidate: the caller reads the first comment's text back and compares (``texts``).
"""
from __future__ import annotations

import time
import redis

from moderation.store import keys

# A day's hash is written until the day ends and read until the next one ends: every write
# pushes its expiry to a day and an hour later.
KEEP_SECONDS = 86400 + 3600


class NearDuplicateIndex:
    def __init__(self, client: redis.Redis, clock=time.time):
        self.redis = client
        self.clock = clock

    def _days(self) -> list[str]:
        now = self.clock()
        return [time.strftime("%Y%m%d", time.gmtime(now - offset)) for offset in (0, 86400)]

    def find(self, bands_per_comment: list[tuple[str, ...]]) -> list[list[tuple[int, str]]]:
        """For each comment's band keys, the candidates of the last two days: (how many comments
        had that band, the first of them), one per band found (one round trip)."""
        days = self._days()
        pipe = self.redis.pipeline(transaction=False)
        for bands in bands_per_comment:
            for day in days if bands else ():
                pipe.hmget(keys.near_duplicates_key(day), [field for band in bands for field in (band, f"{band}#n")])
        replies = iter(pipe.execute() if any(bands_per_comment) else ())
        found = []
        for bands in bands_per_comment:
            candidates = []
            for _day in days if bands else ():
                values = next(replies)
                candidates += [(int(count or 0), first) for first, count in zip(values[::2], values[1::2]) if first]
            found.append(candidates)
        return found

    def texts(self, refs: list[str]) -> dict[str, str]:
        """The rendered HTML of comments named ``site/id`` (one round trip; gone ones left out)."""
        refs = list(dict.fromkeys(refs))
        if not refs:
            return {}
        pipe = self.redis.pipeline(transaction=False)
        for ref in refs:
            site_id, _, comment_id = ref.partition("/")
            pipe.hget(keys.comment_key(site_id, comment_id), "html")
        return {ref: html for ref, html in zip(refs, pipe.execute()) if html}

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
