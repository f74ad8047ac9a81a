"""Health checks shared by ``GET /readyz`` and ``flask --app moderation doctor``.

Each check answers ok, warn or fail, says what it saw, and for anything but ok
what to do about it. ``/readyz`` runs the quick ones (Redis, broker, workers);
the doctor runs them all.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import redis
from kombu import Connection

from moderation.settings import Settings
from moderation.store.connection import STORE_ERRORS
from moderation.store.comments import CommentStore
from moderation.store.states import FAILED, IN_FLIGHT_STATES, QUEUED
from moderation.store.workers import WorkerRegistry, last_sweep

OK, WARN, FAIL = "ok", "warn", "fail"
RECOMMENDED_LISTPACK_VALUE = 4096  # bytes: config/redis.conf


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # ok | warn | fail
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"{self.status.upper():<4}  {self.name:<12} {self.detail}"
        return text + (f"\n      fix: {self.fix}" if self.fix else "")


def check_redis(client, topology: str = "single") -> Check:
    """The store answers, and in which topology: a cluster with every slot served, or the
    primary Sentinel names (with its replicas)."""
    try:
        if topology == "cluster":
            client.ping(target_nodes=client.PRIMARIES)  # every shard, not one at random
        else:
            client.ping()
        detail = _topology_detail(client, topology)
    except STORE_ERRORS as exc:
        return Check("redis", FAIL, f"{topology}: unreachable: {type(exc).__name__}: {exc}",
                     "start Redis, or point MODERATION_REDIS_URL (and MODERATION_REDIS_TOPOLOGY) at it")
    if topology == "cluster" and "state ok" not in detail:
        return Check("redis", FAIL, detail, "bring back the missing primaries (or let their replicas take over): "
                     "redis-cli --cluster check <any node>")
    return Check("redis", OK, detail)


def _topology_detail(client, topology: str) -> str:
    if topology == "cluster":
        info = client.cluster_info()
        # CLUSTER NODES, not the client's slot map: a replica still syncing is not in the map.
        replicas = sum("slave" in node["flags"] and "fail" not in node["flags"] for node in client.cluster_nodes().values())
        return (f"cluster: {len(client.get_primaries())} primaries, {replicas} replicas, "
                f"{info.get('cluster_slots_ok', '?')} of 16384 slots served, state {info.get('cluster_state')}")
    if topology == "sentinel":
        pool = client.connection_pool
        host, port = pool.get_master_address()
        replicas = pool.sentinel_manager.discover_slaves(pool.service_name)
        return f"sentinel '{pool.service_name}': primary {host}:{port}, {len(replicas)} replicas"
    return "single Redis: answers PING"


def data_nodes(client) -> list[tuple[str, redis.Redis]]:
    """(address, client) of each Redis holding store data: every primary of a cluster, else the one."""
    if hasattr(client, "get_primaries"):
        return [(node.name, node.redis_connection) for node in client.get_primaries()]
    pool = client.connection_pool
    if hasattr(pool, "get_master_address"):  # Sentinel: the primary it names now
        host, port = pool.get_master_address()
        return [(f"{host}:{port}", client)]
    return [(f"{pool.connection_kwargs.get('host', '?')}:{pool.connection_kwargs.get('port', '?')}", client)]


def check_broker(settings: Settings, client: redis.Redis | None) -> Check:
    """The broker answers: a PING through ``client``, the app's client on the broker's Redis
    (:func:`moderation.store.connection.broker_client`); a broker that is not Redis (``client``
    None) through kombu."""
    try:
        if client is not None:
            client.ping()
        else:
            with Connection(settings.effective_broker_url, connect_timeout=settings.redis_socket_timeout) as conn:
                conn.ensure_connection(max_retries=1)
    except Exception as exc:  # any failure means the API cannot enqueue
        return Check("broker", FAIL, f"unreachable: {type(exc).__name__}",
                     "start the broker, or point MODERATION_BROKER_URL at it (comments still queue "
                     "up in the store; the sweeper enqueues them once it is back)")
    return Check("broker", OK, "reachable")


def check_workers(registry: WorkerRegistry, comments: CommentStore, stale_after: float,
                  now: float | None = None) -> Check:
    """Fail when no worker's heartbeat is recent, or when comments wait in ``queued`` longer
    than ``stale_after`` while no worker has taken a task for that long."""
    now = time.time() if now is None else now
    heartbeats = registry.all()
    alive = [beat for beat in heartbeats if beat.age(now) <= stale_after]
    queued = comments.queue_states(now)[QUEUED]
    last_consumed = max((beat.last_consumed_at for beat in alive), default=0.0)
    consumed_text = f"last task taken {now - last_consumed:.0f}s ago" if last_consumed else "no task taken yet"
    waiting_text = f"{queued.count} queued" + (f", oldest {queued.oldest_age:.0f}s" if queued.count else "")
    if not alive:
        seen = (f"last heartbeat {min(beat.age(now) for beat in heartbeats):.0f}s ago" if heartbeats
                else "no worker has ever reported")
        return Check("workers", FAIL, f"no worker alive ({seen}); {waiting_text}",
                     "start a worker: celery -A workers worker (make run, compose and the systemd unit "
                     "restart it on exit)")
    if queued.oldest_age is not None and queued.oldest_age > stale_after and now - last_consumed > stale_after:
        return Check("workers", FAIL, f"{len(alive)} alive but not consuming: {waiting_text}, {consumed_text}",
                     "check the workers' logs and their broker connection (MODERATION_BROKER_URL); "
                     "restart them")
    return Check("workers", OK, f"{len(alive)} alive, {consumed_text}; {waiting_text}")


def check_persistence(client) -> Check:
    """Append-only file on every Redis holding store data (the worst one is reported)."""
    return _worst(_check_persistence(address, node) for address, node in data_nodes(client))


def check_eviction(client) -> Check:
    """noeviction on every Redis holding store data (the worst one is reported)."""
    return _worst(_check_eviction(address, node) for address, node in data_nodes(client))


def check_memory_layout(client) -> Check:
    """hash-max-listpack-value on every Redis holding store data: a comment's hash stays compact."""
    return _worst(_check_memory_layout(address, node) for address, node in data_nodes(client))


