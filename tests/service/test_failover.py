"""Sentinel failover under load, and the WAIT knob (issue #9).

A primary with one replica and three sentinels (tests/support/redis_sentinel.py) holds the
store and the broker. HTTP clients post to the real API (gunicorn) with Idempotency-Keys while
the primary is killed with SIGKILL; Sentinel promotes the replica; the killed server comes back
as a replica. The API must answer only 202, or 503 / 409 with Retry-After, meanwhile, and every
comment that got a 202 must end in exactly one final state, without a manual step.

The replica is made to lag just before the primary dies (its link dropped while it is stopped
for 0.7 s). Without
MODERATION_WAIT_REPLICAS a 202 leaves as soon as the primary has the comment (replication is
asynchronous), so the comments acknowledged during the lag die with the primary: the test
expects some and reports how many. With ``wait_replicas=1`` none may be lost.
"""
from __future__ import annotations

import time
from collections import Counter

import pytest

from moderation.store import CommentStore, connect_store, keys
from moderation.store.comments import FINAL_STATES
from tests.service.helpers import post_comment
from tests.support.http_posters import RetryingPoster, run_posters, stop_posters
from tests.support.polling import wait_until
from tests.support.redis_sentinel import MASTER_NAME
from tests.support.round_trips import counting_round_trips

pytestmark = [pytest.mark.e2e, pytest.mark.fault, pytest.mark.timeout(300),
              pytest.mark.parametrize("store_settings", ["sentinel"], indirect=True)]

POSTERS = 4
LAG_SECONDS = 0.7


def replica_of(setup):
    primary = setup.primary()
    return next(server for server in setup.servers if server is not primary)


def fields(site_id: str = "s1") -> dict:
    return {"site_id": site_id, "thread": "t1", "body": "hello", "format": "plain_text"}


def test_wait_counts_the_replicas_that_hold_the_comment(store_settings, redis_sentinel):
    store = CommentStore(connect_store("sentinel", redis_sentinel.url, 2.0, MASTER_NAME),
                         wait_replicas=1, wait_timeout_ms=300)
    store.create(fields())  # loads the script
    with counting_round_trips() as trips:
        created = store.create(fields())
    assert created.replicated and trips.count == 1  # WAIT rides in the same round trip
    replica = replica_of(redis_sentinel)
    replica.freeze()
    try:
        started = time.monotonic()
        late = store.create(fields())
        waited = time.monotonic() - started
    finally:
        replica.thaw()
    assert not late.replicated and 0.25 < waited < 1.5
    assert store.get("s1", late.comment_id).status == "queued"  # kept all the same


def test_readyz_and_the_doctor_name_the_primary_sentinel_chose(client, app, redis_sentinel):
    ready = client.get("/readyz").json
    primary = redis_sentinel.primary_port()
    assert ready["topology"] == "sentinel" and ready["checks"]["redis"] == "ok"
    assert ready["details"]["redis"] == f"sentinel '{MASTER_NAME}': primary 127.0.0.1:{primary}, 1 replicas"
    assert ready["details"]["broker"] == "the same Redis as the store"
    output = app.test_cli_runner().invoke(args=["doctor"]).output
    persistence = next(line for line in output.splitlines() if "persistence" in line)
    assert persistence.startswith("OK"), output
    redis_line = next(line for line in output.splitlines() if line.split()[1:2] == ["redis"])
    assert f"primary 127.0.0.1:{primary}" in redis_line


