"""The Redis store against a real redis-server: transitions, memberships, audit, sites."""
import hashlib

import pytest

from moderation.store import FloodControl, IdempotencyStore, RateLimit
from moderation.store import keys
from moderation.store.comments import APPROVED, FAILED, PENDING, PROCESSING, QUEUED, InvalidCursor
from moderation.store.idempotency import StoredResponse
from tests.support.round_trips import counting_round_trips


def new_comment(store, site_id="s1", thread="t1", body="hello", **extra):
    created = store.create({"site_id": site_id, "thread": thread, "body": body, "format": "filtered_html",
                            "author_name": "Ada", **extra})
    assert created.outcome == "created"
    return store.get(site_id, created.comment_id)


def test_create_persists_queued_with_one_audit_event(comment_store, redis_client):
    comment = new_comment(comment_store)
    assert comment.status == QUEUED and comment.attempts == 0 and comment.body == "hello"
    events = comment_store.audit_events("s1", comment.id)
    assert [(event["from"], event["to"]) for event in events] == [("", "queued")]
    assert redis_client.zscore(keys.in_flight_key("s1", QUEUED), comment.id) is not None


def test_intake_and_a_workers_attempt_cost_one_round_trip_each(comment_store, site_store):
    site, api_key = site_store.create("News", [])
    fields = {"site_id": site.id, "thread": "t1", "body": "b", "format": "plain_text"}
    rate = FloodControl(RateLimit(10, 60), RateLimit(100, 60))
    warm = comment_store.create(fields, rate=rate.windows(site.id, "1.2.3.4", "a@b.example")).comment_id  # the script
    comment_store.transition(comment_store.begin_attempt(site.id, warm, 3).comment,
                             allowed_from={PROCESSING}, to=APPROVED, actor="test", decision_reasons=[])
    site_store.cache_seconds = 60
    site_store.authenticate(api_key)
    with counting_round_trips() as trips:
        assert site_store.authenticate(api_key) == site
    assert trips.count == 1  # the key index; the site's record comes from the cache
    with counting_round_trips() as trips:
        created = comment_store.create(fields, rate=rate.windows(site.id, "1.2.3.4", "a@b.example"))
    assert trips.count == 1 and created.outcome == "created"
    with counting_round_trips() as trips:
        start = comment_store.begin_attempt(site.id, created.comment_id, 3)
        comment_store.transition(start.comment, allowed_from={PROCESSING}, to=APPROVED, actor="test",
                                 decision_reasons=["no_active_content"])
    assert trips.count == 2


def test_sequence_numbers_follow_posting_order(comment_store):
    first, second = new_comment(comment_store), new_comment(comment_store)
    assert second.seq == first.seq + 1


def test_begin_attempt_moves_queued_to_processing_once(comment_store, redis_client):
    comment = new_comment(comment_store)
    first = comment_store.begin_attempt("s1", comment.id, max_attempts=3)
    again = comment_store.begin_attempt("s1", comment.id, max_attempts=3)
    assert (first.outcome, first.attempts) == ("started", 1)
    assert (again.outcome, again.attempts) == ("resumed", 2)
    assert first.comment.body == "hello" and first.comment.site_id == "s1"  # handed back: no second read
    assert redis_client.zscore(keys.in_flight_key("s1", QUEUED), comment.id) is None
    assert redis_client.zscore(keys.in_flight_key("s1", PROCESSING), comment.id) is not None
    assert comment_store.get("s1", comment.id).status == PROCESSING
    assert [event["to"] for event in comment_store.audit_events("s1", comment.id)] == ["queued", "processing"]


def test_attempt_cap_fails_and_dead_letters_once(comment_store, redis_client):
    comment = new_comment(comment_store)
    outcomes = [comment_store.begin_attempt("s1", comment.id, max_attempts=2).outcome for _ in range(4)]
    assert outcomes == ["started", "resumed", "failed", "final"]
    assert comment_store.get("s1", comment.id).status == FAILED
    assert comment_store.dead_letter_ids("s1") == [comment.id]
    assert redis_client.zscore(keys.in_flight_key("s1", PROCESSING), comment.id) is None
    assert redis_client.hget(keys.decision_stats_key("s1"), "failed|attempt_cap") == "1"
    assert [event["to"] for event in comment_store.audit_events("s1", comment.id)] == ["queued", "processing", "failed"]


