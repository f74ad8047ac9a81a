"""The admin API against a real Redis: auth on every route, policy versions, queues,
moderator actions with their audit trail, and dry-run replays."""
import hashlib

import pytest

from tests.service.helpers import DEFAULT_POLICY, assert_problem, auth, comment_payload, post_comment

ADMIN_TOKEN = "test-admin-token-0123456789"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}", "X-Moderator": "ada"}


@pytest.fixture
def settings_overrides():
    return {"admin_token_sha256": hashlib.sha256(ADMIN_TOKEN.encode()).hexdigest(), "policy_file": DEFAULT_POLICY}


def post_and_decide(client, site_key, site_comments, body, **payload):
    response = post_comment(client, site_key, comment_payload(body=body, **payload))
    assert response.status_code == 202, response.json
    site_comments.process(response.json["id"])
    return response.json["id"]


def admin_urls(app, site_id, comment_id):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/admin"):
            url = rule.rule.replace("<site_id>", site_id).replace("<comment_id>", comment_id)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, url


def test_every_admin_route_refuses_anonymous_and_wrong_tokens(app, client, site, site_key):
    routes = list(admin_urls(app, site.id, "0" * 32))
    assert len(routes) >= 7
    for method, url in routes:
        for headers in ({}, {"Authorization": "Bearer wrong"}, auth(site_key)):
            response = client.open(url, method=method, headers=headers, json={})
            assert_problem(response, 401)
            assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_admin_api_is_off_without_a_configured_token(app, client, site):
    app.extensions["moderation"].settings = app.extensions["moderation"].settings.__class__.from_env({})
    assert_problem(client.get(f"/api/v1/admin/sites/{site.id}/policy", headers=ADMIN), 401)


def test_policy_is_read_changed_versioned_and_validated(client, site, site_key, site_comments):
    url = f"/api/v1/admin/sites/{site.id}/policy"
    default = client.get(url, headers=ADMIN).json
    assert default["is_default"] and default["version"].startswith("default-")
    assert default["settings"]["mode"] == "post" and default["settings"]["links"]["max"] == 2

    saved = client.patch(url, json={"mode": "pre", "words": {"suspect": ["tramway"]}}, headers=ADMIN)
    assert saved.status_code == 200 and saved.json["version"] == "v1" and not saved.json["is_default"]
    assert saved.json["settings"]["mode"] == "pre" and saved.json["settings"]["links"]["max"] == 2
    again = client.patch(url, json={"links": {"max": 5}}, headers=ADMIN).json
    assert again["version"] == "v2" and again["settings"]["mode"] == "pre" and again["settings"]["links"]["max"] == 5

    refused = client.put(url, json={"mode": "sometimes", "links": {"max": "two"}}, headers=ADMIN)
    problem = assert_problem(refused, 422)
    assert {error["pointer"] for error in problem["errors"]} == {"/mode", "/links/max"}
    assert client.get(url, headers=ADMIN).json["version"] == "v2"  # nothing saved

    versions = client.get(url + "/versions", headers=ADMIN).json["versions"]
    assert [entry["version"] for entry in versions] == ["v2", "v1"] and versions[0]["updated_by"] == "admin-token:ada"

    site_comments.store.policies.cache_seconds = 0
    comment_id = post_and_decide(client, site_key, site_comments, "A calm remark about the tramway.")
    stored = site_comments.get(comment_id)
    assert stored.status == "pending" and stored.policy_version == "v2"
    assert {finding["code"] for finding in stored.reasons} == {"premoderated", "suspect_word"}


