"""Workers take comments in batches: the site's ready list, drain messages, batch processing.

Store and processing on a real Redis; the end-to-end tests post through the real app
and run real Celery worker processes.
"""
from __future__ import annotations

import pytest

from moderation import processing
from moderation.app import create_app
from moderation.processing import process_batch, wake_sites_with_waiting_comments
from moderation.store import keys
from moderation.store.comments import QueuedTask
from tests.service.helpers import STORE_TOPOLOGIES, post_comment
from tests.support.polling import wait_until
from tests.support.round_trips import counting_round_trips
from workers.celery_app import QUEUE_NAME

WAKE = QueuedTask("test:broker-queue", "drain-message")
FINAL = {"approved", "pending", "rejected", "spam", "failed"}


def create(store, site_id="s1", body="hello", wake=WAKE):
    return store.create({"site_id": site_id, "thread": "t1", "body": body, "format": "filtered_html",
                         "author_name": "Ada"}, wake=wake)


def test_only_the_comment_that_finds_the_ready_list_empty_wakes_a_drain(comment_store, redis_client):
    results = [create(comment_store) for _ in range(3)]
    assert [result.wake for result in results] == [True, False, False]
    assert redis_client.lrange(WAKE.queue_key, 0, -1) == [WAKE.message]
    assert redis_client.lrange(keys.ready_queue_key("s1"), 0, -1) == [r.comment_id for r in reversed(results)]
    assert create(comment_store, site_id="s2").wake  # each site has its own list
    assert redis_client.llen(WAKE.queue_key) == 2


def test_a_refused_comment_neither_queues_nor_wakes(comment_store, redis_client):
    created = create(comment_store)
    reply = comment_store.create({"site_id": "s2", "thread": "t1", "body": "x", "format": "filtered_html",
                                  "parent": created.comment_id}, wake=WAKE)  # parent of another site
    assert reply.outcome == "no_parent" and not reply.wake
    assert redis_client.llen(keys.ready_queue_key("s2")) == 0 and redis_client.llen(WAKE.queue_key) == 1


def test_take_ready_pops_oldest_first_and_sends_the_next_drain_while_some_remain(comment_store, redis_client):
    ids = [create(comment_store, wake=None).comment_id for _ in range(5)]
    next_drain = QueuedTask(WAKE.queue_key, "next-drain")
    first = comment_store.take_ready("s1", 2, "task-1", 60, continuation=next_drain)
    assert (first.comment_ids, first.more) == (ids[:2], True)
    assert redis_client.lrange(WAKE.queue_key, 0, -1) == ["next-drain"]
    # The same task again (its message redelivered) gets its own batch back, and pops nothing.
    again = comment_store.take_ready("s1", 2, "task-1", 60, continuation=next_drain)
    assert again.comment_ids == ids[:2] and redis_client.llen(keys.ready_queue_key("s1")) == 3
    comment_store.forget_batch("s1", "task-1")
    last = comment_store.take_ready("s1", 10, "task-2", 60, continuation=next_drain)
    assert (last.comment_ids, last.more) == (ids[2:], False)
    assert redis_client.llen(WAKE.queue_key) == 1  # nothing left: no further drain
    assert 0 < redis_client.ttl(keys.drain_batch_key("s1", "task-2")) <= 60
    empty = comment_store.take_ready("s1", 10, "task-3", 60)
    assert (empty.comment_ids, empty.more) == ([], False)


def test_a_batch_is_decided_with_each_comment_on_its_own(comment_store, monkeypatch):
    bodies = ["first <em>fine</em>", "this one breaks the renderer", "<script>x()</script>held"]
    ids = [create(comment_store, body=body, wake=None).comment_id for body in bodies]
    done = create(comment_store, wake=None).comment_id
    process_batch(comment_store, "s1", [done])
    real_render = processing.render

    def render(body, fmt):
        if "breaks" in body:
            raise RuntimeError("renderer bug")
        return real_render(body, fmt)

    monkeypatch.setattr(processing, "render", render)
    results = process_batch(comment_store, "s1", [*ids, done, "0" * 32])
    assert [(r.outcome, r.status) for r in results] == [
        ("decided", "approved"), ("retry", "processing"), ("decided", "pending"),
        ("already_final", "approved"), ("missing", "")]
    assert isinstance(results[1].error, RuntimeError)
    assert [comment_store.get("s1", i).status for i in ids] == ["approved", "processing", "pending"]
    assert comment_store.get("s1", ids[0]).html == "<p>first <em>fine</em></p>\n"
    # The audit events carry the request that submitted each comment.
    assert all(event["request_id"] == "" for event in comment_store.history("s1", ids[0]))


