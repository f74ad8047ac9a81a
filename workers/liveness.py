"""Worker liveness: each worker reports a heartbeat to Redis, so others can tell it works.

The worker's main process (the one that takes messages from the broker)
writes, every MODERATION_WORKER_HEARTBEAT_INTERVAL seconds, its entry in
``mod:workers`` (:class:`moderation.store.workers.WorkerRegistry`): when it
started, when it last took a task, how many it took, how many Redis errors it
met. ``/readyz``, ``/metrics`` and ``flask --app moderation doctor`` read them:
"no worker alive" and "comments wait but no worker takes them" both show.

Pool children count their Redis errors in a shared counter created in the
main process before it forks them (:func:`count_redis_error`).
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time

from celery import signals

from moderation.store.workers import WorkerHeartbeat, WorkerRegistry

log = logging.getLogger(__name__)

FORGET_EVERY = 60  # heartbeats between two clean-ups of long-silent entries


class Liveness:
    """The main process's view of its own work, and the thread that reports it."""

    def __init__(self) -> None:
        self.started_at = time.time()
        self.last_consumed_at = 0.0
        self.tasks_received = 0
        self.redis_errors = None  # a multiprocessing.Value once the worker starts
        self._thread: threading.Thread | None = None
        self._halt = threading.Event()
        self.name = ""

    def start(self, registry_factory, name: str, interval: float) -> None:
        self.name = name
        self._thread = threading.Thread(target=self._run, args=(registry_factory(), interval),
                                        name="heartbeat", daemon=True)
        self._thread.start()

    def stop(self, registry_factory) -> None:
        self._halt.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            try:
                registry_factory().remove(self.name)  # a clean stop: not a dead worker
            except Exception:  # Redis may be the reason we stop
                log.warning("could not remove the heartbeat of %s", self.name)

    def heartbeat(self) -> WorkerHeartbeat:
        return WorkerHeartbeat(name=self.name, pid=os.getpid(), started_at=self.started_at,
                               heartbeat_at=time.time(), last_consumed_at=self.last_consumed_at,
                               tasks_received=self.tasks_received,
                               redis_errors=self.redis_errors.value if self.redis_errors is not None else 0)

    def _run(self, registry: WorkerRegistry, interval: float) -> None:
        beats = 0
        while True:
            try:
                registry.report(self.heartbeat())
                if beats % FORGET_EVERY == 0:
                    registry.forget_silent()
            except Exception as exc:  # Redis down: keep trying, count it
                count_redis_error()
                log.warning("heartbeat not written: %s", exc)
            beats += 1
            if self._halt.wait(interval):
                return


liveness = Liveness()


def count_redis_error() -> None:
    """Count a Redis error (from the main process or a pool child)."""
    if liveness.redis_errors is not None:
        with liveness.redis_errors.get_lock():
            liveness.redis_errors.value += 1


def connect_signals(registry_factory, interval: float) -> None:
    """Hook the heartbeat into a Celery worker's life (called by the Celery app's module)."""

    @signals.worker_init.connect(weak=False)
    def create_shared_counter(**_kwargs) -> None:
        # Before the pool forks: its children inherit this shared memory.
        liveness.redis_errors = multiprocessing.Value("i", 0)

    @signals.task_received.connect(weak=False)
    def record_task_received(**_kwargs) -> None:
        liveness.last_consumed_at = time.time()
        liveness.tasks_received += 1

    @signals.worker_ready.connect(weak=False)
    def start_heartbeat(sender=None, **_kwargs) -> None:
        liveness.start(registry_factory, getattr(sender, "hostname", None) or f"worker-{os.getpid()}", interval)

    @signals.worker_shutdown.connect(weak=False)
    def stop_heartbeat(**_kwargs) -> None:
        liveness.stop(registry_factory)