@pytest.mark.parametrize("settings_overrides", [{"wait_replicas": 1, "wait_timeout_ms": 300}])
def test_a_comment_not_yet_replicated_is_a_503_until_a_replica_has_it(client, site_key, redis_sentinel):
    replica = replica_of(redis_sentinel)
    replica.freeze()
    try:
        refused = post_comment(client, site_key, **{"Idempotency-Key": "slow-replica-1"})
        # Retried while the replica still lags: still no 202 (the stored response is not replayed
        # before a replica has it).
        again = post_comment(client, site_key, **{"Idempotency-Key": "slow-replica-1"})
    finally:
        replica.thaw()
    for response in (refused, again):
        assert response.status_code == 503 and response.headers["Retry-After"] == "1"
        assert response.json["type"].endswith("not-replicated")
    retry = wait_until(lambda: (reply := post_comment(client, site_key, **{"Idempotency-Key": "slow-replica-1"}))
                       .status_code == 202 and reply, 10, interval=0.2)
    assert retry.headers["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize("settings_overrides", [
    {"wait_replicas": 0, "sweep_interval": 2, "stuck_after": 10, "rate_limit": "1000000/minute"},
    {"wait_replicas": 1, "wait_timeout_ms": 500, "redis_socket_timeout": 2.0, "sweep_interval": 2,
     "stuck_after": 10, "rate_limit": "1000000/minute"},
], ids=["no-wait", "wait-1-replica"])
def test_a_primary_killed_mid_load_loses_no_acknowledged_comment_with_wait(
        settings_overrides, redis_sentinel, site_store, store_redis, start_api_server, start_worker, start_beat):
    site, api_key = site_store.create("News", [])
    server = start_api_server()
    start_worker()
    start_beat()
    posters = [RetryingPoster(server, [(site.id, api_key)], number, pause=0.005) for number in range(POSTERS)]
    run_posters(posters)
    try:
        time.sleep(3)
        old_port = redis_sentinel.primary_port()
        # The replica falls behind when the primary dies: its link drops (CLIENT KILL on the
        # primary while the replica is stopped, short of the sentinels' 1 s down-after), and the
        # primary goes on acknowledging for LAG_SECONDS before its crash.
        lagging = replica_of(redis_sentinel)
        lagging.freeze()
        redis_sentinel.primary().client().client_kill_filter(_type="replica")
        time.sleep(LAG_SECONDS)
        killed = redis_sentinel.kill_primary()
        lagging.thaw()
        switch_started = time.monotonic()
        redis_sentinel.wait_failover(old_port)
        switch_seconds = time.monotonic() - switch_started
        time.sleep(1)
        redis_sentinel.restart(killed)  # back as a replica of the new primary (WAIT needs one)
        time.sleep(3)
    finally:
        statuses, acknowledged_by_key = stop_posters(posters)
    acknowledged = {key: comment_id for key, (_site, comment_id) in acknowledged_by_key.items()}
    # Never a 500 or a dropped connection: 503 while the store switches, and 409 for a retry whose
    # first try's Idempotency-Key claim was left on the store (it lapses within seconds); both
    # with Retry-After.
    assert set(statuses) <= {202, 409, 503}, statuses

    def state(comment_id: str) -> str | None:
        return store_redis.hget(keys.comment_key(site.id, comment_id), "status")

    def unsettled() -> list[str]:
        return [cid for cid in acknowledged.values() if state(cid) is not None and state(cid) not in FINAL_STATES]

    wait_until(lambda: not unsettled(), 120, interval=1, message="every surviving acknowledged comment final")
    lost = [cid for cid in acknowledged.values() if state(cid) is None]
    stored = list(store_redis.scan_iter(keys.comment_key(site.id, "*"), count=1000))
    by_key = Counter(store_redis.hget(key, "idempotency_key") for key in stored)
    print(f"\nfailover (wait_replicas={settings_overrides['wait_replicas']}): {len(acknowledged)} acknowledged, "
          f"{len(lost)} lost; new primary named after {switch_seconds:.1f}s; client statuses {dict(statuses)}")
    assert len(acknowledged) > 50 and statuses[503] > 0  # the switch was seen, and load went on
    assert all(count == 1 for count in by_key.values())  # no key stored twice
    if settings_overrides["wait_replicas"]:
        assert lost == []
    else:  # comments acknowledged while the replica lagged died with the primary: the test sees it
        assert lost