def test_moderators_work_the_queues_with_audited_idempotent_actions(client, site, site_key, site_comments):
    base = f"/api/v1/admin/sites/{site.id}"
    words = {"words": {"banned": ["fuck*"], "suspect": ["idiot*"]}, "classifier": {"provider": "none"}}
    assert client.patch(f"{base}/policy", json=words, headers=ADMIN).status_code == 200
    site_comments.store.policies.cache_seconds = 0
    rejected_id = post_and_decide(client, site_key, site_comments, "You are a f.u.c.k.i.n.g disgrace.")
    pending_id = post_and_decide(client, site_key, site_comments, "Only an idiot would vote for this.")
    approved_id = post_and_decide(client, site_key, site_comments, "Thanks, a fair and clear report.")

    listing = client.get(f"{base}/comments?status=rejected", headers=ADMIN).json
    assert [comment["id"] for comment in listing["comments"]] == [rejected_id]
    assert listing["counts"] == {"pending": 1, "rejected": 1, "spam": 0, "failed": 0}
    finding = listing["comments"][0]["findings"][0]
    assert finding["code"] == "banned_word" and finding["evidence"][0]["text"] == "f.u.c.k.i.n.g"
    assert listing["comments"][0]["body"] == "You are a f.u.c.k.i.n.g disgrace."

    act = f"{base}/comments/{pending_id}/actions"
    approved = client.post(act, json={"action": "approve"}, headers=ADMIN)
    assert approved.status_code == 200 and approved.json["outcome"] == "changed"
    assert approved.json["comment"]["status"] == "approved" and approved.json["comment"]["moderated_by"] == "admin-token:ada"
    assert client.post(act, json={"action": "approve"}, headers=ADMIN).json["outcome"] == "unchanged"
    thread = client.get(f"/api/v1/threads/article-123/comments?site={site.id}").json["comments"]
    assert {comment["id"] for comment in thread} == {pending_id, approved_id}

    down = client.post(f"{base}/comments/{approved_id}/actions",
                       json={"action": "take_down", "reason": "legal", "note": "court order 12/3"}, headers=ADMIN)
    assert down.json["comment"]["status"] == "rejected" and down.json["comment"]["moderation_reason"] == "legal"
    thread = client.get(f"/api/v1/threads/article-123/comments?site={site.id}").json["comments"]
    assert [comment["id"] for comment in thread] == [pending_id]
    history = client.get(f"{base}/comments/{approved_id}", headers=ADMIN).json["history"]
    assert history[-1]["actor"] == "admin-token:ada" and history[-1]["detail"] == "take_down (legal) - court order 12/3"
    assert (history[-1]["from"], history[-1]["to"]) == ("approved", "rejected")

    queued_id = post_comment(client, site_key, comment_payload(body="Not decided yet")).json["id"]
    conflict = client.post(f"{base}/comments/{queued_id}/actions", json={"action": "approve"}, headers=ADMIN)
    assert assert_problem(conflict, 409)["current_status"] == "queued"
    again = client.post(f"{base}/comments/{rejected_id}/actions", json={"action": "take_down", "reason": "legal"},
                        headers=ADMIN)
    assert again.json["outcome"] == "unchanged"  # already off the page
    assert_problem(client.post(f"{base}/comments/{rejected_id}/actions", json={"action": "reject"}, headers=ADMIN),
                   422, "/action")
    assert_problem(client.post(f"{base}/comments/{rejected_id}/actions", json={"action": "delete"}, headers=ADMIN),
                   422, "/action")
    assert_problem(client.post(f"{base}/comments/{'f' * 32}/actions", json={"action": "approve"}, headers=ADMIN), 404)
    assert_problem(client.get(f"/api/v1/admin/sites/nosuchsite/comments", headers=ADMIN), 404)
    assert_problem(client.get(f"{base}/comments?status=approved", headers=ADMIN), 400)
    spam = client.post(f"{base}/comments/{rejected_id}/actions", json={"action": "spam"}, headers=ADMIN).json
    assert spam["comment"]["status"] == "spam"
    assert client.get(f"{base}/comments?status=spam", headers=ADMIN).json["counts"]["rejected"] == 1


