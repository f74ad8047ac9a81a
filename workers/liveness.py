"""Worker liveness: each worker reports a heartbeat to Redis, so others can tell it works.

The worker's main process (the one that takes messages from the broker)
writes, every MODERATION_WORKER_HEARTBEAT_INTERVAL seconds, its entry in
``mod:workers`` (:class:`moderation.store.workers.WorkerRegistry`): when it
started, when it last took a task, how many it took, how many Redis errors it
met. ``/readyz``, ``/metrics`` and ``flask --app moderation doctor`` read them:
"no worker alive" and "comments wait but no worker takes them" both show.

Pool children count their Redis errors in a shared counter created in the
main process before it forks them (:func:`count_redis_error`).

The same thread is the worker's watchdog and its stand-in for beat:

- with the solo pool a task runs in this very process, where Celery cannot
  enforce a time limit; a task still running after ``time_limit`` seconds
  makes the process exit, and its supervisor (make run, compose, systemd)
  starts it again (the sweeper re-sends the comment, whose attempt was counted);
- ``on_beat`` runs after every heartbeat (the sweeper when beat is silent).
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
        self.task_started_at = 0.0  # a task running in this process (solo pool) since then; 0: none
        self.pid = 0  # the worker's main process
        self._thread: threading.Thread | None = None
        self._halt = threading.Event()
        self.name = ""

    def start(self, registry_factory, name: str, interval: float, time_limit: float | None = None,
              on_beat=None) -> None:
        self.name = name
        self._thread = threading.Thread(target=self._run, args=(registry_factory(), interval, time_limit, on_beat),
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

    def _run(self, registry: WorkerRegistry, interval: float, time_limit: float | None, on_beat) -> None:
        beats = 0
        while True:
            self._enforce_time_limit(time_limit)
            try:
                registry.report(self.heartbeat())
                if beats % FORGET_EVERY == 0:
                    registry.forget_silent()
                if on_beat is not None:
                    on_beat()
            except Exception as exc:  # Redis down: keep trying, count it
                count_redis_error()
                log.warning("heartbeat not written: %s", exc)
            beats += 1
            if self._halt.wait(interval):
                return

    def _enforce_time_limit(self, time_limit: float | None) -> None:
        started = self.task_started_at
        if time_limit and started and time.time() - started > time_limit:
            log.critical("a task has run for %.0fs (limit %ss): exiting so the worker is restarted",
                         time.time() - started, time_limit)
            logging.shutdown()
            os._exit(70)  # EX_SOFTWARE; the supervisor restarts us


liveness = Liveness()


def count_redis_error() -> None:
    """Count a Redis error (from the main process or a pool child)."""
    if liveness.redis_errors is not None:
        with liveness.redis_errors.get_lock():
            liveness.redis_errors.value += 1


def connect_signals(registry_factory, interval: float, time_limit: float | None = None, on_beat=None) -> None:
    """Hook the heartbeat into a Celery worker's life (called by the Celery app's module).

    ``time_limit``: seconds after which a task running in the worker process itself (solo pool)
    makes it exit. ``on_beat()``: run by the heartbeat thread after each heartbeat.
    """

    @signals.worker_init.connect(weak=False)
    def create_shared_counter(**_kwargs) -> None:
        # Before the pool forks: its children inherit this shared memory.
        liveness.redis_errors = multiprocessing.Value("i", 0)
        liveness.pid = os.getpid()

    @signals.task_received.connect(weak=False)
    def record_task_received(**_kwargs) -> None:
        liveness.last_consumed_at = time.time()
        liveness.tasks_received += 1

    @signals.task_prerun.connect(weak=False)
    def record_task_start(**_kwargs) -> None:
        if os.getpid() == liveness.pid:  # a task in the worker process itself (solo pool)
            liveness.task_started_at = time.time()

    @signals.task_postrun.connect(weak=False)
    def record_task_end(**_kwargs) -> None:
        liveness.task_started_at = 0.0

    @signals.worker_ready.connect(weak=False)
    def start_heartbeat(sender=None, **_kwargs) -> None:
        liveness.start(registry_factory, getattr(sender, "hostname", None) or f"worker-{os.getpid()}", interval,
                       time_limit, on_beat)

    @signals.worker_shutdown.connect(weak=False)
    def stop_heartbeat(**_kwargs) -> None:
        liveness.stop(registry_factory)
