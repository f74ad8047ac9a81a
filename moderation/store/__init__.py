"""The Redis store: comments, sites, idempotency keys and rate limits.

Key strings are built only in :mod:`moderation.store.keys`.
"""
from __future__ import annotations

from moderation.store.comments import CommentStore
from moderation.store.connection import broker_client, connect_redis, connect_store, store_client
from moderation.store.idempotency import IdempotencyStore
from moderation.store.ratelimit import FloodControl, RateLimit
from moderation.store.sites import SiteStore

__all__ = ["broker_client", "connect_redis", "connect_store", "store_client", "CommentStore", "SiteStore", "IdempotencyStore", "FloodControl", "RateLimit"]
