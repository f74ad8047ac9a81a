"""Readers' reports (issue #12): POST /api/v1/comments/{id}/reports through the real app and a real
Redis, the site's Reported queue and thresholds, moderators' decisions on reported comments, the
dashboard's Reported tab, and erasure."""
from __future__ import annotations

import pytest

from moderation import data_requests
from moderation.policy import PolicyError
from moderation.policy.model import Policy, default_policy
from moderation.moderator_actions import apply_action
from moderation.processing import process_comment
from moderation.store import keys
from tests.dashboard.conftest import PASSWORD, csrf_of, login
from tests.service.helpers import assert_problem, auth, comment_payload, post_comment

THREAD = "article-123"


@pytest.fixture
def store(app):
    """The app's own comment store (policy changes made through it are seen at once)."""
    return app.extensions["moderation"].comments


@pytest.fixture
def published(client, site, site_key, store):
    """published(**fields) -> the id of a comment posted through the API and approved by the real
    processing (the test settings' policy approves everything)."""
    def post(**fields) -> str:
        response = post_comment(client, site_key, comment_payload(**fields))
        assert response.status_code == 202, response.get_data(as_text=True)
        comment_id = response.get_json()["id"]
        process_comment(store, site.id, comment_id)
        assert store.get(site.id, comment_id).status == "approved"
        return comment_id
    return post


def report(http, key: str, comment_id: str, reason: str = "offensive", **fields):
    return http.post(f"/api/v1/comments/{comment_id}/reports", json={"reason": reason, **fields},
                     headers=auth(key))


def listed(client, site_id: str, thread: str = THREAD) -> list[str]:
    body = client.get(f"/api/v1/threads/{thread}/comments?site={site_id}").get_json()
    return [comment["id"] for comment in body["comments"]]


def reported_entries(store, site_id: str, comment_id: str) -> list[dict]:
    return [event for event in store.audit_events(site_id) if event["comment"] == comment_id
            and event["to"] == "reported"]


def queued_ids(store, site_id: str) -> list[str]:
    return store.redis.zrange(keys.reported_queue_key(site_id), 0, -1)


def moderator_client(app, site):
    app.extensions["moderation"].accounts.create("mia", PASSWORD, "moderator", [site.id])
    client = app.test_client()
    assert login(client, "mia").status_code == 302
    return client, csrf_of(client)


def test_reports_are_counted_once_per_reader(client, site, site_key, store, published):
    comment_id = published()

    first = report(client, site_key, comment_id, "offensive", reporter="cms-user-1", note="Not OK")
    assert first.status_code == 202
    assert first.get_json() == {"comment": comment_id, "reports": 1, "status": "counted"}
    again = report(client, site_key, comment_id, "spam", reporter="cms-user-1")
    assert again.status_code == 202
    assert again.get_json() == {"comment": comment_id, "reports": 1, "status": "duplicate"}
    second = report(client, site_key, comment_id, "off_topic", reporter="cms-user-2")
    assert second.get_json() == {"comment": comment_id, "reports": 2, "status": "counted"}

    comment = store.get(site.id, comment_id)
    assert comment.reports == 2 and comment.report_reasons == {"offensive": 1, "off_topic": 1}
    assert [(note["reason"], note["note"]) for note in comment.report_notes] == [("offensive", "Not OK")]
    # Below the threshold (3 by default): counted, not queued, nothing audited, still listed.
    assert comment.reported_at is None and queued_ids(store, site.id) == []
    assert reported_entries(store, site.id, comment_id) == []
    assert comment_id in listed(client, site.id)
    # Only digests of the readers are stored.
    readers = store.redis.smembers(keys.comment_reporters_key(site.id, comment_id))
    assert len(readers) == 2 and not any("cms-user" in reader for reader in readers)


def test_without_a_reporter_id_the_reader_is_their_ip(client, site, site_key, store, published):
    comment_id = published()
    assert report(client, site_key, comment_id, client={"ip": "198.51.100.1"}).get_json()["status"] == "counted"
    assert report(client, site_key, comment_id, client={"ip": "198.51.100.1"}).get_json()["status"] == "duplicate"
    assert report(client, site_key, comment_id, client={"ip": "198.51.100.2"}).get_json()["status"] == "counted"
    # Neither: the connection's address (the test client's), once.
    assert report(client, site_key, comment_id).get_json() == {"comment": comment_id, "reports": 3, "status": "counted"}
    assert report(client, site_key, comment_id).get_json()["status"] == "duplicate"
    # A reporter id is a reader of its own, even one that looks like an address already counted.
    assert report(client, site_key, comment_id, reporter="198.51.100.1").get_json()["status"] == "counted"