def test_a_dry_run_reports_what_a_proposed_policy_would_change(client, site, site_key, site_comments):
    for body in ("A fair point about the budget.", "Thanks for the report.", "See https://a.example/x now"):
        post_and_decide(client, site_key, site_comments, body)
    before = {key: site_comments.store.redis.hgetall(key) for key in site_comments.store.redis.keys("mod:*comment:*")}
    report = client.post(f"/api/v1/admin/sites/{site.id}/policy/replay",
                         json={"policy": {"mode": "pre_links"}}, headers=ADMIN)
    assert report.status_code == 200, report.json
    assert report.json["compared"] == 3 and report.json["changed"] == 1
    assert report.json["directions"] == {"approved -> pending": 1}
    assert report.json["codes_added"] == {"links_premoderated": 1}
    assert report.json["samples"]["approved -> pending"][0]["text"].startswith("See https://a.example/x")
    after = {key: site_comments.store.redis.hgetall(key) for key in site_comments.store.redis.keys("mod:*comment:*")}
    assert after == before  # nothing changed
    assert_problem(client.post(f"/api/v1/admin/sites/{site.id}/policy/replay", json={"policy": {"mode": "x"}},
                               headers=ADMIN), 422, "/mode")
    # Found by schemathesis: a policy that is not an object was a 500, and "replace": "false" meant true.
    replay_url = f"/api/v1/admin/sites/{site.id}/policy/replay"
    assert_problem(client.post(replay_url, json={"policy": [None]}, headers=ADMIN), 422, "/policy")
    assert_problem(client.post(replay_url, json={"policy": {}, "replace": "false"}, headers=ADMIN), 422, "/replace")


def test_a_closed_thread_refuses_new_comments(client, site, site_key, site_comments):
    saved = client.patch(f"/api/v1/admin/sites/{site.id}/policy", json={"threads": {"article-123": "closed"}},
                         headers=ADMIN)
    assert saved.status_code == 200
    site_comments.store.policies.cache_seconds = 0
    problem = assert_problem(post_comment(client, site_key, comment_payload()), 409)
    assert problem["type"] == "/problems/thread-closed"
    assert post_comment(client, site_key, comment_payload(thread="another-story")).status_code == 202


def test_moderators_ban_and_trust_commenters_and_history_counts(client, site, site_key, site_comments):
    base = f"/api/v1/admin/sites/{site.id}"
    site_comments.store.policies.cache_seconds = 0
    comment_id = post_and_decide(client, site_key, site_comments, "A perfectly ordinary remark on the budget.",
                                 author={"name": "Troll", "email": "Troll+1@Example.org"})
    banned = client.post(f"{base}/commenters", json={"action": "ban", "comment": comment_id}, headers=ADMIN)
    assert banned.status_code == 200 and banned.json["commenters"]["banned"] == ["troll@example.org"]
    again = post_and_decide(client, site_key, site_comments, "Another perfectly ordinary remark on the budget.",
                            author={"name": "Troll", "email": "troll@example.org"})
    stored = site_comments.get(again)
    assert stored.status == "rejected" and stored.reasons[0]["code"] == "banned_commenter"
    assert client.get(f"{base}/policy/versions", headers=ADMIN).json["versions"][0]["updated_by"] == "admin-token:ada"
    lifted = client.post(f"{base}/commenters", json={"action": "unban", "entry": "troll@example.org"}, headers=ADMIN)
    assert lifted.json["commenters"]["banned"] == []
    assert_problem(client.post(f"{base}/commenters", json={"action": "trust", "entry": "10.0.0.1"}, headers=ADMIN),
                   422, "/entry")
    assert_problem(client.post(f"{base}/commenters", json={"action": "adore", "entry": "a@b.example"}, headers=ADMIN),
                   422, "/action")
    # The worker keeps each commenter's recent decisions: two rejections, then held for history.
    history = site_comments.store.commenters.recent(site.id, ["email:troll@example.org"])[0]
    assert history.startswith("r")
