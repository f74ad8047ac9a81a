"""Connecting to the store's Redis in the configured topology (``MODERATION_REDIS_TOPOLOGY``).

- ``single`` (default): one Redis, ``MODERATION_REDIS_URL`` (``redis://host:port/db``).
- ``cluster``: a Redis Cluster through redis-py's cluster client. ``MODERATION_REDIS_URL``
  lists one or more nodes, comma-separated (``redis://10.0.0.1:7000,redis://10.0.0.2:7000``);
  the client learns the rest. Every key of a site hashes to one slot (``keys.site_prefix``).
- ``sentinel``: the primary that Redis Sentinel names ``MODERATION_REDIS_SENTINEL_MASTER``;
  ``MODERATION_REDIS_URL`` lists the sentinels (``redis://10.0.0.1:26379,...``; the path of
  the first gives the database). A failover is followed on the next connection.

A password in the URL (``redis://:secret@host:port``) is used for the data nodes, not the
sentinels. All clients decode replies to ``str`` and fail fast (see :func:`connect_redis`).
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import redis
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.cluster import ClusterNode, RedisCluster
from redis.retry import Retry
from redis.sentinel import Sentinel

from moderation.settings import TOPOLOGIES, Settings

StoreClient = redis.Redis | RedisCluster

# "The store cannot answer right now": an outage, a failover under way, a resharding step, a
# cluster missing a shard, a full Redis (noeviction). The API answers 503 with Retry-After and
# workers retry; nothing accepted is lost. Any other error from Redis is a bug (500).
UNAVAILABLE_ERRORS = (
    redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,  # incl. LOADING, no primary known
    redis.exceptions.ClusterError,  # CLUSTERDOWN, MASTERDOWN, redirections exhausted
    redis.exceptions.TryAgainError, redis.exceptions.AskError,  # a slot moving between shards
    redis.exceptions.ReadOnlyError,  # a write reached a primary just demoted to replica
    redis.exceptions.OutOfMemoryError,  # maxmemory reached with noeviction
    redis.exceptions.SlotNotCoveredError, redis.exceptions.RedisClusterUnreachableError,
)
# Every failure from the store client: redis-py's cluster client raises a few that are not
# RedisError. Workers retry a task on any of them (the sweeper backs that up).
STORE_ERRORS = (redis.exceptions.RedisError, redis.exceptions.RedisClusterException)


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


@dataclass(frozen=True)
class NodeList:
    """``MODERATION_REDIS_URL`` read as a comma-separated list of nodes (cluster, sentinel)."""

    nodes: tuple[tuple[str, int], ...]
    db: int = 0
    username: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, text: str, default_port: int) -> "NodeList":
        nodes, db, username, password = [], 0, None, None
        for index, item in enumerate(part.strip() for part in text.split(",")):
            if not item:
                continue
            parts = urlsplit(item if "://" in item else f"redis://{item}")
            if parts.scheme not in ("redis", "rediss") or not parts.hostname:
                raise ValueError(f"not a Redis node address: {item!r}")
            nodes.append((parts.hostname, parts.port or default_port))
            if parts.password is not None and password is None:
                username, password = unquote(parts.username or "") or None, unquote(parts.password)
            if index == 0 and parts.path.strip("/"):
                db = int(parts.path.strip("/"))
        if not nodes:
            raise ValueError("MODERATION_REDIS_URL names no node")
        return cls(tuple(nodes), db, username, password)


def connect_store(topology: str, url: str, socket_timeout: float = 1.0, sentinel_master: str = "") -> StoreClient:
    """The store's client for ``topology`` (one of :data:`TOPOLOGIES`)."""
    if topology == "single":
        return connect_redis(url, socket_timeout)
    timeouts = {"socket_timeout": socket_timeout, "socket_connect_timeout": socket_timeout}
    if topology == "cluster":
        nodes = NodeList.parse(url, 6379)
        if nodes.db:
            raise ValueError("a Redis Cluster has only database 0")
        # Retries with a short backoff: a MOVED or ASK during resharding and a node that just
        # failed over are followed after the client refreshes its slot map.
        return RedisCluster(startup_nodes=[ClusterNode(host, port) for host, port in nodes.nodes],
                            decode_responses=True, username=nodes.username, password=nodes.password,
                            retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), 3), **timeouts)
    if topology == "sentinel":
        if not sentinel_master:
            raise ValueError("MODERATION_REDIS_SENTINEL_MASTER must name the primary")
        nodes = NodeList.parse(url, 26379)
        sentinel = Sentinel(list(nodes.nodes), sentinel_kwargs=dict(timeouts), **timeouts)
        return sentinel.master_for(sentinel_master, decode_responses=True, db=nodes.db, username=nodes.username,
                                   password=nodes.password, retry=Retry(NoBackoff(), 1))
    raise ValueError(f"MODERATION_REDIS_TOPOLOGY must be one of {', '.join(TOPOLOGIES)}, got {topology!r}")


def store_client(settings: Settings) -> StoreClient:
    """The store's client as ``settings`` configure it."""
    return connect_store(settings.redis_topology, settings.redis_url, settings.redis_socket_timeout,
                         settings.redis_sentinel_master)


def broker_client(settings: Settings, store: StoreClient) -> redis.Redis | None:
    """A client on the broker's Redis, to read its queue's length (metrics, doctor); ``store``
    when the broker lives there; None for a broker that is not Redis."""
    if settings.broker_is_store:
        return store
    url = settings.effective_broker_url
    scheme = urlsplit(url).scheme
    if scheme in ("redis", "rediss", "unix"):
        return connect_redis(url, settings.redis_socket_timeout)
    if scheme == "sentinel":
        sentinels = ",".join(f"redis://{part.split('://', 1)[-1]}" for part in url.split(";") if part.strip())
        return connect_store("sentinel", sentinels, settings.redis_socket_timeout, settings.broker_sentinel_name)
    return None
