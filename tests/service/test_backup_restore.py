"""The backup and restore recipes of docs/operations.md, run for real: a copy of a server's
append-only directory (after BGREWRITEAOF) and an RDB taken with ``redis-cli --rdb`` each bring
back every comment, its history and its queues in a fresh redis-server."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from moderation.processing import process_batch
from moderation.store import CommentStore, connect_redis
from tests.support.polling import wait_until
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.fault


def stored_state(store: CommentStore, site_id: str, ids: list[str]) -> list[tuple]:
    comments = [store.get(site_id, comment_id) for comment_id in ids]
    return [(c.status, c.html, c.body, tuple(e["to"] for e in store.history(site_id, c.id))) for c in comments] + [
        tuple(c.id for c in store.thread_page(site_id, "t1", limit=100).comments),
        tuple(store.pending_ids(site_id)), {state: queue.count for state, queue in store.queue_states(
            site_ids=[site_id]).items()}]


@pytest.fixture
def filled_server(tmp_path):
    server = RedisServer(tmp_path / "live")
    server.start()
    store = CommentStore(connect_redis(server.url(0)))
    ids = [store.create({"site_id": "s1", "thread": "t1", "body": body, "format": "filtered_html"}).comment_id
           for body in ("First <em>one</em>", "<script>x()</script>held", "Third", "Left queued")]
    batch = store.take_ready("s1", 3, "backup-test", 60)
    process_batch(store, "s1", batch.comment_ids)
    yield server, store, ids
    server.stop()


def test_a_copy_of_the_append_only_directory_restores_everything(filled_server, tmp_path):
    server, store, ids = filled_server
    before = stored_state(store, "s1", ids)
    admin = server.client()
    admin.bgrewriteaof()
    wait_until(lambda: not int(admin.info("persistence")["aof_rewrite_in_progress"])
               and not int(admin.info("persistence")["aof_rewrite_scheduled"]), 30, message="the AOF rewrite")
    restored_dir = tmp_path / "restored"
    shutil.copytree(server.directory / "appendonlydir", restored_dir / "appendonlydir")
    restored = RedisServer(restored_dir)
    restored.start(timeout=30)
    try:
        assert stored_state(CommentStore(connect_redis(restored.url(0))), "s1", ids) == before
    finally:
        restored.stop()


def test_an_rdb_taken_with_redis_cli_restores_everything(filled_server, tmp_path):
    server, store, ids = filled_server
    before = stored_state(store, "s1", ids)
    restored_dir = tmp_path / "from-rdb"
    restored_dir.mkdir()
    subprocess.run(["redis-cli", "-p", str(server.port), "--rdb", str(restored_dir / "dump.rdb")],
                   check=True, capture_output=True, timeout=30)
    # First start without the AOF so the RDB is loaded (docs/operations.md), then turn the AOF on.
    restored = RedisServer(restored_dir, extra_args=["--appendonly", "no", "--dbfilename", "dump.rdb"])
    restored.start(timeout=30)
    try:
        restored.client().config_set("appendonly", "yes")
        assert stored_state(CommentStore(connect_redis(restored.url(0))), "s1", ids) == before
    finally:
        restored.stop()