def test_transition_is_compare_and_set_with_one_event_and_one_membership(comment_store, redis_client):
    comment = new_comment(comment_store)
    comment_store.begin_attempt("s1", comment.id, max_attempts=3)
    results = [comment_store.transition(comment_store.get("s1", comment.id), allowed_from={PROCESSING}, to=APPROVED, actor="test",
                                        extra={"html": "<p>hello</p>"}) for _ in range(3)]
    assert results == [True, False, False]
    assert comment_store.get("s1", comment.id).html == "<p>hello</p>"
    assert redis_client.zrange(keys.thread_approved_key("s1", "t1"), 0, -1) == [comment.id]
    assert [event["to"] for event in comment_store.audit_events("s1", comment.id)] == ["queued", "processing", "approved"]
    assert redis_client.zscore(keys.in_flight_key("s1", PROCESSING), comment.id) is None


def test_pending_queue_is_oldest_first_and_left_on_approval(comment_store):
    ids = []
    for _ in range(3):
        comment = new_comment(comment_store)
        comment_store.begin_attempt("s1", comment.id, max_attempts=3)
        ids.append(comment.id)
    for comment_id in reversed(ids):  # decided newest first; the queue still lists oldest first
        comment_store.transition(comment_store.get("s1", comment_id), allowed_from={PROCESSING}, to=PENDING, actor="test")
    assert comment_store.pending_ids("s1") == ids
    comment_store.transition(comment_store.get("s1", ids[0]), allowed_from={PENDING}, to=APPROVED, actor="moderator")
    assert comment_store.pending_ids("s1") == ids[1:]


def test_thread_pages_follow_posting_order_with_a_cursor(comment_store):
    ids = []
    for number in range(5):
        comment = new_comment(comment_store, body=f"c{number}")
        comment_store.begin_attempt("s1", comment.id, max_attempts=3)
        ids.append(comment.id)
    for comment_id in [ids[3], ids[0], ids[4], ids[1], ids[2]]:  # approval order differs from posting order
        comment_store.transition(comment_store.get("s1", comment_id), allowed_from={PROCESSING}, to=APPROVED, actor="test")
    first = comment_store.thread_page("s1", "t1", limit=2)
    assert [c.id for c in first.comments] == ids[:2] and first.next_cursor == ids[1]  # opaque: an id
    second = comment_store.thread_page("s1", "t1", after=first.next_cursor, limit=2)
    third = comment_store.thread_page("s1", "t1", after=second.next_cursor, limit=2)
    assert [c.id for c in second.comments] == ids[2:4]
    assert [c.id for c in third.comments] == ids[4:] and third.next_cursor is None
    assert comment_store.thread_page("other-site", "t1").comments == []
    with pytest.raises(InvalidCursor):  # a cursor of another thread
        comment_store.thread_page("s1", "other-thread", after=ids[0])


def test_claim_stuck_returns_old_in_flight_ids_and_restarts_their_clock(comment_store, site_store):
    site_store.create("S1", [], site_id="s1")  # the sweeper walks the sites index
    site_store.create("S2", [], site_id="s2")
    old = new_comment(comment_store)
    fresh = new_comment(comment_store)
    later = old.created_at + 100
    comment_store.redis.zadd(keys.in_flight_key("s1", QUEUED), {fresh.id: later - 1})
    processing = new_comment(comment_store)
    comment_store.begin_attempt("s1", processing.id, max_attempts=3, now=old.created_at)
    elsewhere = new_comment(comment_store, site_id="s2")  # every site is walked
    assert sorted(comment_store.claim_stuck(50, now=later)) == sorted(
        [("s1", old.id), ("s1", processing.id), ("s2", elsewhere.id)])
    assert comment_store.claim_stuck(50, now=later + 1) == []  # clock restarted


def test_sites_authenticate_by_hashed_key_only(site_store, redis_client):
    site, api_key = site_store.create("News", ["https://News.Example:443/", "http://localhost:8000"])
    assert site.origins == ("https://news.example", "http://localhost:8000")
    assert site_store.authenticate(api_key) == site
    assert site_store.authenticate(api_key + "x") is None
    stored = {**redis_client.hgetall(keys.site_key(site.id)), **redis_client.hgetall(keys.site_keys_key(site.id))}
    assert api_key not in str(stored) and hashlib.sha256(api_key.encode()).hexdigest() in str(stored)
    new_key = site_store.replace_api_key(site.id)
    assert site_store.authenticate(api_key) is None and site_store.authenticate(new_key) == site
    assert site.allows_origin("https://news.example") and not site.allows_origin("https://evil.example")


