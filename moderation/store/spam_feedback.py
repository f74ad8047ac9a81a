"""Moderators' spam decisions per site, as counts the spam model adds to its seed.

A moderator marking a comment spam counts its tokens as spam; approving a held comment counts
them as ham. The counts live in one hash per site (``keys.spam_counts_key``); workers read them
at most every ``cache_seconds`` (default 60) per site.
"""
from __future__ import annotations

import threading
import time

import redis

from moderation.policy.spam_model import HAM, SPAM, SpamCounts
from moderation.store import keys


class SpamFeedbackStore:
    def __init__(self, client: redis.Redis, cache_seconds: float = 60.0):
        self.redis = client
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, SpamCounts | None]] = {}
        self._lock = threading.Lock()

    def record(self, site_id: str, label: str, features: frozenset[str]) -> None:
        """Count one comment's features as ``spam`` or ``ham`` (one round trip)."""
        if label not in (SPAM, HAM):
            raise ValueError(f"label must be {SPAM} or {HAM}")
        key = keys.spam_counts_key(site_id)
        pipe = self.redis.pipeline(transaction=False)
        pipe.hincrby(key, f"docs:{label}", 1)
        for token in features:
            pipe.hincrby(key, f"{label}:{token}", 1)
        pipe.execute()
        with self._lock:
            self._cache.pop(site_id, None)

    def counts(self, site_id: str) -> SpamCounts | None:
        """The site's counts (None when its moderators have decided nothing yet)."""
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(site_id)
        if cached and now - cached[0] < self.cache_seconds:
            return cached[1]
        raw = self.redis.hgetall(keys.spam_counts_key(site_id))
        counts = None
        if raw:
            counts = SpamCounts()
            for name, value in raw.items():
                kind, _, token = name.partition(":")
                if kind == "docs":
                    counts.documents[token] = int(value)
                elif kind in (SPAM, HAM):
                    counts.tokens[kind][token] = int(value)
        with self._lock:
            self._cache[site_id] = (now, counts)
        return counts
