"""A real Redis Sentinel setup for tests: a primary, one replica and three sentinels, each a
process of Debian's ``redis-server`` on free ports, killed by PID.

:meth:`kill_primary` is ``kill -9`` of whichever server is the primary now; :meth:`wait_failover`
waits until the sentinels name another; :meth:`restart` brings a killed server back (the
sentinels turn it into a replica of the new primary).
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import redis

from tests.support.polling import wait_until
from tests.support.ports import free_port
from tests.support.redis_server import RedisServer

MASTER_NAME = "moderation"


class SentinelServer(RedisServer):
    """``redis-server <conf> --sentinel``: the config file must be writable (sentinels rewrite it)."""

    def __init__(self, directory: Path, monitored_port: int, quorum: int):
        super().__init__(directory)
        self.config = self.directory / "sentinel.conf"
        self.config.write_text(
            f"port {self.port}\nbind 127.0.0.1\nprotected-mode no\ndir {self.directory}\n"
            f"logfile {self.directory / 'sentinel.log'}\n"
            f"sentinel monitor {MASTER_NAME} 127.0.0.1 {monitored_port} {quorum}\n"
            f"sentinel down-after-milliseconds {MASTER_NAME} 1000\n"
            f"sentinel failover-timeout {MASTER_NAME} 10000\n"
            f"sentinel parallel-syncs {MASTER_NAME} 1\n")

    def command(self) -> list[str]:
        return [self.executable, str(self.config), "--sentinel"]


class SentinelCluster:
    def __init__(self, directory: Path, sentinels: int = 3):
        self.directory = Path(directory)
        self.servers = [RedisServer(self.directory / "server-0"), RedisServer(self.directory / "server-1")]
        self.sentinel_count = sentinels
        self.sentinels: list[SentinelServer] = []

    def start(self, timeout: float = 60.0) -> "SentinelCluster":
        primary, replica = self.servers
        primary.start()
        replica.extra_args = ["--replicaof", "127.0.0.1", str(primary.port)]
        replica.start()
        wait_until(lambda: replica.client().info("replication").get("master_link_status") == "up", timeout,
                   message="the replica in sync")
        for index in range(self.sentinel_count):
            sentinel = SentinelServer(self.directory / f"sentinel-{index}", primary.port,
                                      quorum=self.sentinel_count // 2 + 1)
            sentinel.start()
            self.sentinels.append(sentinel)
        wait_until(lambda: self._sentinels_see(replicas=1), timeout, interval=0.2,
                   message="every sentinel sees the primary, its replica and the other sentinels")
        return self

    def _sentinels_see(self, replicas: int) -> bool:
        for sentinel in self.sentinels:
            fields = sentinel.client().sentinel_master(MASTER_NAME)
            if int(fields["num-slaves"]) < replicas or int(fields["num-other-sentinels"]) < self.sentinel_count - 1:
                return False
        return True

    def stop(self) -> None:
        for process in [*self.sentinels, *self.servers]:
            process.stop()

    # -- state and faults ----------------------------------------------------
    @property
    def url(self) -> str:
        """MODERATION_REDIS_URL for the sentinel topology: the sentinels, comma-separated."""
        return ",".join(f"redis://127.0.0.1:{sentinel.port}" for sentinel in self.sentinels)

    def primary_port(self) -> int:
        for sentinel in self.sentinels:
            try:
                _host, port = sentinel.client().sentinel_get_master_addr_by_name(MASTER_NAME)
                return int(port)
            except redis.RedisError:
                continue
        raise LookupError("no sentinel answers")

    def primary(self) -> RedisServer:
        port = self.primary_port()
        return next(server for server in self.servers if server.port == port)

    def client(self, db: int = 0) -> redis.Redis:
        """A plain client on the current primary."""
        return self.primary().client(db)

    def kill_primary(self) -> RedisServer:
        victim = self.primary()
        victim.kill9()
        return victim

    def wait_failover(self, old_port: int, timeout: float = 60.0) -> None:
        wait_until(lambda: self.primary_port() != old_port, timeout, interval=0.2, message="a new primary")

    def restart(self, server: RedisServer, timeout: float = 60.0) -> None:
        """Start a killed server again; the sentinels make it a replica of the current primary."""
        server.extra_args = []
        server.start()
        wait_until(lambda: server.client().info("replication").get("master_link_status") == "up", timeout,
                   interval=0.2, message="the restarted server replicating from the new primary")

    def flush(self) -> None:
        self.client().flushall()
        self.client().execute_command("WAIT", 1, 2000)


def sentinel_cli(*args: str) -> str:  # pragma: no cover - a debugging aid
    return subprocess.run(["redis-cli", *args], capture_output=True, text=True).stdout
