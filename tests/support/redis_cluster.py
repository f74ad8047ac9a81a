"""A real local Redis Cluster for tests: three primaries (and optionally replicas), each a
``redis-server`` with ``cluster-enabled`` on free ports, joined by ``redis-cli --cluster create``.

Helpers: :meth:`flush` (empty every primary between tests), :meth:`client` (redis-py's
cluster client), :meth:`reshard` (move slots between primaries with ``redis-cli --cluster
reshard`` while clients keep working).
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from redis.cluster import ClusterNode, RedisCluster as ClusterClient

from tests.support.polling import wait_until
from tests.support.ports import free_port_pair
from tests.support.redis_server import RedisServer

BUS_PORT_OFFSET = 10000  # Redis Cluster's bus listens on port + 10000


class RedisClusterServers:
    def __init__(self, directory: Path, primaries: int = 3, replicas_per_primary: int = 0):
        self.directory = Path(directory)
        self.primaries = primaries
        self.replicas_per_primary = replicas_per_primary
        self.nodes: list[RedisServer] = []
        self.cli = shutil.which("redis-cli") or "/usr/bin/redis-cli"

    def start(self, timeout: float = 60.0) -> "RedisClusterServers":
        for index in range(self.primaries * (1 + self.replicas_per_primary)):
            port = free_port_pair(BUS_PORT_OFFSET)
            node = RedisServer(self.directory / f"node-{index}", port=port, extra_args=[
                "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                "--cluster-node-timeout", "3000", "--databases", "1",
                # Start a replica's first sync at once (Redis waits 5 s for more replicas by default).
                "--repl-diskless-sync-delay", "0"])
            node.start()
            self.nodes.append(node)
        addresses = [f"127.0.0.1:{node.port}" for node in self.nodes]
        subprocess.run([self.cli, "--cluster", "create", *addresses, "--cluster-replicas",
                        str(self.replicas_per_primary), "--cluster-yes"],
                       check=True, capture_output=True, timeout=timeout)
        wait_until(self.is_healthy, timeout, interval=0.2, message="cluster_state:ok on every node")
        wait_until(self.replicas_in_sync, timeout, interval=0.2, message="every replica in sync")
        return self

    def replicas_in_sync(self) -> bool:
        """Every replica's link to its primary is up (a replica that never synced cannot take over)."""
        links = [node.client().info("replication") for node in self.nodes]
        return all(link.get("master_link_status") == "up" for link in links if link["role"] == "slave")

    def is_healthy(self) -> bool:
        for node in self.nodes:
            info = node.client().execute_command("CLUSTER", "INFO")
            if "cluster_state:ok" not in info:
                return False
        return True

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    # -- access ---------------------------------------------------------------
    @property
    def url(self) -> str:
        """MODERATION_REDIS_URL for the cluster topology: every node, comma-separated."""
        return ",".join(f"redis://127.0.0.1:{node.port}" for node in self.nodes)

    def client(self) -> ClusterClient:
        return ClusterClient(startup_nodes=[ClusterNode("127.0.0.1", node.port) for node in self.nodes],
                             decode_responses=True, socket_timeout=5)

    def primary_nodes(self) -> list[RedisServer]:
        return [node for node in self.nodes if node.client().info("replication")["role"] == "master"]

    def flush(self) -> None:
        """Empty every primary (replicas follow)."""
        for node in self.primary_nodes():
            node.client().flushall()

    def node_id(self, node: RedisServer) -> str:
        return node.client().execute_command("CLUSTER", "MYID")

    def reshard(self, source: RedisServer, target: RedisServer, slots: int, timeout: float = 120) -> None:
        """Move ``slots`` slots (with their keys) from ``source`` to ``target``."""
        subprocess.run([self.cli, "--cluster", "reshard", f"127.0.0.1:{source.port}",
                        "--cluster-from", self.node_id(source), "--cluster-to", self.node_id(target),
                        "--cluster-slots", str(slots), "--cluster-yes", "--cluster-pipeline", "100"],
                       check=True, capture_output=True, timeout=timeout)

    def slot_owner(self, key: str) -> RedisServer:
        """The primary serving ``key``'s slot now."""
        client = self.nodes[0].client()
        slot = client.execute_command("CLUSTER", "KEYSLOT", key)
        for first, last, primary, *_replicas in client.execute_command("CLUSTER", "SLOTS"):
            if first <= slot <= last:
                return next(node for node in self.nodes if node.port == int(primary[1]))
        raise LookupError(f"no node serves slot {slot}")
