"""The real API for tests: gunicorn with config/gunicorn.conf.py on a free port.

Started as ``make run`` starts it (same config file, gevent workers), in its own
session, pointed at the test's Redis database; killed (its process group) at
teardown. Use it where the HTTP server itself matters: slow clients, chunked
bodies, raw sockets, keep-alive. Other tests use Flask's test client.
"""
from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.support.polling import wait_until
from tests.support.ports import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]


class ApiServer:
    def __init__(self, env: dict[str, str], log_dir: Path, **server_env: object):
        self.port = free_port()
        self.env = {**env, "PORT": str(self.port), "HOST": "127.0.0.1",
                    **{name: str(value) for name, value in server_env.items()}}
        self.log_path = Path(log_dir) / f"api-{self.port}.log"
        # Metrics files in the test's directory (gunicorn.conf.py would make a temporary one).
        self.env.setdefault("PROMETHEUS_MULTIPROC_DIR", str(Path(log_dir) / f"metrics-{self.port}"))
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> "ApiServer":
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--config", str(REPO_ROOT / "config" / "gunicorn.conf.py")],
                cwd=REPO_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(self._live, timeout, interval=0.1, message=f"gunicorn on port {self.port}:\n{self.log()[-2000:]}")
        return self

    def _live(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"gunicorn exited ({self.process.returncode}):\n{self.log()[-3000:]}")
        try:
            return self.request("GET", "/livez", timeout=1).status == 200
        except OSError:
            return False

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def connection(self, timeout: float = 5.0) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                timeout: float = 5.0) -> "Response":
        connection = self.connection(timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            reply = connection.getresponse()
            return Response(reply.status, dict(reply.getheaders()), reply.read())
        finally:
            connection.close()

    def stop(self) -> None:
        """SIGTERM (gunicorn's graceful stop), then SIGKILL of the whole group."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes):
        self.status, self.headers, self.body = status, {k.lower(): v for k, v in headers.items()}, body

    def json(self):
        import json
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"<Response {self.status} {self.body[:300]!r}>"
