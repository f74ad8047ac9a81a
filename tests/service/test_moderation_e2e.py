"""Automatic moderation end to end: the real app, a real Celery worker process, the shipped
default policy; then a moderator's action through the admin API."""
import hashlib

import pytest

from tests.service.helpers import DEFAULT_POLICY, auth, comment_payload, post_comment
from tests.support.polling import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]
ADMIN_TOKEN = "e2e-admin-token"


@pytest.fixture
def settings_overrides():
    return {"policy_file": DEFAULT_POLICY, "admin_token_sha256": hashlib.sha256(ADMIN_TOKEN.encode()).hexdigest()}


def decided(client, api_key, comment_id):
    def final():
        document = client.get(f"/api/v1/comments/{comment_id}", headers=auth(api_key)).json
        return document if document["status"] not in ("queued", "processing") else None
    return wait_until(final, 60, interval=0.1, message=f"comment {comment_id} decided")


def test_the_worker_decides_with_the_default_policy_and_says_why(client, site, site_key, worker):
    cases = {
        "Thanks for the clear report on the tram budget, the map helps a lot.": ("approved", set()),
        "You are a f.u.c.k.i.n.g disgrace to journalism.": ("rejected", {"banned_word"}),
        "I will kill you, Harris.": ("rejected", {"threat"}),
        "Only an idiot would believe the council on this.": ("pending", {"suspect_word", "offensive_score"}),
        "I make $85 an hour working from home, check my profile and message me on WhatsApp!!": ("spam", None),
    }
    posted = {body: post_comment(client, site_key, comment_payload(body=body)).json["id"] for body in cases}
    for body, (status, codes) in cases.items():
        document = decided(client, site_key, posted[body])
        assert document["status"] == status, (body, document["decision"])
        acting = {reason["code"] for reason in document["decision"]["reasons"] if reason["outcome"] == status}
        if codes is not None:
            assert codes <= acting, (body, document["decision"]["reasons"])
        assert document["decision"]["policy_version"].startswith("default-")
    banned = client.get(f"/api/v1/comments/{posted['You are a f.u.c.k.i.n.g disgrace to journalism.']}",
                        headers=auth(site_key)).json
    evidence = banned["decision"]["reasons"][0]["evidence"][0]
    assert evidence["text"] == "f.u.c.k.i.n.g"  # the reader's own characters

    # A moderator approves the held one; it is published in the thread.
    held = posted["Only an idiot would believe the council on this."]
    response = client.post(f"/api/v1/admin/sites/{site.id}/comments/{held}/actions", json={"action": "approve"},
                           headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert response.status_code == 200 and response.json["comment"]["status"] == "approved"
    listed = client.get(f"/api/v1/threads/article-123/comments?site={site.id}").json["comments"]
    assert held in {comment["id"] for comment in listed}
