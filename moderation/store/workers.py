"""Worker heartbeats: which Celery workers are alive and when they last took a task.

Each worker's main process writes its own entry every few seconds
(``workers/liveness.py``) into one global hash, with single-key commands only
(``HSET``, ``HGETALL``, ``HDEL``). Readers (``/readyz``, ``/metrics``, ``flask
--app moderation doctor``) call a worker alive while its heartbeat is recent.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass

import redis

from moderation.store import keys

FORGET_AFTER_SECONDS = 86400  # entries of workers silent this long are dropped


@dataclass(frozen=True)
class WorkerHeartbeat:
    """What one worker last reported (epoch seconds; ``last_consumed_at`` 0 before its first task)."""

    name: str
    pid: int
    started_at: float
    heartbeat_at: float
    last_consumed_at: float = 0.0
    tasks_received: int = 0
    redis_errors: int = 0

    def age(self, now: float | None = None) -> float:
        return (time.time() if now is None else now) - self.heartbeat_at


class WorkerRegistry:
    def __init__(self, client: redis.Redis):
        self.redis = client

    def report(self, heartbeat: WorkerHeartbeat) -> None:
        fields = asdict(heartbeat)
        del fields["name"]
        self.redis.hset(keys.workers_key(), heartbeat.name, json.dumps(fields))

    def remove(self, name: str) -> None:
        self.redis.hdel(keys.workers_key(), name)

    def all(self) -> list[WorkerHeartbeat]:
        heartbeats = []
        for name, raw in sorted(self.redis.hgetall(keys.workers_key()).items()):
            try:
                heartbeats.append(WorkerHeartbeat(name=name, **json.loads(raw)))
            except (ValueError, TypeError):  # an entry from another version: ignore it
                continue
        return heartbeats

    def forget_silent(self, now: float | None = None) -> list[str]:
        """Drop entries whose worker has been silent for a day (restarted under another name)."""
        silent = [beat.name for beat in self.all() if beat.age(now) > FORGET_AFTER_SECONDS]
        if silent:
            self.redis.hdel(keys.workers_key(), *silent)
        return silent


def record_sweep(client: redis.Redis, now: float | None = None) -> None:
    """The stuck-comment sweeper ran (beat is alive)."""
    client.set(keys.sweeper_key(), f"{time.time() if now is None else now:.6f}")


def last_sweep(client: redis.Redis) -> float | None:
    value = client.get(keys.sweeper_key())
    return float(value) if value else None


def claim_sweep(client: redis.Redis, holder: str, seconds: float) -> bool:
    """Only one worker stands in for beat at a time: True for the one that got the lock."""
    return bool(client.set(keys.sweeper_lock_key(), holder, nx=True, ex=max(1, int(seconds))))
