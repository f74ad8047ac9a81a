"""A real ``redis-server`` for tests: random port, temp dir, AOF on.

Fault helpers: :meth:`kill9` (crash), :meth:`start` again on the same port and
dir (AOF replay), :meth:`pause_clients` (CLIENT PAUSE), :meth:`freeze` /
:meth:`thaw` (SIGSTOP / SIGCONT: the port accepts connections but nothing answers).
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import redis

from tests.support.polling import wait_until
from tests.support.ports import free_port

DATABASES = 1024  # one per test (see tests/conftest.py), never reused within a session


class RedisServer:
    def __init__(self, directory: Path, port: int | None = None, extra_args: list[str] | None = None):
        self.directory = Path(directory)
        self.extra_args = list(extra_args or [])
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None
        self.executable = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.frozen = False

    # -- lifecycle ------------------------------------------------------------
    def command(self) -> list[str]:
        return [
            self.executable, "--port", str(self.port), "--bind", "127.0.0.1",
            "--dir", str(self.directory), "--appendonly", "yes", "--appendfsync", "everysec",
            "--save", "", "--maxmemory-policy", "noeviction", "--databases", str(DATABASES),
            "--hash-max-listpack-value", "4096",  # as config/redis.conf
            "--daemonize", "no", "--protected-mode", "no", "--loglevel", "warning",
            "--logfile", str(self.directory / "redis.log"), *self.extra_args,
        ]

    def start(self, timeout: float = 10.0) -> None:
        """Start (or restart on the same port and dir) and wait until it answers PING."""
        if self.is_running():
            return
        self.process = subprocess.Popen(self.command(), stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        self.frozen = False
        wait_until(self.ping, timeout, message=f"redis-server on port {self.port}")

    def ping(self) -> bool:
        client = redis.Redis(port=self.port, socket_timeout=0.5, socket_connect_timeout=0.5)
        try:
            return bool(client.ping())
        except redis.BusyLoadingError:  # still replaying the AOF
            return False
        finally:
            client.close()

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def ensure_running(self) -> None:
        """Undo whatever a fault test left behind: thaw, unpause, or restart."""
        if self.frozen:
            self.thaw()
        if not self.is_running():
            self.start()
        else:
            self.client().execute_command("CLIENT", "UNPAUSE")

    def stop(self) -> None:
        """Graceful shutdown (SIGTERM), then SIGKILL if it lingers."""
        if not self.is_running():
            return
        if self.frozen:
            self.thaw()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    # -- faults ---------------------------------------------------------------
    def kill9(self) -> None:
        """Crash: SIGKILL, no shutdown save (the AOF is all that survives)."""
        if self.is_running():
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.frozen = False

    def restart(self, timeout: float = 20.0) -> None:
        """kill -9, then start again on the same port and dir."""
        self.kill9()
        self.start(timeout=timeout)

    def freeze(self) -> None:
        """SIGSTOP: connections hang instead of failing (what a stalled host looks like)."""
        os.kill(self.process.pid, signal.SIGSTOP)
        self.frozen = True

    def thaw(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)
        self.frozen = False

    def pause_clients(self, milliseconds: int, mode: str = "ALL") -> None:
        """CLIENT PAUSE: Redis stops answering clients for ``milliseconds``."""
        self.client().execute_command("CLIENT", "PAUSE", milliseconds, mode)

    def kill_clients(self) -> None:
        """CLIENT KILL TYPE normal: drop every normal connection (workers must reconnect)."""
        self.client().execute_command("CLIENT", "KILL", "TYPE", "normal")

    # -- access ---------------------------------------------------------------
    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def client(self, db: int = 0, **options) -> redis.Redis:
        options.setdefault("socket_timeout", 2)
        options.setdefault("decode_responses", True)
        return redis.Redis(port=self.port, db=db, **options)