def test_readers_reach_the_queue_threshold_audited_and_in_the_dashboard_tab(app, client, site, site_key, store,
                                                                            published):
    comment_id = published(body="Everyone from that town is a criminal.")
    other_id = published(body="A calm remark.")
    for reader in ("r1", "r2"):
        report(client, site_key, comment_id, reporter=reader)
    assert queued_ids(store, site.id) == []
    assert report(client, site_key, comment_id, "other", reporter="r3").get_json()["reports"] == 3

    assert queued_ids(store, site.id) == [comment_id]
    comment = store.get(site.id, comment_id)
    assert comment.status == "approved" and comment.reported_at is not None and comment.hidden_at is None
    assert comment_id in listed(client, site.id)  # hide_at 0: it stays published while it waits
    entries = reported_entries(store, site.id, comment_id)
    assert len(entries) == 1 and entries[0]["from"] == "approved" and entries[0]["actor"].startswith("reader:")
    assert "r3" not in entries[0]["actor"]
    history = store.history(site.id, comment_id)
    assert history[-1]["to"] == "reported" and "3 reports (offensive 2, other 1)" in history[-1]["detail"]
    # A fourth reader is counted without a second entry.
    report(client, site_key, comment_id, reporter="r4")
    assert len(reported_entries(store, site.id, comment_id)) == 1

    moderator, _csrf = moderator_client(app, site)
    page = moderator.get(f"/admin/sites/{site.id}/queue/reported").get_data(as_text=True)
    assert f'id="c-{comment_id}"' in page and f'id="c-{other_id}"' not in page
    assert 'data-count="reported">1<' in page
    assert "Reported by <strong>4</strong> readers" in page and "offensive ×3" in page
    assert "Approve (dismiss reports)" in page
    overview = moderator.get("/admin/").get_data(as_text=True)
    assert f'/admin/sites/{site.id}/queue/reported">1</a>' in overview


def test_the_hide_threshold_takes_it_off_the_thread_and_approving_puts_it_back(app, client, site, site_key, store,
                                                                              published):
    store.policies.save(site.id, {"reports": {"queue_at": 2, "hide_at": 3}}, "test")
    comment_id = published()
    kept_id = published(body="Another comment.")
    report(client, site_key, comment_id, reporter="r1")
    report(client, site_key, comment_id, reporter="r2")
    assert queued_ids(store, site.id) == [comment_id] and comment_id in listed(client, site.id)
    report(client, site_key, comment_id, reporter="r3")

    assert listed(client, site.id) == [kept_id]
    thread = client.get(f"/api/v1/threads/{THREAD}/comments?site={site.id}").get_json()
    assert thread["count"] == 1
    comment = store.get(site.id, comment_id)
    assert comment.status == "approved" and comment.hidden_at is not None and queued_ids(store, site.id) == [comment_id]
    assert [entry["detail"].rpartition(": ")[2] for entry in store.history(site.id, comment_id)
            if entry["to"] == "reported"] == ["in the Reported queue", "hidden from its thread"]

    moderator, csrf = moderator_client(app, site)
    response = moderator.post(f"/admin/sites/{site.id}/comments/{comment_id}/action",
                              data={"action": "approve", "csrf_token": csrf})
    assert response.status_code == 302 and "outcome=changed" in response.headers["Location"]

    assert listed(client, site.id) == [comment_id, kept_id]  # back, in posting order
    assert queued_ids(store, site.id) == []
    comment = store.get(site.id, comment_id)
    assert comment.status == "approved" and comment.hidden_at is None and comment.reported_at is None
    assert comment.moderated_by == "user:mia" and comment.reports_reviewed == 3
    last = store.history(site.id, comment_id)[-1]
    assert (last["from"], last["to"], last["actor"], last["detail"]) == (
        "approved", "approved", "user:mia", "dismiss reports")
    assert store.audit_events(site.id)[-1]["actor"] == "user:mia"
    # Approving again is no change; nor can the dismissal be undone (the queue is not rebuilt).
    again = moderator.post(f"/api/v1/admin/sites/{site.id}/comments/{comment_id}/actions",
                           json={"action": "approve"}, headers={"X-CSRF-Token": csrf})
    assert again.status_code == 200 and again.get_json()["outcome"] == "unchanged"
    undo = moderator.post(f"/admin/sites/{site.id}/comments/{comment_id}/undo", data={"csrf_token": csrf},
                          headers={"Accept": "application/json"})
    assert undo.status_code == 409
    # Reviewed reports no longer count: a new reader's report does not queue it again...
    report(client, site_key, comment_id, reporter="r4")
    assert queued_ids(store, site.id) == [] and comment_id in listed(client, site.id)
    # ...but queue_at new ones do.
    report(client, site_key, comment_id, reporter="r5")
    assert queued_ids(store, site.id) == [comment_id]


