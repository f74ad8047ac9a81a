"""Idempotency-Key intake when Redis fails in the middle of a POST (found by the nemesis test).

A client that got a 503 retries with the same key; it must eventually get a
202, and exactly one comment may exist for that key, whatever point of the
request Redis failed at.
"""
import hashlib
import json
import threading
import time

import pytest

from moderation.store import IdempotencyStore, keys
from moderation.store.comments import IdempotencyConflict, new_comment_id
from moderation.store.idempotency import IN_PROGRESS_LEASE_SECONDS, StoredResponse
from tests.service.helpers import auth, comment_payload


def post_with_key(client, site_key, key, payload):
    return client.post("/api/v1/comments", json=payload, headers=auth(site_key, **{"Idempotency-Key": key}))


def retry_until_accepted(client, site_key, key, payload, timeout):
    """Retry like a CMS honouring 503/409 + Retry-After; the statuses seen and the final response."""
    seen, deadline = [], time.monotonic() + timeout
    while True:
        response = post_with_key(client, site_key, key, payload)
        seen.append(response.status_code)
        if response.status_code not in (409, 503) or time.monotonic() > deadline:
            return seen, response
        time.sleep(min(1.0, float(response.headers.get("Retry-After", "1"))))


def comments_with_key(redis_client, site_id, key):
    found = []
    for comment_key in redis_client.scan_iter(keys.comment_key(site_id, "*"), _type="hash"):
        if redis_client.hget(comment_key, "idempotency_key") == key:
            found.append(redis_client.hget(comment_key, "id"))
    return found


def test_guarded_create_writes_comment_and_response_together_under_the_claim(comment_store, redis_client):
    idempotency = IdempotencyStore(redis_client, ttl_seconds=60)
    fields = {"site_id": "s1", "thread": "t1", "body": "hi", "format": "plain_text", "idempotency_key": "k"}
    claim = idempotency.claim("s1", "k", "fp")
    comment_id = new_comment_id()
    guard = idempotency.guard("s1", "k", claim.token, "fp", StoredResponse(202, {"id": comment_id}, {}))
    assert comment_store.create(fields, comment_id=comment_id, guard=guard).outcome == "created"
    assert comment_store.create(fields, comment_id=comment_id, guard=guard).outcome == "exists"  # a re-run: no-op
    assert idempotency.claim("s1", "k", "fp").response.body == {"id": comment_id}  # replayed from now on
    assert [event["comment"] for event in comment_store.audit_events("s1")] == [comment_id]

    first = idempotency.claim("s1", "other", "fp")
    redis_client.delete(keys.idempotency_key("s1", "other"))  # the first claim lapsed ...
    second = idempotency.claim("s1", "other", "fp")  # ... and a retry claimed the key
    late = new_comment_id()
    with pytest.raises(IdempotencyConflict):
        comment_store.create(fields, comment_id=late, guard=idempotency.guard(
            "s1", "other", first.token, "fp", StoredResponse(202, {"id": late}, {})))
    assert comment_store.get("s1", late) is None and second.outcome == "claimed"


@pytest.mark.timeout(60)
def test_a_claim_whose_request_never_finished_blocks_the_key_only_briefly(client, site, site_key, redis_client):
    # What a SIGSTOPped Redis leaves behind: it ran a request's claim after that request had given
    # up (503), so no release ever follows. Retries get 409 for a short lease, then a 202.
    raw = json.dumps(comment_payload(body="claimed, then abandoned")).encode()
    fingerprint = hashlib.sha256(b"application/json\n" + raw).hexdigest()
    assert IdempotencyStore(redis_client, ttl_seconds=86400).claim(site.id, "stuck-1", fingerprint).outcome == "claimed"
    started = time.monotonic()
    seen = []
    while time.monotonic() - started < IN_PROGRESS_LEASE_SECONDS + 10:
        response = client.post("/api/v1/comments", data=raw, content_type="application/json",
                               headers=auth(site_key, **{"Idempotency-Key": "stuck-1"}))
        seen.append(response.status_code)
        if response.status_code != 409:
            break
        time.sleep(1)
    assert response.status_code == 202, seen
    assert seen[0] == 409  # the claim was honoured while it lasted
    assert comments_with_key(redis_client, site.id, "stuck-1") == [response.json["id"]]


@pytest.mark.fault
@pytest.mark.e2e
@pytest.mark.timeout(60)
def test_a_claim_stalled_by_a_write_pause_does_not_block_the_key(client, site, site_key, redis_server, redis_client):
    # CLIENT PAUSE WRITE: the API reads (authentication) but its claim of the key times out (503);
    # Redis still runs that claim when the pause ends. The retry must not be refused for the key's TTL.
    payload = comment_payload(body="paused while claiming")
    redis_server.pause_clients(3000, mode="WRITE")
    assert post_with_key(client, site_key, "pause-1", payload).status_code == 503
    time.sleep(3.5)
    seen, response = retry_until_accepted(client, site_key, "pause-1", payload, timeout=40)
    assert response.status_code == 202, seen
    assert comments_with_key(redis_client, site.id, "pause-1") == [response.json["id"]]


@pytest.mark.fault
@pytest.mark.e2e
@pytest.mark.timeout(90)
def test_redis_crash_right_after_the_comment_is_stored(client, site, site_key, redis_server, redis_client):
    # kill -9 Redis the moment the comment's "queued" audit event exists, before the API can store
    # its response under the key: the retry must answer with that comment, not refuse or duplicate it.
    payload = comment_payload(body="crash after create")
    watcher = redis_server.client(redis_client.connection_pool.connection_kwargs["db"], socket_timeout=30)
    audit = keys.audit_stream_key(site.id)
    last_id = watcher.xinfo_stream(audit)["last-generated-id"] if watcher.exists(audit) else "0-0"

    def crash_when_created():
        if watcher.xread({audit: last_id}, count=1, block=20_000):
            redis_server.kill9()

    crasher = threading.Thread(target=crash_when_created)
    crasher.start()
    first = post_with_key(client, site_key, "crash-1", payload)
    crasher.join(timeout=30)
    redis_server.start()
    seen, response = retry_until_accepted(client, site_key, "crash-1", payload, timeout=40)
    assert response.status_code == 202, [first.status_code, *seen]
    assert comments_with_key(redis_client, site.id, "crash-1") == [response.json["id"]]
    if first.status_code == 202:
        assert response.json["id"] == first.json["id"]