def test_a_batch_costs_three_round_trips_and_survives_a_server_that_lost_its_scripts(comment_store, redis_client):
    ids = [create(comment_store, wake=None).comment_id for _ in range(10)]
    process_batch(comment_store, "s1", [create(comment_store, wake=None).comment_id])  # scripts loaded
    comment_store.take_ready("s9", 1, "warm-up", 60)
    with counting_round_trips() as trips:
        batch = comment_store.take_ready("s1", 5, "task-1", 60)
        process_batch(comment_store, "s1", batch.comment_ids)
    assert trips.count == 3 and len(batch.comment_ids) == 5
    redis_client.script_flush()  # what a restarted or newly promoted server looks like
    rest = comment_store.take_ready("s1", 10, "task-2", 60).comment_ids
    results = process_batch(comment_store, "s1", rest)
    assert [r.outcome for r in results] == ["decided"] * 5 + ["already_final"]  # the warm-up comment
    assert {comment_store.get("s1", i).status for i in ids} == {"approved"}


def test_the_sweeper_wakes_sites_whose_ready_list_is_not_empty(comment_store, site_store):
    waiting, _ = site_store.create("Waiting News", ["https://waiting.example"])
    idle, _ = site_store.create("Idle News", ["https://idle.example"])
    create(comment_store, site_id=waiting.id, wake=None)
    woken = []
    assert wake_sites_with_waiting_comments(comment_store, woken.append) == [waiting.id]
    assert woken == [waiting.id] and idle.id not in woken


# -- end to end: real app, real workers --------------------------------------------------
def wait_all_final(site_comments, comment_ids, timeout=60):
    wait_until(lambda: all(site_comments.get(i).status in FINAL for i in comment_ids), timeout,
               interval=0.1, message="every comment to reach a final state")


@pytest.mark.timeout(120)
@pytest.mark.parametrize("store_settings", STORE_TOPOLOGIES, indirect=True)
def test_a_burst_of_comments_travels_as_one_message_per_batch(client, site_key, site_comments, broker_redis,
                                                              start_worker):
    responses = [post_comment(client, site_key) for _ in range(40)]
    assert {response.status_code for response in responses} == {202}
    assert broker_redis.llen(QUEUE_NAME) == 1  # one drain message for the whole burst
    ids = [response.json["id"] for response in responses]
    start_worker(worker_batch=8)
    wait_all_final(site_comments, ids)
    assert {site_comments.get(i).status for i in ids} == {"approved"}
    # Each comment's events carry the X-Request-Id of the request that posted it.
    for response in responses[:5]:
        events = site_comments.history(response.json["id"])
        assert {event["request_id"] for event in events} == {response.headers["X-Request-Id"]}
    assert site_comments.store.redis.llen(keys.ready_queue_key(site_comments.site_id)) == 0


@pytest.mark.timeout(120)
def test_with_a_broker_elsewhere_the_api_publishes_the_drain(redis_url, effective_settings, site_key,
                                                              site_comments, redis_client, start_worker):
    # The same Redis under another name: the API cannot push from the store script, so it
    # publishes through Celery; the worker's continuation drains go the same way.
    broker_url = redis_url.replace("127.0.0.1", "localhost")
    config = {f"MODERATION_{name.upper()}": value for name, value in effective_settings.items()}
    config.update({"MODERATION_REDIS_URL": redis_url, "MODERATION_BROKER_URL": broker_url, "TESTING": True})
    client = create_app(config).test_client()
    ids = [post_comment(client, site_key).json["id"] for _ in range(12)]
    assert redis_client.llen(QUEUE_NAME) == 1
    start_worker(broker_url=broker_url, worker_batch=5)
    wait_all_final(site_comments, ids)
    assert {site_comments.get(i).status for i in ids} == {"approved"}
