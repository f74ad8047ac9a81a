"""What the service benchmarks share: processes we own, a private redis-server, CPU from /proc.

Every process a benchmark starts is put in its own session (so it is the leader
of its own process group) and registered here; :func:`stop_all` kills those
groups, and nothing else, on normal exit, on an exception, on Ctrl-C and on
SIGTERM (``atexit`` plus a SIGTERM handler that turns into ``SystemExit``).
"""
from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")  # /proc/<pid>/stat counts CPU time in these

_groups: list[subprocess.Popen] = []  # leaders of the process groups we started


# -- processes we own ------------------------------------------------------------
def start_group(command: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen:
    """Start ``command`` in a new session (its own process group), output to ``log_path``."""
    _install_signal_handler()
    with open(log_path, "ab") as log:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    _groups.append(process)
    return process


def stop_group(process: subprocess.Popen, grace: float = 5.0) -> None:
    """SIGTERM the group ``process`` leads; after ``grace`` seconds SIGKILL what is left of it."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(process.pid, sig)  # the pgid is the leader's pid: only processes we started
        except ProcessLookupError:  # the whole group is gone
            break
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            pass
    if process in _groups:
        _groups.remove(process)


def stop_all() -> None:
    """Kill every process group we started, newest first. A second Ctrl-C or SIGTERM must not cut
    this short (it would leave servers running), so both are ignored from here on."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    for process in reversed(list(_groups)):
        stop_group(process, grace=2.0)


_handler_installed = False


def _install_signal_handler() -> None:
    global _handler_installed
    if _handler_installed:
        return
    _handler_installed = True
    atexit.register(stop_all)

    def on_sigterm(signum, _frame):
        raise SystemExit(128 + signum)  # unwinds through every finally, then atexit

    signal.signal(signal.SIGTERM, on_sigterm)


# -- small utilities -------------------------------------------------------------
def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout: float, interval: float = 0.05, message: str = "condition"):
    """Poll ``predicate`` until it returns something truthy; TimeoutError after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {message}")
        time.sleep(interval)


def ensure_tools(*names: str) -> None:
    """Install missing system programs with the project's script (apt-get as root)."""
    if all(shutil.which(name) for name in names):
        return
    subprocess.run(["bash", str(REPO_ROOT / "scripts" / "ensure-system-tools.sh"), *names], check=True)


def child_env(**extra: str) -> dict[str, str]:
    """Our environment without inherited MODERATION_* (a developer's shell must not leak in)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("MODERATION_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def log_tail(path: Path, chars: int = 3000) -> str:
    return path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"


# -- CPU time from /proc ---------------------------------------------------------
def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (Linux /proc/<pid>/task/<tid>/children, all threads)."""
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(child) for child in (task / "children").read_text().split()]
    except OSError:
        pass
    return found


