"""The Redis store: comments, sites, idempotency keys and rate limits.

Key strings are built only in :mod:`moderation.store.keys`.
"""
from __future__ import annotations

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from moderation.store.comments import CommentStore
from moderation.store.idempotency import IdempotencyStore
from moderation.store.ratelimit import RateLimit
from moderation.store.sites import SiteStore


def connect_redis(url: str, socket_timeout: float = 1.0) -> redis.Redis:
    """A Redis client that fails fast: short timeouts and a single immediate retry.

    redis-py 8 retries ten times with backoff by default; the API must instead
    answer 503 within about ``2 * socket_timeout`` when Redis is down. The one
    retry absorbs a stale pooled connection after a Redis restart, so no
    ``health_check_interval`` (its extra PING would double the time to a 503).
    """
    return redis.Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=socket_timeout,
        socket_connect_timeout=socket_timeout,
        retry=Retry(NoBackoff(), 1),
    )


__all__ = ["connect_redis", "CommentStore", "SiteStore", "IdempotencyStore", "RateLimit"]
