"""The store on a real Redis Cluster (three primaries, a replica each): sharded by site, one
slot per site, reported by readyz and the doctor, and a killed primary replaced by its replica. (The end-to-end flow, idempotency, batches and the sweeper run on the cluster
too: test_api_flow.py, test_batches.py, test_faults.py.)"""
from __future__ import annotations

from collections import defaultdict

import pytest

from moderation.store import CommentStore, connect_store, keys
from tests.service.helpers import auth, comment_payload, post_comment
from tests.support.polling import wait_until
from tests.support.round_trips import counting_round_trips

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120),
              pytest.mark.parametrize("store_settings", ["cluster"], indirect=True)]

SITES = 12


def test_sites_spread_over_the_primaries_and_each_keeps_to_one_slot(client, site_store, redis_cluster, worker):
    created = [site_store.create(f"News {n}", []) for n in range(SITES)]
    posted = {}
    for site, api_key in created:
        first = post_comment(client, api_key, comment_payload(body="First <em>take</em>"), **{"Idempotency-Key": "k1"})
        reply = post_comment(client, api_key, comment_payload(body="A reply", parent=first.json["id"]))
        held = post_comment(client, api_key, comment_payload(body="<script>x()</script>"))
        assert {first.status_code, reply.status_code, held.status_code} == {202}
        posted[site.id] = (api_key, [first.json["id"], reply.json["id"], held.json["id"]])

    def decided(api_key, comment_id):
        return client.get(f"/api/v1/comments/{comment_id}", headers=auth(api_key)).json["status"] in (
            "approved", "pending")

    wait_until(lambda: all(decided(key, cid) for key, ids in posted.values() for cid in ids), 60, interval=0.2,
               message="every comment of every site decided")

    # Where the keys are: every key of one site in one slot, the sites over several primaries.
    slots_by_site, owners = defaultdict(set), defaultdict(set)
    for node in redis_cluster.primary_nodes():
        plain = node.client()
        for key in plain.scan_iter("mod:{*", count=1000):
            site_id = key[len(keys.PREFIX) + 1:key.index("}")]
            slots_by_site[site_id].add(plain.execute_command("CLUSTER", "KEYSLOT", key))
            owners[site_id].add(node.port)
    assert set(slots_by_site) == set(posted)
    assert all(len(slots) == 1 and len(owners[site]) == 1 for site, slots in slots_by_site.items())
    assert len({port for ports in owners.values() for port in ports}) >= 2  # 12 sites never all on one of 3

    # Each site reads back its own: its thread, its pending queue, its audit trail.
    for site_id, (api_key, (first, reply, held)) in posted.items():
        listing = client.get(f"/api/v1/threads/article-123/comments?site={site_id}").json
        assert [c["id"] for c in listing["comments"]] == [first, reply]
        assert site_store.get(site_id) is not None
        replay = post_comment(client, api_key, comment_payload(body="First <em>take</em>"), **{"Idempotency-Key": "k1"})
        assert replay.headers.get("Idempotent-Replayed") == "true" and replay.json["id"] == first


def test_readyz_and_the_doctor_describe_the_cluster(client, app, worker):
    ready = wait_until(lambda: (answer := client.get("/readyz")).json["status"] == "ready" and answer, 30)
    assert ready.json["topology"] == "cluster"
    assert ready.json["details"]["redis"] == "cluster: 3 primaries, 3 replicas, 16384 of 16384 slots served, state ok"
    result = app.test_cli_runner().invoke(args=["doctor"])
    assert "cluster: 3 primaries" in result.output
    persistence = next(line for line in result.output.splitlines() if "persistence" in line)
    assert persistence.startswith("OK") and "each of 3 primaries" in persistence


def test_a_killed_primary_is_replaced_by_its_replica_while_clients_retry(client, site_store, redis_cluster):
    sites = [site_store.create(f"News {n}", []) for n in range(SITES)]
    lost = redis_cluster.primary_nodes()[0]
    on_lost = [key for site, key in sites if redis_cluster.slot_owner(keys.site_key(site.id)) is lost]
    assert on_lost
    accepted_before = post_comment(client, on_lost[0])
    assert accepted_before.status_code == 202
    lost.kill9()
    try:
        # Until the cluster promotes the replica (cluster-node-timeout, 3 s here), the shard's
        # slots are unserved: readyz and the site's POSTs answer 503 with Retry-After, never 500.
        answer = wait_until(lambda: (reply := client.get("/readyz")).status_code == 503 and reply, 30, interval=0.1)
        assert answer.json["checks"]["redis"] == "fail" and answer.headers["Retry-After"]
        statuses = set()

        def posted_again():
            reply = post_comment(client, on_lost[0], **{"Idempotency-Key": "during-failover"})
            statuses.add(reply.status_code)
            assert reply.status_code in (202, 503) and (reply.status_code == 202 or reply.headers["Retry-After"])
            return reply.status_code == 202 and reply

        accepted = wait_until(posted_again, 60, interval=0.2, message="the replica promoted, the site served again")
        assert accepted.json["status"] == "queued" and statuses <= {202, 503}
        assert wait_until(lambda: client.get("/readyz").status_code == 200, 30, interval=0.2)
        # The comment acknowledged before the crash is still there (the replica had it).
        status = client.get(f"/api/v1/comments/{accepted_before.json['id']}", headers=auth(on_lost[0]))
        assert status.status_code == 200
    finally:
        lost.start()  # it rejoins as a replica of the promoted node
        wait_until(lambda: redis_cluster.is_healthy() and redis_cluster.replicas_in_sync(), 60, interval=0.2,
                   message="the cluster whole again")


def test_wait_replicas_counts_the_replica_of_the_comments_shard(store_settings, redis_cluster):
    store = CommentStore(connect_store("cluster", redis_cluster.url, 2.0), wait_replicas=1, wait_timeout_ms=300)
    fields = {"site_id": "s1", "thread": "t1", "body": "hello", "format": "plain_text"}
    store.create(fields)  # loads the script on the shard
    with counting_round_trips() as trips:
        created = store.create(fields)
    assert created.replicated and trips.count == 1  # the script and WAIT, on the shard's primary
    assert store.replicated_so_far("s1")
    primary = redis_cluster.slot_owner(keys.comment_key("s1", created.comment_id))
    replica = next(node for node in redis_cluster.nodes
                   if node.client().info("replication").get("master_port") == primary.port)
    replica.freeze()
    try:
        late = store.create(fields)
    finally:
        replica.thaw()
    assert not late.replicated and store.get("s1", late.comment_id).status == "queued"