def test_take_down_of_a_reported_comment_takes_it_out_of_the_thread_and_the_queue(app, client, site, site_key,
                                                                                  store, published):
    comment_id = published()
    for reader in ("r1", "r2", "r3"):
        report(client, site_key, comment_id, reporter=reader)
    assert queued_ids(store, site.id) == [comment_id]

    moderator, csrf = moderator_client(app, site)
    response = moderator.post(f"/api/v1/admin/sites/{site.id}/comments/{comment_id}/actions",
                              json={"action": "take_down", "reason": "abusive"}, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200 and response.get_json()["outcome"] == "changed"
    assert queued_ids(store, site.id) == [] and listed(client, site.id) == []
    assert store.get(site.id, comment_id).status == "rejected"
    page = moderator.get(f"/admin/sites/{site.id}/queue/reported").get_data(as_text=True)
    assert f'id="c-{comment_id}"' not in page and 'data-count="reported">0<' in page
    # No longer published: no more reports.
    assert_problem(report(client, site_key, comment_id, reporter="r9"), 409)


def test_hold_of_a_hidden_comment_ends_the_review_and_a_later_approval_lists_it(app, client, site, site_key, store,
                                                                               published):
    store.policies.save(site.id, {"reports": {"queue_at": 1, "hide_at": 1}}, "test")
    comment_id = published()
    report(client, site_key, comment_id, reporter="r1")
    assert listed(client, site.id) == [] and queued_ids(store, site.id) == [comment_id]
    moderator, csrf = moderator_client(app, site)
    for action in ("hold", "approve"):
        response = moderator.post(f"/api/v1/admin/sites/{site.id}/comments/{comment_id}/actions",
                                  json={"action": action}, headers={"X-CSRF-Token": csrf})
        assert response.get_json()["outcome"] == "changed"
    assert queued_ids(store, site.id) == [] and listed(client, site.id) == [comment_id]
    assert store.get(site.id, comment_id).hidden_at is None


def test_only_a_published_comment_of_the_site_can_be_reported(client, site, site_key, site_store, store):
    store.policies.save(site.id, {"mode": "pre"}, "test")  # every comment held for a moderator
    response = post_comment(client, site_key, comment_payload())
    pending_id = response.get_json()["id"]
    assert_problem(report(client, site_key, pending_id), 409)  # queued
    process_comment(store, site.id, pending_id)
    assert store.get(site.id, pending_id).status == "pending"
    problem = assert_problem(report(client, site_key, pending_id), 409)
    assert problem["current_status"] == "pending" and problem["type"] == "/problems/not-published"
    assert store.get(site.id, pending_id).reports == 0
    assert not store.redis.exists(keys.comment_reporters_key(site.id, pending_id))

    other, other_key = site_store.create("Other News", ["https://other.example"])
    response = post_comment(client, other_key, comment_payload())
    other_id = response.get_json()["id"]
    process_comment(store, other.id, other_id)
    assert store.get(other.id, other_id).status == "approved"
    assert_problem(report(client, site_key, other_id), 404)  # another site's comment
    assert report(client, other_key, other_id).status_code == 202  # its own site may
    assert_problem(report(client, site_key, "0" * 32), 404)
    assert_problem(report(client, site_key, "not-an-id"), 404)
    assert client.post(f"/api/v1/comments/{other_id}/reports", json={"reason": "spam"}).status_code == 401


@pytest.mark.parametrize("body, pointer", [
    ({"reason": "boring"}, "/reason"), ({}, "/reason"), ({"reason": ["spam"]}, "/reason"),
    ({"reason": "spam", "reporter": 12}, "/reporter"), ({"reason": "spam", "reporter": "x" * 201}, "/reporter"),
    ({"reason": "spam", "note": "n" * 281}, "/note"), ({"reason": "spam", "note": "a\x00b"}, "/note"),
    ({"reason": "spam", "client": {"ip": "not an ip"}}, "/client/ip"), ({"reason": "spam", "client": "x"}, "/client"),
])
def test_a_wrong_report_is_refused(client, site, site_key, store, published, body, pointer):
    comment_id = published()
    response = client.post(f"/api/v1/comments/{comment_id}/reports", json=body, headers=auth(site_key))
    assert_problem(response, 422, pointer)
    assert store.get(site.id, comment_id).reports == 0


def test_report_settings_are_validated_and_default_from_the_file():
    assert default_policy().reports.queue_at == 3 and default_policy().reports.hide_at == 0
    assert Policy.from_dict({"reports": {"queue_at": 2, "hide_at": 5}}).reports.hide_at == 5
    for settings, pointer in (({"queue_at": 0}, "/reports/queue_at"), ({"queue_at": 1001}, "/reports/queue_at"),
                              ({"queue_at": 4, "hide_at": 3}, "/reports/hide_at"),
                              ({"hide_at": "2"}, "/reports/hide_at"), ({"hide": 1}, "/reports/hide")):
        with pytest.raises(PolicyError) as raised:
            Policy.from_dict({"reports": settings})
        assert pointer in [error["pointer"] for error in raised.value.errors]


def test_a_comment_removed_by_an_erasure_leaves_the_reported_queue(client, site, site_key, store, published):
    comment_id = published(author={"name": "Ada", "email": "ada@example.org"})
    for reader in ("r1", "r2", "r3"):
        report(client, site_key, comment_id, reporter=reader)
    assert queued_ids(store, site.id) == [comment_id]

    erased = data_requests.erase(store, site.id, "ada@example.org", "user:dpo", mode="remove")
    assert erased.removed == (comment_id,)
    assert queued_ids(store, site.id) == []
    assert not store.redis.exists(keys.comment_reporters_key(site.id, comment_id))


@pytest.mark.parametrize("store_settings", ["cluster"], indirect=True)
def test_reports_and_the_decisions_on_them_on_a_redis_cluster(client, site, site_key, store, published):
    """The report script, the transitions out of the queue and the erasure each stay in the site's slot."""
    store.policies.save(site.id, {"reports": {"queue_at": 1, "hide_at": 2}}, "test")
    comment_id = published(author={"name": "Ada", "email": "ada@example.org"})
    report(client, site_key, comment_id, reporter="r1")
    report(client, site_key, comment_id, reporter="r2")
    assert queued_ids(store, site.id) == [comment_id] and listed(client, site.id) == []
    assert apply_action(store, site.id, comment_id, "approve", "user:mia").outcome == "changed"
    assert queued_ids(store, site.id) == [] and listed(client, site.id) == [comment_id]
    report(client, site_key, comment_id, reporter="r3")
    assert queued_ids(store, site.id) == [comment_id]
    assert data_requests.erase(store, site.id, "ada@example.org", "user:dpo", mode="remove").removed == (comment_id,)
    assert queued_ids(store, site.id) == [] and listed(client, site.id) == []


BROWSER_ORIGIN = "https://news.example"  # the test site's origin


def browser_report(http, public_key: str, comment_id: str, address: str, reason: str = "offensive", **fields):
    return http.post(f"/api/v1/comments/{comment_id}/reports", json={"reason": reason, **fields},
                       headers={"Authorization": f"Bearer {public_key}", "Origin": BROWSER_ORIGIN},
                       environ_base={"REMOTE_ADDR": address})


def test_a_browser_cannot_name_itself_many_readers(client, site, site_store, published):
    _record, public_key = site_store.create_key(site.id, "public", "embed")
    comment_id = published()
    first = browser_report(client, public_key, comment_id, "198.51.100.7", reporter="reader-1")
    assert first.status_code == 202 and first.get_json()["status"] == "counted"
    assert first.headers["Access-Control-Allow-Origin"] == BROWSER_ORIGIN
    # Another "reporter" and another client.ip from the same connection: the same reader.
    again = browser_report(client, public_key, comment_id, "198.51.100.7", reporter="reader-2",
                           client={"ip": "203.0.113.9"})
    assert again.get_json() == {"comment": comment_id, "reports": 1, "status": "duplicate"}
    other = browser_report(client, public_key, comment_id, "198.51.100.8")
    assert other.get_json()["reports"] == 2


class TestReportFloodControl:
    @pytest.fixture
    def settings_overrides(self):
        return {"report_rate_limit": "3/hour"}

    def test_reports_are_rate_limited_per_reader_address(self, client, site, site_key, site_store, published):
        reports_are_rate_limited_per_reader_address(client, site, site_key, site_store, published)


def reports_are_rate_limited_per_reader_address(client, site, site_key, site_store, published):
    _record, public_key = site_store.create_key(site.id, "public", "embed")
    comments = [published() for _ in range(5)]
    for comment_id in comments[:3]:
        assert browser_report(client, public_key, comment_id, "198.51.100.7").status_code == 202
    refused = browser_report(client, public_key, comments[3], "198.51.100.7")
    problem = assert_problem(refused, 429)
    assert problem["limited_by"] == "ip" and int(refused.headers["Retry-After"]) > 0
    assert refused.headers["Access-Control-Allow-Origin"] == BROWSER_ORIGIN  # the page can read why
    # Another address is not limited; neither is a server reporting for readers it names.
    assert browser_report(client, public_key, comments[3], "198.51.100.8").status_code == 202
    for index, comment_id in enumerate(comments):
        assert report(client, site_key, comment_id, reporter=f"cms-user-{index}").status_code == 202
    # A server passing its reader's address: that address is limited.
    for comment_id in comments[:3]:
        assert report(client, site_key, comment_id, client={"ip": "192.0.2.44"}).status_code == 202
    assert_problem(report(client, site_key, comments[3], client={"ip": "192.0.2.44"}), 429)
