"""A fixed-window rate limiter on Redis (INCR + EXPIRE in one transaction)."""
from __future__ import annotations

import time
from dataclasses import dataclass

import redis

from moderation.store import keys


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    retry_after_seconds: int


class RateLimiter:
    """Allow ``limit`` hits per ``window_seconds`` per (site, client)."""

    def __init__(self, client: redis.Redis, limit: int, window_seconds: int):
        self.redis = client
        self.limit = limit
        self.window_seconds = window_seconds

    def hit(self, site_id: str, client: str, now: float | None = None) -> RateDecision:
        now = time.time() if now is None else now
        window_start = int(now // self.window_seconds) * self.window_seconds
        key = keys.rate_limit_key(site_id, client, window_start)
        pipe = self.redis.pipeline(transaction=True)
        pipe.incr(key)
        pipe.expire(key, self.window_seconds + 1)
        count, _ = pipe.execute()
        retry_after = max(1, int(window_start + self.window_seconds - now + 0.999))
        return RateDecision(allowed=count <= self.limit, limit=self.limit,
                            remaining=max(0, self.limit - count), retry_after_seconds=retry_after)
