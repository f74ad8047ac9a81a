"""Commenters' data requests (moderation/data_requests.py) against a real Redis: export, erasure
by anonymising or removing, audit, and erasure of comments a worker holds."""
from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import pytest

from moderation import data_requests
from moderation.policy.model import Policy, PolicyError
from moderation.processing import process_comment
from moderation.store import CommentStore, keys
from moderation.store.comments import APPROVED, FAILED, PENDING, PROCESSING, QUEUED
from tests.service.helpers import comment_payload, post_comment
from tests.support.polling import wait_until

RULES_OFF = str(Path(__file__).resolve().parents[1] / "data" / "policy-rules-off.toml")
ADA, BOB = "ada@example.org", "bob@example.net"
ACTOR = "dashboard:dpo"


@pytest.fixture
def store(store_redis) -> CommentStore:
    """The comment store deciding with every rule off but the commenters rule (lists, history)."""
    return CommentStore(store_redis, policy_file=RULES_OFF)


def post(store, site_id, email, body="A perfectly ordinary remark.", thread="t1", **extra) -> str:
    created = store.create({"site_id": site_id, "thread": thread, "body": body, "format": "plain_text",
                            "author_name": "Ada Lovelace" if "ada" in email.lower() else "Bob",
                            "author_email": email, "client_ip": "203.0.113.9", "client_user_agent": "Firefox/140",
                            "client_referrer": "https://news.example/a", "thread_url": "https://news.example/a",
                            **extra})
    assert created.outcome == "created"
    return created.comment_id


def decided(store, site_id, comment_id, to=APPROVED) -> None:
    """Through the worker's code (approved under these rules), or straight to ``to``."""
    if to == APPROVED:
        assert process_comment(store, site_id, comment_id).status == APPROVED
        return
    start = store.begin_attempt(site_id, comment_id, 5)
    assert store.transition(start.comment, allowed_from={PROCESSING}, to=to, actor="test", decision_reasons=[])


def stream_events(store, site_id, to):
    return [event for event in store.audit_events(site_id) if event["to"] == to]


def names_ada(value: str) -> bool:
    """Whether a stored value still names Ada: her address or her name, as a word (a hex id or
    digest may hold the letters "ada" by chance: 3fada9...)."""
    return re.search(r"\bada\b|lovelace", value, re.I) is not None


def everything_of(redis, site_id, comment_id) -> dict:
    return redis.hgetall(keys.comment_key(site_id, comment_id))


# -- export ------------------------------------------------------------------------------------

def test_export_holds_every_field_the_history_recent_decisions_and_list_entries(store, site, site_store):
    other_site, _key = site_store.create("Other News", [])
    store.policies.save(site.id, {"commenters": {"trusted": ["@example.org"], "banned": ["ADA+x@example.org"]}}, "test")
    first = post(store, site.id, "Ada+news@Example.org", body="First <b>raw</b> words")
    decided(store, site.id, first, PENDING)
    second = post(store, site.id, ADA, body="Second words", thread="t2")
    bob = post(store, site.id, BOB)
    elsewhere = post(store, other_site.id, ADA, body="On the other site")

    found = data_requests.export(store, [site.id, other_site.id], " ADA@example.org ", ACTOR)

    assert found["address"] == ADA and found["commenter"] == f"email:{ADA}"
    here = found["sites"][site.id]
    assert [comment["id"] for comment in here["comments"]] == [first, second]  # posting order, not Bob's
    one = here["comments"][0]
    assert one["body"] == "First <b>raw</b> words" and one["author_email"] == "Ada+news@Example.org"
    assert (one["author_name"], one["client_ip"], one["client_user_agent"], one["client_referrer"]) == (
        "Ada Lovelace", "203.0.113.9", "Firefox/140", "https://news.example/a")
    assert one["thread"] == "t1" and one["status"] == PENDING and one["created_at"] > 0
    assert [(entry["from"], entry["to"]) for entry in one["history"]] == [
        ("", QUEUED), (QUEUED, PROCESSING), (PROCESSING, PENDING)]
    assert here["comments"][1]["thread"] == "t2" and here["comments"][1]["status"] == QUEUED
    assert here["recent_decisions"] == []  # decided straight by the test, not recorded
    assert here["commenter_lists"] == {"banned": ["ADA+x@example.org"], "trusted": ["@example.org"]}
    assert here["erasure"] == "anonymise" and here["policy_version"] == "v1"
    assert [comment["id"] for comment in found["sites"][other_site.id]["comments"]] == [elsewhere]
    assert found["sites"][other_site.id]["commenter_lists"] == {"banned": [], "trusted": []}
    json.dumps(found)  # JSON-ready
    assert bob not in json.dumps(found)
    # Read-only but for one site-level audit entry per site, with the actor and no address.
    exported = stream_events(store, site.id, "exported")
    assert [(event["comment"], event["actor"]) for event in exported] == [("", ACTOR)]
    assert not names_ada(json.dumps(exported))
    assert len(stream_events(store, other_site.id, "exported")) == 1
    assert store.get(site.id, first).author_email == "Ada+news@Example.org"


