"""End to end: the real app, a real Redis and a real Celery worker process.

Each test runs twice: the store on a single Redis (also the broker), and the store on a
real three-primary Redis Cluster (the broker a plain Redis beside it).
"""
import pytest

from tests.service.helpers import STORE_TOPOLOGIES, auth, comment_payload, post_comment, post_raw
from tests.support.polling import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90),
              pytest.mark.parametrize("store_settings", STORE_TOPOLOGIES, indirect=True)]


def wait_for_status(client, api_key, comment_id, statuses=("approved", "pending", "rejected", "spam", "failed"),
                    timeout=30):
    def final():
        document = client.get(f"/api/v1/comments/{comment_id}", headers=auth(api_key)).json
        return document if document["status"] in statuses else None
    return wait_until(final, timeout, interval=0.1, message=f"comment {comment_id} to reach {statuses}")


def test_post_is_approved_then_listed_with_replies_and_pages(client, site, site_key, worker):
    first = post_comment(client, site_key, comment_payload(body="First! https://example.org"))
    assert first.status_code == 202
    assert first.json["status"] == "queued" and first.json["url"].endswith(f"/api/v1/comments/{first.json['id']}")
    assert first.headers["Location"] == first.json["url"]
    parent_id = first.json["id"]
    document = wait_for_status(client, site_key, parent_id)
    assert document["status"] == "approved"
    assert 'href="https://example.org"' in document["html"]
    assert document["decision"]["policy_version"] and document["decision"]["format_version"]

    reply = post_comment(client, site_key, comment_payload(body="A *reply*", parent=parent_id))
    third = post_comment(client, site_key, comment_payload(body="Third", format="plain_text"))
    for response in (reply, third):
        assert wait_for_status(client, site_key, response.json["id"])["status"] == "approved"

    page = client.get(f"/api/v1/threads/article-123/comments?site={site.id}&limit=2",
                      headers={"Origin": "https://news.example"})
    assert page.status_code == 200
    assert page.headers["Access-Control-Allow-Origin"] == "https://news.example"
    assert [c["id"] for c in page.json["comments"]] == [parent_id, reply.json["id"]]
    assert page.json["comments"][1]["parent"] == parent_id
    assert "email" not in str(page.json)
    rest = client.get(f"/api/v1/threads/article-123/comments?site={site.id}&limit=2"
                      f"&cursor={page.json['next_cursor']}")
    assert [c["id"] for c in rest.json["comments"]] == [third.json["id"]] and rest.json["next_cursor"] is None
    assert "Access-Control-Allow-Origin" not in rest.headers  # no Origin sent
    foreign = client.get(f"/api/v1/threads/article-123/comments?site={site.id}",
                         headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in foreign.headers


def test_script_in_a_comment_is_held_as_pending_without_html(client, site_key, worker):
    response = post_comment(client, site_key, comment_payload(body="hi <script>steal()</script>"))
    document = wait_for_status(client, site_key, response.json["id"])
    assert document["status"] == "pending" and "html" not in document
    assert document["decision"]["reasons"][0]["code"] == "active_tag_removed"


def test_form_encoded_intake(client, site_key, worker):
    form = (b"thread=article-9&author_name=Grace&author_email=grace%40example.org"
            b"&body=Line+one%0ALine+two&format=plain_text&client_ip=198.51.100.20")
    response = post_raw(client, site_key, form, "application/x-www-form-urlencoded")
    assert response.status_code == 202, response.json
    document = wait_for_status(client, site_key, response.json["id"])
    assert document["status"] == "approved" and document["thread"] == "article-9"
    assert "Line one<br />" in document["html"]


def test_idempotency_key_retry_returns_the_first_response(client, site_key, site_comments):
    headers = {"Idempotency-Key": "cms-retry-42"}
    first = post_comment(client, site_key, **headers)
    retry = post_comment(client, site_key, **headers)
    assert first.status_code == retry.status_code == 202
    assert retry.json == first.json and retry.headers["Idempotent-Replayed"] == "true"
    reused = post_comment(client, site_key, comment_payload(body="different"), **headers)
    assert reused.status_code == 422
    assert [event["comment"] for event in site_comments.audit_events()] == [first.json["id"]]


def test_formats_endpoint_lists_ids_names_and_tips(client):
    formats = {entry["id"]: entry for entry in client.get("/api/v1/formats").json["formats"]}
    assert formats["filtered_html"]["tips"][0] == "Allowed HTML tags: <em> <strong> <blockquote> <br> <p>"
    assert formats["plain_text"]["tips"][0] == "No HTML tags allowed."
    assert formats["filtered_html"]["name"] and formats["filtered_html"]["version"]


def test_health_endpoints_without_a_worker_say_degraded(client):
    assert client.get("/livez").json == {"status": "alive"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["status"] == "degraded"
    assert ready.json["checks"] == {"redis": "ok", "broker": "ok", "workers": "fail"}
    assert "no worker" in ready.json["details"]["workers"]