def _check_memory_layout(address: str, client: redis.Redis) -> Check:
    value = int(client.config_get("hash-max-listpack-value").get("hash-max-listpack-value", "0"))
    if value < RECOMMENDED_LISTPACK_VALUE:
        return Check("memory", WARN, f"{address}: hash-max-listpack-value {value}: each comment takes about 1.5x "
                     "the memory it needs", f"hash-max-listpack-value {RECOMMENDED_LISTPACK_VALUE} (config/redis.conf)")
    return Check("memory", OK, f"hash-max-listpack-value {value}")


def _worst(checks) -> Check:
    """One check for several nodes: the first failing (or warning) one's, naming every bad node."""
    checks = list(checks)
    for status in (FAIL, WARN):
        bad = [check for check in checks if check.status == status]
        if bad:
            return Check(bad[0].name, status, "; ".join(check.detail for check in bad), bad[0].fix)
    if len(checks) == 1:
        return checks[0]
    return Check(checks[0].name, OK, f"{checks[0].detail} (each of {len(checks)} primaries)")


def _check_persistence(address: str, client: redis.Redis) -> Check:
    config = client.config_get("appendonly") | client.config_get("appendfsync")
    if config.get("appendonly") != "yes":
        return Check("persistence", FAIL, f"{address}: appendonly is off: a Redis crash loses accepted comments",
                     "appendonly yes (config/redis.conf), or CONFIG SET appendonly yes and CONFIG REWRITE")
    if config.get("appendfsync") == "no":
        return Check("persistence", WARN, f"{address}: appendfsync no: the OS decides when data reaches the disk",
                     "appendfsync everysec (at most a second lost on power loss)")
    return Check("persistence", OK, f"append-only file on, fsync {config.get('appendfsync')}")


def _check_eviction(address: str, client: redis.Redis) -> Check:
    policy = client.config_get("maxmemory-policy").get("maxmemory-policy", "")
    if policy != "noeviction":
        return Check("eviction", FAIL, f"{address}: maxmemory-policy {policy}: Redis may drop comments and queued tasks",
                     "maxmemory-policy noeviction (writes then fail loudly instead)")
    return Check("eviction", OK, "noeviction")


def check_queue_ages(comments: CommentStore, stuck_after: float, now: float | None = None) -> list[Check]:
    """Comments stuck in flight, and how long the oldest one waits for a moderator."""
    states = comments.queue_states(now)
    checks = []
    for state, queue in states.items():
        age = queue.oldest_age
        detail = f"{queue.count} comments" + (f", oldest {age:.0f}s" if age is not None else "")
        status = OK
        fix = ""
        if state in IN_FLIGHT_STATES and age is not None and age > 2 * stuck_after:
            status, fix = WARN, "the sweeper re-enqueues these; if it keeps growing, check workers and beat"
        if state == FAILED and queue.count:
            status, fix = WARN, "dead-lettered comments need a look (see their 'failure' field)"
        checks.append(Check(f"queue:{state}", status, detail, fix))
    return checks


def check_sweeper(client: redis.Redis, sweep_interval: float, now: float | None = None) -> Check:
    now = time.time() if now is None else now
    last = last_sweep(client)
    if last is None:
        return Check("sweeper", WARN, "has never run", "run exactly one celery beat: celery -A workers beat")
    if now - last > 3 * sweep_interval + 10:
        return Check("sweeper", WARN, f"last ran {now - last:.0f}s ago (every {sweep_interval:.0f}s expected)",
                     "run exactly one celery beat: celery -A workers beat")
    return Check("sweeper", OK, f"last ran {now - last:.0f}s ago")