def test_export_has_the_rendered_html_findings_and_recent_decisions_of_decided_comments(store, site):
    comment_id = post(store, site.id, ADA, body="Hello there")
    decided(store, site.id, comment_id)
    comment = data_requests.export(store, [site.id], ADA, ACTOR)["sites"][site.id]["comments"][0]
    assert comment["html"] and "Hello there" in comment["html"] and comment["body"] == "Hello there"
    assert "body_z" not in comment  # the packed body is given unpacked
    assert comment["decided_at"] and comment["history"][-1]["to"] == APPROVED
    assert isinstance(comment["reasons"], list) and comment["policy_version"]
    assert data_requests.export(store, [site.id], ADA, ACTOR)["sites"][site.id]["recent_decisions"] == [APPROVED]


# -- erasure: anonymise ------------------------------------------------------------------------

def test_anonymise_clears_personal_fields_and_keeps_the_comment_published(store, site, store_redis):
    store_redis.set(keys.idempotency_key(site.id, "key-1"), '{"state": "done"}')
    ada = post(store, site.id, "Ada+news@Example.org", body="My own words", idempotency_key="key-1")
    decided(store, site.id, ada)
    bob = post(store, site.id, BOB)
    decided(store, site.id, bob)
    before = store.get(site.id, ada)
    bob_before = everything_of(store_redis, site.id, bob)
    assert store_redis.exists(keys.commenter_history_key(site.id, f"email:{ADA}"))

    report = data_requests.erase(store, site.id, ADA, ACTOR)

    assert (report.mode, report.anonymised, report.removed, report.anonymised_count) == ("anonymise", (ada,), (), 1)
    after = store.get(site.id, ada)
    assert (after.author_name, after.author_email, after.client_ip, after.client_user_agent,
            after.client_referrer, after.idempotency_key) == ("[erased]", "", "", "", "", "")
    assert (after.body, after.html, after.status, after.thread, after.seq) == (
        before.body, before.html, APPROVED, "t1", before.seq)
    stored = everything_of(store_redis, site.id, ada)
    assert "erased_at" in stored and not any(names_ada(value) for value in stored.values())
    assert not store_redis.exists(keys.idempotency_key(site.id, "key-1"))
    # Still in the public listing, without name or address.
    listed = {comment.id: comment for comment in store.thread_page(site.id, "t1").comments}
    assert set(listed) == {ada, bob}
    assert listed[ada].author_name == "[erased]" and listed[ada].author_email == ""
    # The commenter's index and recent decisions are gone; Bob is untouched.
    assert not store_redis.exists(keys.commenter_comments_key(site.id, f"email:{ADA}"))
    assert not store_redis.exists(keys.commenter_history_key(site.id, f"email:{ADA}"))
    assert everything_of(store_redis, site.id, bob) == bob_before
    assert store_redis.exists(keys.commenter_history_key(site.id, f"email:{BOB}"))
    # Audited, with the actor and no personal data.
    erased = stream_events(store, site.id, "erased")
    assert [(event["comment"], event["from"], event["actor"], event["detail"]) for event in erased] == [
        (ada, APPROVED, ACTOR, "erased: anonymised")]
    last = store.history(site.id, ada)[-1]
    assert (last["from"], last["to"], last["actor"], last["detail"]) == (
        APPROVED, "erased", ACTOR, "erased: anonymised")