def test_site_origins_must_be_http_urls(site_store):
    with pytest.raises(ValueError):
        site_store.create("Bad", ["javascript:alert(1)"])


def test_idempotency_claim_replay_mismatch_and_release(redis_client):
    store = IdempotencyStore(redis_client, ttl_seconds=60)
    assert store.claim("s1", "key-1", "fp").outcome == "claimed"
    assert store.claim("s1", "key-1", "fp").outcome == "in_progress"
    store.store("s1", "key-1", "fp", StoredResponse(202, {"id": "abc"}, {"Location": "/x"}))
    replay = store.claim("s1", "key-1", "fp")
    assert replay.outcome == "replay" and replay.response.body == {"id": "abc"}
    assert store.claim("s1", "key-1", "other").outcome == "mismatch"
    assert store.claim("s2", "key-1", "other").outcome == "claimed"  # keys are per site
    store.release("s2", "key-1", "other")
    assert store.claim("s2", "key-1", "fp").outcome == "claimed"
    store.release("s1", "key-1", "fp")  # a stored response is never released
    assert store.claim("s1", "key-1", "fp").outcome == "replay"


def test_flood_control_is_a_sliding_window_per_scope_counted_only_when_accepted(comment_store):
    limit = RateLimit(limit=2, window_seconds=60)
    now = 1_000_000.0  # 40 s into a 60 s window (999_960 .. 1_000_020)

    def create(ip, at):
        return comment_store.create({"site_id": "s1", "thread": "t1", "body": "b", "format": "plain_text"},
                                    rate=[limit.window("s1", "ip", ip, at)])

    assert [create("1.2.3.4", now).outcome for _ in range(3)] == ["created", "created", "limited"]
    assert create("5.6.7.8", now).outcome == "created"
    assert limit.window("s1", "ip", "1.2.3.4", now).retry_after_seconds == 20
    # 30 s into the next window half of the previous one still counts: 2 x 0.5 + 0 -> one more fits.
    assert create("1.2.3.4", now + 50).outcome == "created"
    assert create("1.2.3.4", now + 50).outcome == "limited"
    assert create("1.2.3.4", now + 140).outcome == "created"  # two windows later: all clear


def test_flood_control_checks_every_scope_and_names_the_one_that_refused(comment_store):
    control = FloodControl(commenter=RateLimit(2, 60), site=RateLimit(3, 60))
    fields = {"site_id": "s1", "thread": "t1", "body": "b", "format": "plain_text"}

    def create(ip, email):
        return comment_store.create(fields, rate=control.windows("s1", ip, email, now=1_000_000.0))

    assert create("10.0.0.1", "ada@example.org").outcome == "created"
    assert create("10.0.0.2", "ADA+news@example.org").outcome == "created"  # same commenter, another IP
    refused = create("10.0.0.3", "ada@example.org")
    assert (refused.outcome, refused.limited_by) == ("limited", "email")
    assert create("", "bob@example.org").outcome == "created"  # no IP reported: no per-IP limit
    ceiling = create("10.0.0.9", "cy@example.org")
    assert (ceiling.outcome, ceiling.limited_by) == ("limited", "site")


def test_create_checks_the_parent_is_in_the_same_site_and_thread(comment_store):
    parent = new_comment(comment_store)
    fields = {"site_id": "s1", "thread": "t1", "body": "reply", "format": "plain_text", "parent": parent.id}
    assert comment_store.create(fields).outcome == "created"
    assert comment_store.create({**fields, "thread": "t2"}).outcome == "no_parent"
    assert comment_store.create({**fields, "site_id": "s2"}).outcome == "no_parent"
    assert comment_store.create({**fields, "parent": "0" * 32}).outcome == "no_parent"


def test_audit_stream_is_capped_but_each_comment_keeps_its_history(redis_client):
    from moderation.store.comments import CommentStore
    store = CommentStore(redis_client, audit_stream_max=10)
    first = new_comment(store)
    for _ in range(300):
        new_comment(store)
    assert redis_client.xlen(keys.audit_stream_key("s1")) < 150  # trimmed (approximately, by whole nodes)
    assert [event["to"] for event in store.audit_events("s1", first.id)] == ["queued"]


@pytest.mark.parametrize("body", ["😀 é ش \u2028 \\u0041 \"quoted\" {json} [1]", "x" * 20000, "null", "0", "\t\n"])
def test_any_text_round_trips_through_the_creating_script(comment_store, body):
    comment = new_comment(comment_store, body=body, author_name="Zoë 😀")
    assert comment.body == body and comment.author_name == "Zoë 😀"
