"""Health checks shared by ``GET /readyz`` and ``flask --app moderation doctor``.

Each check answers ok, warn or fail, says what it saw, and for anything but ok
what to do about it. ``/readyz`` runs the quick ones (Redis, broker, workers);
the doctor runs them all.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import redis
from kombu import Connection

from moderation.settings import Settings
from moderation.store.comments import CommentStore
from moderation.store.states import FAILED, IN_FLIGHT_STATES, QUEUED
from moderation.store.workers import WorkerRegistry, last_sweep

OK, WARN, FAIL = "ok", "warn", "fail"


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # ok | warn | fail
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"{self.status.upper():<4}  {self.name:<12} {self.detail}"
        return text + (f"\n      fix: {self.fix}" if self.fix else "")


def check_redis(client: redis.Redis) -> Check:
    try:
        client.ping()
    except redis.RedisError as exc:
        return Check("redis", FAIL, f"unreachable: {type(exc).__name__}: {exc}",
                     "start Redis, or point MODERATION_REDIS_URL at it")
    return Check("redis", OK, "answers PING")


def check_broker(settings: Settings) -> Check:
    url = settings.effective_broker_url
    timeout = settings.redis_socket_timeout
    try:
        if urlsplit(url).scheme in ("redis", "rediss", "unix"):
            client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
            try:
                client.ping()
            finally:
                client.close()
        else:
            with Connection(url, connect_timeout=timeout) as connection:
                connection.ensure_connection(max_retries=1)
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


def check_persistence(client: redis.Redis) -> Check:
    config = client.config_get("appendonly") | client.config_get("appendfsync")
    if config.get("appendonly") != "yes":
        return Check("persistence", FAIL, "appendonly is off: a Redis crash loses accepted comments",
                     "appendonly yes (config/redis.conf), or CONFIG SET appendonly yes and CONFIG REWRITE")
    if config.get("appendfsync") == "no":
        return Check("persistence", WARN, "appendfsync no: the OS decides when data reaches the disk",
                     "appendfsync everysec (at most a second lost on power loss)")
    return Check("persistence", OK, f"append-only file on, fsync {config.get('appendfsync')}")


def check_eviction(client: redis.Redis) -> Check:
    policy = client.config_get("maxmemory-policy").get("maxmemory-policy", "")
    if policy != "noeviction":
        return Check("eviction", FAIL, f"maxmemory-policy {policy}: Redis may drop comments and queued tasks",
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
