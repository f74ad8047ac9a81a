"""A seeded "nemesis" for end-to-end fault tests: kills workers and stalls Redis at random.

It runs in a thread next to the clients. Every step is drawn from a
``random.Random(seed)`` (the *choice* of fault, its target and its duration),
and logged with its time offset, so a failing run can be replayed with the same
seed (the interleaving with the clients stays up to the OS). Faults:

- ``kill_pool_child``: SIGKILL a worker's prefork child (the main process forks a new one);
- ``kill_main``: SIGKILL a worker's main process, reap its group, start it again;
- ``sigterm``: warm shutdown (the running task finishes), then start it again;
- ``pause_redis``: ``CLIENT PAUSE`` for a short while (every client blocks);
- ``freeze_redis``: SIGSTOP, a short wait, SIGCONT (connections hang, nothing answers);
- ``crash_redis``: kill -9, then restart on the same port and dir (AOF replay);
- ``kill_connections``: ``CLIENT KILL TYPE normal`` (everyone must reconnect).

It only signals processes the tests started (through the helpers'
own methods). :meth:`Nemesis.heal` undoes everything: Redis thawed, unpaused
and running, every worker running and ready.
"""
from __future__ import annotations

import random
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field

from tests.support.polling import wait_until
from tests.support.redis_server import RedisServer
from tests.support.workers import WorkerProcess

# fault name -> relative weight (worker faults and Redis faults about equally likely)
DEFAULT_WEIGHTS = {
    "kill_pool_child": 3, "kill_main": 2, "sigterm": 2,
    "pause_redis": 2, "freeze_redis": 2, "crash_redis": 1, "kill_connections": 2,
}
READY_LINE = " ready."


@dataclass
class NemesisLog:
    """What the nemesis did: one ``(seconds since start, fault, detail)`` per step."""

    steps: list[tuple[float, str, str]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counted: dict[str, int] = {}
        for _offset, fault, _detail in self.steps:
            counted[fault] = counted.get(fault, 0) + 1
        return counted

    def text(self) -> str:
        return "\n".join(f"  +{offset:6.2f}s {fault:<17} {detail}" for offset, fault, detail in self.steps)


class Nemesis(threading.Thread):
    """Inject one random fault every ``gap`` seconds (uniform range) until :meth:`stop`."""

    def __init__(self, seed: int, redis_server: RedisServer, workers: list[WorkerProcess],
                 gap: tuple[float, float] = (0.3, 1.2), weights: dict[str, int] | None = None):
        super().__init__(name=f"nemesis-{seed}", daemon=True)
        self.random = random.Random(seed)
        self.redis_server = redis_server
        self.workers = workers
        self.gap = gap
        self.weights = weights or DEFAULT_WEIGHTS
        self.log = NemesisLog()
        self.errors: list[str] = []  # faults that could not be injected (target not ready, ...)
        self._halt = threading.Event()  # not _stop: Thread uses that name
        self._started_at = time.monotonic()

    # -- the loop ---------------------------------------------------------------
    def run(self) -> None:
        self._started_at = time.monotonic()
        names = sorted(self.weights)
        weights = [self.weights[name] for name in names]
        while not self._halt.wait(self.random.uniform(*self.gap)):
            fault = self.random.choices(names, weights)[0]
            worker = self.random.choice(self.workers)
            duration = self.random.uniform(0.3, 2.0)
            try:
                detail = getattr(self, f"_{fault}")(worker, duration)
            except Exception as exc:  # keep going: a fault that misses is not a test failure
                detail = f"not injected: {exc!r}"[:200]
                self.errors.append(f"{fault}: {detail}")
            self.log.steps.append((time.monotonic() - self._started_at, fault, detail))

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=60)

    # -- worker faults ----------------------------------------------------------
    def _kill_pool_child(self, worker: WorkerProcess, _duration: float) -> str:
        return f"{worker.name}: killed pool child {worker.kill_pool_child()}"

    def _kill_main(self, worker: WorkerProcess, _duration: float) -> str:
        if not worker.is_running():
            return f"{worker.name}: not running; " + restart_worker(worker)
        pid = worker.pid
        worker.kill_main()
        return f"{worker.name}: killed main {pid}; " + restart_worker(worker)

    def _sigterm(self, worker: WorkerProcess, _duration: float) -> str:
        if not worker.is_running():
            return f"{worker.name}: not running; " + restart_worker(worker)
        pid = worker.pid
        worker.process.send_signal(signal.SIGTERM)
        try:  # warm shutdown: the running task (tens of ms) finishes first
            code = worker.process.wait(timeout=15)
            outcome = f"exited {code}"
        except subprocess.TimeoutExpired:
            outcome = "still running after 15s: killed"
        return f"{worker.name}: SIGTERM {pid}, {outcome}; " + restart_worker(worker)

    # -- Redis faults -----------------------------------------------------------
    def _pause_redis(self, _worker: WorkerProcess, duration: float) -> str:
        self.redis_server.pause_clients(int(duration * 1000))
        time.sleep(duration)
        return f"CLIENT PAUSE {duration:.2f}s"

    def _freeze_redis(self, _worker: WorkerProcess, duration: float) -> str:
        self.redis_server.freeze()
        try:
            time.sleep(duration)
        finally:
            self.redis_server.thaw()
        return f"SIGSTOP for {duration:.2f}s, then SIGCONT"

    def _crash_redis(self, _worker: WorkerProcess, duration: float) -> str:
        self.redis_server.kill9()
        down_for = duration / 2
        time.sleep(down_for)
        self.redis_server.start(timeout=30)
        return f"kill -9, down {down_for:.2f}s, restarted on the same dir (AOF)"

    def _kill_connections(self, _worker: WorkerProcess, _duration: float) -> str:
        self.redis_server.kill_clients()
        return "CLIENT KILL TYPE normal"

    # -- healing ----------------------------------------------------------------
    def heal(self, timeout: float = 60.0) -> None:
        """Redis thawed, unpaused and running; every worker running and ready."""
        self.redis_server.ensure_running()
        for worker in self.workers:
            if not worker.is_running():
                restart_worker(worker)
        for worker in self.workers:
            wait_until(lambda w=worker: worker_ready(w), timeout, interval=0.2,
                       message=f"worker {worker.name} ready after healing:\n{worker.log()[-2000:]}")


def restart_worker(worker: WorkerProcess) -> str:
    """Reap what is left of ``worker``'s process group and start it again (not waiting)."""
    worker.stop()  # SIGKILL the old group: an orphaned pool child must not linger
    worker.ready_marks_before_start = worker.log().count(READY_LINE)
    worker.start(wait=False)
    return f"restarted as {worker.pid}"


def worker_ready(worker: WorkerProcess) -> bool:
    """The current incarnation logged Celery's "ready." line and has a pool child."""
    if not worker.is_running():
        raise AssertionError(f"worker {worker.name} exited ({worker.process.returncode})")
    before = getattr(worker, "ready_marks_before_start", 0)
    return worker.log().count(READY_LINE) > before and (worker.deployed or bool(worker.pool_children()))