def test_anonymise_drops_the_list_entry_a_finding_named(store, site, store_redis):
    store.policies.save(site.id, {"commenters": {"banned": [ADA]}}, "test")
    ada = post(store, site.id, ADA)
    assert process_comment(store, site.id, ada).status == "rejected"
    assert ADA in store.get(site.id, ada).reasons[0]["detail"]
    data_requests.erase(store, site.id, ADA, ACTOR)
    reasons = store.get(site.id, ada).reasons
    assert [(finding["code"], finding["detail"]) for finding in reasons] == [
        ("banned_commenter", "the commenter is banned (list entry erased)")]
    assert not any(names_ada(value) for value in everything_of(store_redis, site.id, ada).values())
    # The policy keeps its list (a moderator lifts a ban), and the export says so.
    assert data_requests.export(store, [site.id], ADA, ACTOR)["sites"][site.id]["commenter_lists"]["banned"] == [ADA]


def test_a_comment_decided_between_the_read_and_the_erasure_is_read_again(store, site, store_redis, monkeypatch):
    """The script compares the comment's updated_at with the read: a decision in between (here
    a ban naming the address) makes it 'stale'; the erasure reads it again and scrubs that."""
    store.policies.save(site.id, {"commenters": {"banned": [ADA]}}, "test")
    ada = post(store, site.id, ADA)
    calls = []
    real_erase = data_requests.CommenterData.erase

    def erase_after_a_decision(self, site_id, commenter, targets, **options):
        if not calls:
            assert process_comment(store, site_id, ada).status == "rejected"  # the worker, just then
        calls.append([target.reasons for target in targets])
        return real_erase(self, site_id, commenter, targets, **options)
    monkeypatch.setattr(data_requests.CommenterData, "erase", erase_after_a_decision)

    report = data_requests.erase(store, site.id, ADA, ACTOR)
    assert report.anonymised == (ada,) and len(calls) == 2 and calls[0] == [""] and calls[1] != [""]
    assert not any(names_ada(value) for value in everything_of(store_redis, site.id, ada).values())
    assert len(stream_events(store, site.id, "erased")) == 1


# -- erasure: remove ---------------------------------------------------------------------------

def test_remove_takes_the_comments_out_of_every_listing_and_queue(store, site, store_redis):
    store.policies.save(site.id, {"privacy": {"erasure": "remove"}}, "test")
    published, held, failed, waiting = (post(store, site.id, ADA, body=f"comment {n}") for n in range(4))
    decided(store, site.id, published)
    decided(store, site.id, held, PENDING)
    for _ in range(3):
        store.begin_attempt(site.id, failed, max_attempts=2)
    bob = post(store, site.id, BOB)
    decided(store, site.id, bob, PENDING)
    assert store.get(site.id, failed).status == FAILED and store.get(site.id, waiting).status == QUEUED
    assert store.status_counts(site.id) == {PENDING: 2, "rejected": 0, "spam": 0, FAILED: 1}

    report = data_requests.erase(store, site.id, "ADA@example.org", ACTOR)

    assert report.mode == "remove" and report.removed_count == 4 and report.anonymised == ()
    assert set(report.removed) == {published, held, failed, waiting}
    for comment_id in report.removed:
        assert store.get(site.id, comment_id) is None
    assert store.thread_page(site.id, "t1").comments == []
    assert store.pending_ids(site.id) == [bob]
    assert store.status_counts(site.id) == {PENDING: 1, "rejected": 0, "spam": 0, FAILED: 0}
    assert store.dead_letter_ids(site.id) == []
    assert store_redis.lrange(keys.ready_queue_key(site.id), 0, -1) == [bob]  # none was taken by a worker
    assert store_redis.zscore(keys.in_flight_key(site.id, QUEUED), waiting) is None
    assert not store_redis.exists(keys.commenter_comments_key(site.id, f"email:{ADA}"))
    assert not store_redis.exists(keys.commenter_history_key(site.id, f"email:{ADA}"))
    assert store.get(site.id, bob).author_email == BOB
    erased = stream_events(store, site.id, "erased")
    assert sorted((event["comment"], event["from"], event["actor"], event["detail"]) for event in erased) == sorted([
        (published, APPROVED, ACTOR, "erased: removed"), (held, PENDING, ACTOR, "erased: removed"),
        (failed, FAILED, ACTOR, "erased: removed"), (waiting, QUEUED, ACTOR, "erased: removed")])
    assert not any(ADA in json.dumps(event) for event in store.audit_events(site.id))


def test_the_caller_may_choose_the_mode_and_a_wrong_one_or_address_is_refused(store, site):
    ada = post(store, site.id, ADA)
    with pytest.raises(ValueError):
        data_requests.erase(store, site.id, ADA, ACTOR, mode="shred")
    for wrong in ("", "ada", "@example.org", "ada@"):
        with pytest.raises(ValueError):
            data_requests.erase(store, site.id, wrong, ACTOR)
    assert store.get(site.id, ada).author_email == ADA  # nothing done
    assert data_requests.erase(store, site.id, ADA, ACTOR, mode="remove").removed == (ada,)


