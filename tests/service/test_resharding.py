"""Slots move between the shards of a Redis Cluster while comments flow (issue #9).

Posters send comments over HTTP to the real API (gunicorn) for several sites, each with an
Idempotency-Key, retrying the same key on a 503 as a CMS would. Meanwhile
``redis-cli --cluster reshard`` moves thousands of slots, with their keys, from one primary
to another and on again. A real worker decides the comments. Afterwards every comment that
got a 202 exists once, in a final state, listed where it belongs; clients never saw anything
but 202 and (retried) 503.
"""
from __future__ import annotations

import time
import uuid

import pytest
from redis.crc import key_slot

from moderation.store import keys
from moderation.store.comments import FINAL_STATES
from tests.support.http_posters import RetryingPoster, run_posters, stop_posters
from tests.support.polling import wait_until
from tests.support.redis_cluster import RedisClusterServers

pytestmark = [pytest.mark.e2e, pytest.mark.fault, pytest.mark.timeout(300),
              pytest.mark.parametrize("store_settings", ["cluster"], indirect=True)]

SITES = 6
POSTERS = 4
SLOTS_PER_MOVE = 3000


@pytest.fixture(scope="module")
def redis_cluster(tmp_path_factory):
    """A cluster of its own (overriding the session's): this module moves its slots around."""
    cluster = RedisClusterServers(tmp_path_factory.mktemp("resharded-cluster")).start()
    yield cluster
    cluster.stop()


def site_ids_in_moving_slots() -> list[str]:
    """Site ids whose slot lies in 1500-2999. ``redis-cli --cluster reshard`` moves a source's
    lowest slots first, so the three moves below take these from the first primary (0-5460
    after ``--cluster create``) to the second, then on to the third, and leave them there."""
    found = []
    while len(found) < SITES:
        site_id = uuid.uuid4().hex[:16]
        if 1500 <= key_slot(keys.site_key(site_id).encode()) < 3000:
            found.append(site_id)
    return found


def test_slots_move_between_shards_while_comments_flow(redis_cluster, site_store, start_api_server,
                                                       start_worker, start_beat, store_redis):
    sites = [(site.id, api_key) for site, api_key in (site_store.create(f"News {n}", [], site_id=site_id)
                                                       for n, site_id in enumerate(site_ids_in_moving_slots()))]
    server = start_api_server()
    start_worker(sweep_interval=2, stuck_after=10)
    start_beat(sweep_interval=2, stuck_after=10)
    posters = [RetryingPoster(server, sites, number) for number in range(POSTERS)]
    run_posters(posters)
    first, second, third = redis_cluster.primary_nodes()
    owners_before = {site_id: redis_cluster.slot_owner(keys.site_key(site_id)).port for site_id, _key in sites}
    try:
        time.sleep(2)
        redis_cluster.reshard(first, second, SLOTS_PER_MOVE)
        redis_cluster.reshard(second, third, SLOTS_PER_MOVE)
        redis_cluster.reshard(third, first, SLOTS_PER_MOVE // 2)
        time.sleep(2)
    finally:
        statuses, accepted = stop_posters(posters)
    owners_after = {site_id: redis_cluster.slot_owner(keys.site_key(site_id)).port for site_id, _key in sites}
    print(f"\nresharding: {len(accepted)} comments accepted, client statuses {dict(statuses)}")
    # Every site's slot really moved twice while comments flowed: first -> second -> third.
    assert set(owners_before.values()) == {first.port} and set(owners_after.values()) == {third.port}
    assert set(statuses) <= {202, 503}, statuses  # never a 500, a 4xx or a dropped connection
    assert len(accepted) > 100

    def status(site_id: str, comment_id: str) -> str | None:
        return store_redis.hget(keys.comment_key(site_id, comment_id), "status")

    wait_until(lambda: all(status(*found) in FINAL_STATES for found in accepted.values()), 120, interval=1,
               message="every accepted comment final")
    # Exactly one comment per accepted key, and each approved one listed once in its thread.
    for site_id, _api_key in sites:
        stored = [key for key in store_redis.scan_iter(keys.comment_key(site_id, "*"), count=1000)]
        ours = [found for found in accepted.values() if found[0] == site_id]
        assert len(stored) == len(ours), site_id
        listed = store_redis.zrange(keys.thread_approved_key(site_id, "article-123"), 0, -1)
        assert sorted(listed) == sorted(comment_id for _site, comment_id in ours)
