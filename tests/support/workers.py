"""Real Celery worker processes for tests.

Started as ``python -m celery -A workers worker --without-gossip --without-mingle
--without-heartbeat`` with MODERATION_WORKER_POOL=prefork and
MODERATION_WORKER_CONCURRENCY=1 (one pool child: the reliability recipes kill
it) in a new session (so the worker and its pool child form a process group we
own), with output in a log file that :meth:`WorkerProcess.wait_ready` watches
for Celery's "ready." line.
``WorkerProcess(..., deployed=True)`` runs the command every launcher uses
(``make run``, docker-compose, the systemd unit): ``celery -A workers worker``
with the pool, concurrency and remote control the Celery app configures.
"""
from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.support.polling import wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]
_names = itertools.count(1)


def worker_env(redis_url: str, /, **settings: object) -> dict[str, str]:
    """The environment for a worker: ours, pointed at ``redis_url``, plus MODERATION_* overrides.

    ``settings`` use Settings field names: ``worker_env(url, stuck_after=5)``.
    Inherited MODERATION_* variables are dropped so a developer's shell cannot leak in.
    """
    env = {name: value for name, value in os.environ.items() if not name.startswith("MODERATION_")}
    env["MODERATION_REDIS_URL"] = redis_url
    env.setdefault("PYTHONUNBUFFERED", "1")
    for name, value in settings.items():
        env[f"MODERATION_{name.upper()}"] = str(value)
    return env


class WorkerProcess:
    """One Celery worker (main process + one prefork pool child)."""

    def __init__(self, env: dict[str, str], log_dir: Path, beat: bool = False,
                 extra_args: list[str] | None = None, deployed: bool = False):
        self.name = f"w{next(_names)}"
        # The pool comes from the app's configuration, which wins over celery's --pool flag.
        self.env = env if deployed else {"MODERATION_WORKER_POOL": "prefork", "MODERATION_WORKER_CONCURRENCY": "1",
                                          **env}
        self.log_path = Path(log_dir) / f"worker-{self.name}.log"
        self.beat = beat
        self.extra_args = extra_args or []
        self.deployed = deployed
        self.process: subprocess.Popen | None = None
        self._log_file = None

    def command(self) -> list[str]:
        args = [sys.executable, "-m", "celery", "-A", "workers", "worker"]
        if not self.deployed:
            args += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        args += ["--loglevel", "INFO", "--hostname", f"{self.name}@%h"]
        if self.beat:
            args += ["--beat", "--schedule", str(self.log_path.with_suffix(".beat"))]
        return args + self.extra_args

    def start(self, wait: bool = True, timeout: float = 30.0) -> "WorkerProcess":
        self._log_file = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.command(), cwd=REPO_ROOT, env=self.env,
                                        stdout=self._log_file, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        if wait:
            self.wait_ready(timeout)
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_ready(self, timeout: float = 30.0) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"worker {self.name} exited ({self.process.returncode}):\n{self.log()[-3000:]}")
            return " ready." in self.log() and (self.deployed or bool(self.pool_children()))
        try:
            wait_until(ready, timeout, interval=0.1, message=f"worker {self.name} to be ready")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- worker log ---\n{self.log()[-3000:]}") from None

    # -- process tree ---------------------------------------------------------
    @property
    def pid(self) -> int:
        return self.process.pid

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def pool_children(self) -> list[int]:
        """Pids of the main process's children (the prefork pool), from /proc."""
        if not self.is_running():
            return []
        children_file = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        try:
            return [int(pid) for pid in children_file.read_text().split()]
        except OSError:
            return _children_by_scan(self.pid)

    # -- faults and shutdown --------------------------------------------------
    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM (warm shutdown: the running task finishes), then wait."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def kill_main(self) -> None:
        """SIGKILL the main process only (its pool child notices and exits on its own)."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def kill_pool_child(self) -> int:
        """SIGKILL the pool child; the main process replaces it. Returns the killed pid."""
        children = self.pool_children()
        if not children:
            raise AssertionError(f"worker {self.name} has no pool child")
        os.kill(children[0], signal.SIGKILL)
        return children[0]

    def stop(self) -> None:
        """Tear down everything this worker started: SIGKILL its whole process group."""
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)  # the group we created; only our pids
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


def _children_by_scan(parent_pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ..." – comm may contain spaces, so split after ")"
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and int(fields[1]) == parent_pid:
            children.append(int(entry.name))
    return children


class BeatProcess(WorkerProcess):
    """Celery beat on its own (``celery -A workers beat``), as ``make run`` and compose run it."""

    def command(self) -> list[str]:
        return [sys.executable, "-m", "celery", "-A", "workers", "beat", "--loglevel", "INFO",
                "--schedule", str(self.log_path.with_suffix(".schedule"))]

    def wait_ready(self, timeout: float = 30.0) -> None:
        wait_until(lambda: "beat: Starting..." in self.log() or self.process.poll() is not None,
                   timeout, interval=0.1, message="celery beat to start")
        if self.process.poll() is not None:
            raise AssertionError(f"beat exited ({self.process.returncode}):\n{self.log()[-3000:]}")