# -- erasure: idempotence, spellings -----------------------------------------------------------

@pytest.mark.parametrize("mode", ["anonymise", "remove"])
def test_erasing_twice_is_harmless(store, site, store_redis, mode):
    ada = post(store, site.id, ADA)
    decided(store, site.id, ada)
    bob = post(store, site.id, BOB)
    first = data_requests.erase(store, site.id, ADA, ACTOR, mode=mode)
    state = everything_of(store_redis, site.id, ada)
    events = len(store.audit_events(site.id))
    again = data_requests.erase(store, site.id, ADA, ACTOR, mode=mode)
    assert (first.anonymised_count + first.removed_count) == 1
    assert (again.anonymised, again.removed, again.requeued, again.already_erased) == ((), (), (), ())
    assert everything_of(store_redis, site.id, ada) == state
    assert len(store.audit_events(site.id)) == events
    assert store.get(site.id, bob).author_email == BOB


def test_tag_and_case_variants_of_the_address_are_one_commenter(store, site):
    variants = [post(store, site.id, email) for email in ("Ada@Example.org", "ada+news@example.org",
                                                          "ADA+Other+Tag@EXAMPLE.ORG")]
    other = post(store, site.id, "ada@example.net")  # another domain: another commenter
    exported = data_requests.export(store, [site.id], "ada+whatever@EXAMPLE.org", ACTOR)
    assert [comment["id"] for comment in exported["sites"][site.id]["comments"]] == variants
    report = data_requests.erase(store, site.id, "Ada+x@example.ORG", ACTOR)
    assert report.anonymised == tuple(variants)
    assert store.get(site.id, other).author_email == "ada@example.net"


def test_an_index_entry_whose_comment_is_gone_is_dropped(store, site, store_redis):
    ada = post(store, site.id, ADA)
    store_redis.delete(keys.comment_key(site.id, ada))
    report = data_requests.erase(store, site.id, ADA, ACTOR)
    assert (report.anonymised, report.removed) == ((), ())
    assert not store_redis.exists(keys.commenter_comments_key(site.id, f"email:{ADA}"))


# -- comments a worker holds -------------------------------------------------------------------

def _processing_in_a_thread(store, site_id, comment_id, pause):
    """The worker's code on the comment, paused after it read it (``processing``)."""
    outcome = {}

    def run():
        try:
            outcome["result"] = process_comment(store, site_id, comment_id, pause_seconds=pause)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            outcome["error"] = exc
    worker = threading.Thread(target=run)
    worker.start()
    wait_until(lambda: store.get(site_id, comment_id).status == PROCESSING, 5, message="processing")
    return worker, outcome


def test_removing_a_comment_a_worker_holds_leaves_nothing_behind(store, site, store_redis):
    ada = post(store, site.id, ADA)
    worker, outcome = _processing_in_a_thread(store, site.id, ada, pause=0.5)
    report = data_requests.erase(store, site.id, ADA, ACTOR, mode="remove")
    worker.join(10)
    assert report.removed == (ada,)
    assert "error" not in outcome and outcome["result"].outcome == "already_final"
    assert not store_redis.exists(keys.comment_key(site.id, ada))  # no half hash written back
    assert store_redis.zscore(keys.in_flight_key(site.id, PROCESSING), ada) is None
    assert not store_redis.exists(keys.commenter_history_key(site.id, f"email:{ADA}"))
    assert store.thread_page(site.id, "t1").comments == []