def cpu_seconds(pid: int, include_reaped: bool = False) -> float:
    """utime + stime of ``pid`` in seconds (plus its reaped children's with ``include_reaped``);
    0 if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()  # the command name may contain spaces and ')'
    utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
    ticks = utime + stime + ((cutime + cstime) if include_reaped else 0)
    return ticks / CLOCK_TICKS


def tree_cpu_seconds(root: int) -> tuple[float, list[int]]:
    """CPU seconds of ``root``, its live descendants and the children it reaped; and the live pids."""
    pids, pending = [], [root]
    while pending:
        pid = pending.pop()
        pids.append(pid)
        pending += children(pid)
    return sum(cpu_seconds(pid, include_reaped=True) for pid in pids), pids


# -- a private redis-server ------------------------------------------------------
class RedisServer:
    """``redis-server`` on a free loopback port in ``directory``: AOF on, no eviction, no RDB."""

    def __init__(self, directory: Path, extra_args: list[str] | None = None):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        # As config/redis.conf: comment hashes stay listpacks (docs/operations.md, capacity).
        self.extra_args = ["--hash-max-listpack-value", "4096", *(extra_args or [])]

    def start(self) -> "RedisServer":
        ensure_tools("redis-server")
        command = [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
                   "--dir", str(self.directory), "--appendonly", "yes", "--appendfsync", "everysec",
                   "--maxmemory-policy", "noeviction", "--save", "", "--daemonize", "no",
                   "--protected-mode", "no", "--loglevel", "warning", *self.extra_args]
        self.process = start_group(command, child_env(), self.directory / "redis.log")
        wait_until(self._ping, 15, message=f"redis-server on port {self.port}")
        return self

    def _ping(self) -> bool:
        import redis

        if self.process.poll() is not None:
            raise RuntimeError(f"redis-server exited:\n{log_tail(self.directory / 'redis.log')}")
        try:
            return bool(redis.Redis(port=self.port, socket_timeout=0.5).ping())
        except (redis.ConnectionError, redis.BusyLoadingError, redis.TimeoutError):
            return False

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.process.pid)

    def reset(self) -> None:
        """Empty Redis (database 0, the one the benchmarks use) but for kombu's queue bindings,
        then rewrite the AOF.

        The bindings (``_kombu.binding.*``) are declared once per producer connection and
        cached by kombu: without them every later publish fails with "Cannot route message".
        The AOF rewrite keeps its size, and any automatic rewrite it would trigger mid-run,
        the same for every run.
        """
        import redis

        client = redis.Redis(port=self.port, socket_timeout=30)  # bytes: DUMP payloads are binary
        kept = {key: client.dump(key) for key in client.scan_iter(match="_kombu.*", count=1000)}
        client.flushall()
        for key, value in kept.items():
            if value is not None:
                client.restore(key, 0, value)
        try:
            client.bgrewriteaof()
        except redis.ResponseError:  # one already running: wait for it below
            pass
        wait_until(lambda: not int(client.info("persistence")["aof_rewrite_in_progress"])
                   and not int(client.info("persistence")["aof_rewrite_scheduled"]),
                   30, interval=0.02, message="the AOF rewrite")
        client.close()

    def stop(self) -> None:
        if self.process is not None:
            stop_group(self.process)


def start_cluster(directory: Path, primaries: int = 3) -> list[RedisServer]:
    """A Redis Cluster of ``primaries`` nodes (no replicas), joined with redis-cli; its servers."""
    import redis

    ensure_tools("redis-server")  # Debian's redis-server brings redis-cli (redis-tools)
    nodes = []
    for index in range(primaries):
        node = RedisServer(directory / f"node-{index}", ["--cluster-enabled", "yes", "--cluster-config-file",
                                                         "nodes.conf", "--cluster-node-timeout", "5000"])
        while node.port + 10000 > 65535:  # the cluster bus listens on port + 10000
            node.port = free_port()
        nodes.append(node.start())
    subprocess.run([shutil.which("redis-cli"), "--cluster", "create",
                    *(f"127.0.0.1:{node.port}" for node in nodes), "--cluster-yes"],
                   check=True, capture_output=True, timeout=60)

    def healthy() -> bool:
        return all("cluster_state:ok" in redis.Redis(port=node.port, decode_responses=True)
                   .execute_command("CLUSTER", "INFO") for node in nodes)

    wait_until(healthy, 60, message="cluster_state:ok on every node")
    return nodes


# -- output ----------------------------------------------------------------------
def print_table(headers: list[str], rows: list[list[str]]) -> None:
    """A plain-text table: first column left-aligned, the others right-aligned."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]

    def line(cells):
        return "  ".join(str(cell).ljust(width) if index == 0 else str(cell).rjust(width)
                         for index, (cell, width) in enumerate(zip(cells, widths)))

    print(line(headers))
    print("  ".join("-" * width for width in widths))
    for row in rows:
        print(line(row))


def python_version() -> str:
    return sys.version.split()[0]