def test_anonymising_a_comment_a_worker_holds_has_it_decided_again_without_the_address(store, site, store_redis):
    store.policies.save(site.id, {"commenters": {"banned": [ADA]}}, "test")
    ada = post(store, site.id, ADA)
    worker, outcome = _processing_in_a_thread(store, site.id, ada, pause=0.5)
    woken = []
    report = data_requests.erase(store, site.id, ADA, ACTOR, wake=woken.append)
    worker.join(10)
    assert report.anonymised == (ada,) and report.requeued == (ada,) and woken == [site.id]
    # The decision made from the copy with the address (banned: rejected) was not stored.
    assert "error" not in outcome and outcome["result"].outcome == "already_final"
    comment = store.get(site.id, ada)
    assert comment.status == QUEUED and comment.reasons == [] and comment.author_email == ""
    assert ada in store_redis.lrange(keys.ready_queue_key(site.id), 0, -1)
    assert store_redis.zscore(keys.in_flight_key(site.id, QUEUED), ada) is not None
    assert not store_redis.exists(keys.commenter_history_key(site.id, f"email:{ADA}"))
    # Decided again from what is left: no commenter, so the ban does not apply.
    assert process_comment(store, site.id, ada).status == APPROVED
    assert store.get(site.id, ada).author_name == "[erased]"
    assert not store_redis.exists(keys.commenter_history_key(site.id, f"email:{ADA}"))
    assert [entry["to"] for entry in store.history(site.id, ada)] == [
        QUEUED, PROCESSING, "erased", PROCESSING, APPROVED]


def test_a_real_worker_survives_the_removal_of_the_comment_it_holds(client, site, site_key, comment_store,
                                                                   store_redis, start_worker):
    worker = start_worker(test_processing_delay=1.5)
    held = post_comment(client, site_key, comment_payload(author={"name": "Ada", "email": ADA})).get_json()["id"]
    wait_until(lambda: comment_store.get(site.id, held).status == PROCESSING, 15, message="the worker holds it")
    assert data_requests.erase(comment_store, site.id, ADA, ACTOR, mode="remove").removed == (held,)
    wait_until(lambda: not store_redis.zcard(keys.in_flight_key(site.id, PROCESSING)), 15, message="worker done")
    assert not store_redis.exists(keys.comment_key(site.id, held))
    later = post_comment(client, site_key, comment_payload(author={"name": "Bob", "email": BOB})).get_json()["id"]
    wait_until(lambda: comment_store.get(site.id, later).status == APPROVED, 15, message="the next comment decided")
    assert worker.is_running()
    assert not store_redis.exists(keys.comment_key(site.id, held))


# -- the policy setting ------------------------------------------------------------------------

@pytest.mark.parametrize("privacy, pointer", [
    ({"erasure": "delete"}, "/privacy/erasure"), ({"erasure": 1}, "/privacy/erasure"),
    ({"erased_name": ""}, "/privacy/erased_name"), ({"erased_name": "x" * 101}, "/privacy/erased_name"),
    ({"erased_name": "a\nb"}, "/privacy/erased_name"), ({"forget": True}, "/privacy/forget"),
])
def test_a_wrong_privacy_setting_is_refused(privacy, pointer):
    with pytest.raises(PolicyError) as refused:
        Policy.from_dict({"privacy": privacy})
    assert pointer in [error["pointer"] for error in refused.value.errors]


def test_the_erased_name_is_the_sites_own(store, site):
    store.policies.save(site.id, {"privacy": {"erased_name": "[supprimé]"}}, "test")
    ada = post(store, site.id, ADA)
    data_requests.erase(store, site.id, ADA, ACTOR)
    assert store.get(site.id, ada).author_name == "[supprimé]"
    assert Policy().privacy.erasure == "anonymise" and store.policies.defaults().privacy.erased_name == "[erased]"


@pytest.mark.parametrize("store_settings", ["cluster"], indirect=True)
def test_export_and_both_erasures_on_a_redis_cluster(store, site_store, store_redis):
    """Every script and pipeline of a data request stays in the site's slot."""
    site, _key = site_store.create("Clustered News", [])
    kept, gone = post(store, site.id, ADA), post(store, site.id, ADA, thread="t2")
    decided(store, site.id, kept)
    assert [c["id"] for c in data_requests.export(store, [site.id], ADA, ACTOR)["sites"][site.id]["comments"]] == [
        kept, gone]
    store_redis.zrem(keys.commenter_comments_key(site.id, f"email:{ADA}"), kept)  # erase them one way each
    assert data_requests.erase(store, site.id, ADA, ACTOR, mode="remove").removed == (gone,)
    store_redis.zadd(keys.commenter_comments_key(site.id, f"email:{ADA}"), {kept: 1})
    assert data_requests.erase(store, site.id, ADA, ACTOR, mode="anonymise").anonymised == (kept,)
    assert store.get(site.id, gone) is None and store.get(site.id, kept).author_name == "[erased]"
    assert [c.id for c in store.thread_page(site.id, "t1").comments] == [kept]
    assert len(stream_events(store, site.id, "erased")) == 2
