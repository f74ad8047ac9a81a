"""The WordPress plug-in (integrations/wordpress/) end to end: a real WordPress 6 on MariaDB
served by php -S, all from Debian's packages; the real moderation API under gunicorn, a real
Celery worker and beat (webhook dispatch), real Redis; a reader posting through the theme's
comment form in headless Chromium.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import time

import pytest
import requests

from tests.dashboard.test_browser import CHROMIUM, CHROMIUM_ARGS
from tests.service.helpers import DEFAULT_POLICY
from tests.support.polling import wait_until
from tests.support.ports import free_port
from tests.support.wordpress import MariaDB, WordPress, missing_programs

pytestmark = pytest.mark.e2e
ADMIN_TOKEN = "test-admin-token-wordpress-0123"
EVENTS = ["comment.approved", "comment.pending", "comment.rejected", "comment.spam", "comment.taken_down",
          "comment.reported"]
CLEAN = "A clear explainer on the council budget, thank you."
SPAM = "Work from home and earn $500 a day! Limited offer, click here: https://bit.ly/3xYzAbC"
SUSPECT = "Only an idiot would believe the council on this."


@pytest.fixture(scope="module", autouse=True)
def wordpress_installed():
    missing = missing_programs()
    if missing and os.environ.get("CI"):
        pytest.fail(f"not installed: {missing} (.ci/run installs them: scripts/ensure-wordpress.sh)")
    if missing:
        pytest.skip(f"WordPress test stack not installed: {missing}; run scripts/ensure-wordpress.sh as root")


@pytest.fixture
def settings_overrides():
    # The shipped policy; quick webhook retries; WordPress answers a webhook in well under the 5 s read timeout.
    return {"admin_token_sha256": hashlib.sha256(ADMIN_TOKEN.encode()).hexdigest(), "policy_file": DEFAULT_POLICY,
            "webhook_connect_timeout": 2.0, "webhook_read_timeout": 5.0, "webhook_retry_base": 0.3,
            "webhook_retry_max": 2.0, "webhook_max_attempts": 8, "webhook_dispatch_interval": 0.2}


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def service(start_api_server, start_worker, start_beat):
    server = start_api_server()
    start_beat()
    return server, start_worker()


@pytest.fixture
def wordpress(tmp_path, service, site, site_key):
    server, _worker = service
    database = MariaDB(tmp_path / "mariadb")
    (tmp_path / "mariadb").mkdir()
    database.start()
    site_wordpress = WordPress(tmp_path, database)
    try:
        site_wordpress.start()
        yield site_wordpress
        assert site_wordpress.plugin_problems() == []
    finally:
        site_wordpress.stop()
        database.stop()


@pytest.fixture
def endpoint(wordpress, site, webhooks_store):
    return webhooks_store.create_endpoint(site.id, f"{wordpress.url}/wp-json/comment-moderation/v1/webhook", EVENTS)


@pytest.fixture
def webhooks_store(store_redis):
    from moderation.webhooks.store import WebhookStore

    return WebhookStore(store_redis, log_max=200)


def configure(wordpress: WordPress, **fields) -> requests.Response:
    """Saves the plug-in's settings through its settings screen, as an administrator would."""
    form = wordpress.form("/wp-admin/options-general.php?page=comment-moderation")
    assert form.get("option_page") == "comment-moderation" and form.get("_wpnonce"), form
    data = {**form, **{f"comment_moderation[{name}]": str(value) for name, value in fields.items()}}
    reply = wordpress.admin.post(f"{wordpress.url}/wp-admin/options.php", data=data, timeout=30)
    assert reply.status_code == 200 and "settings-updated=true" in reply.url, reply.url
    return reply


@pytest.fixture
def connected(wordpress, service, site_key, endpoint):
    server, _worker = service
    configure(wordpress, endpoint=f"http://127.0.0.1:{server.port}", secret_key=site_key,
              webhook_secret=endpoint.secret, timeout=5, poll_seconds=4)
    return wordpress


def post_as_reader(browser, wordpress: WordPress, text: str, name: str = "Ada Reader", reply_to: int = 0) -> int:
    """A reader opens the first post and publishes a comment (a reply to ``reply_to``) with the
    theme's form; its id."""
    page = browser.new_page()
    try:
        page.goto(f"{wordpress.url}/?p=1" + (f"&replytocom={reply_to}#respond" if reply_to else ""))
        page.fill("#comment", text)
        page.fill("#author", name)
        page.fill("#email", "ada@example.org")
        page.click("#submit")
        page.wait_for_load_state()
        found = re.search(r"(?:unapproved=|#comment-)(\d+)", page.url)
        assert found, page.url
        return int(found.group(1))
    finally:
        page.close()


def status_of(wordpress: WordPress, comment_id: int) -> str:
    return wordpress.comment(comment_id).get("comment_approved", "")


def shown_to_visitors(browser, wordpress: WordPress, text: str) -> bool:
    page = browser.new_page()  # a fresh context: no commenter cookies, no preview of one's own
    try:
        page.goto(f"{wordpress.url}/?p=1")
        return text in page.locator("#comments").inner_text() if page.locator("#comments").count() else False
    finally:
        page.close()


def test_settings_screen_keeps_secrets_out_of_the_page(wordpress, site_key, endpoint):
    page = configure(wordpress, endpoint="http://127.0.0.1:9", secret_key=site_key,
                     webhook_secret=endpoint.secret, timeout=4, poll_seconds=2).text
    assert site_key not in page and endpoint.secret not in page
    assert "/wp-json/comment-moderation/v1/webhook" in page  # the address to register
    saved = wordpress.options("comment_moderation")
    assert site_key in saved and endpoint.secret in saved and "http://127.0.0.1:9" in saved
    # Saving again with the secret fields empty keeps them; a bad address is refused.
    page = configure(wordpress, endpoint="javascript:alert(1)", timeout=99).text
    assert "must be an http:// or https:// URL" in page
    saved = wordpress.options("comment_moderation")
    assert site_key in saved and endpoint.secret in saved and "javascript" not in saved
    assert 's:7:"timeout";i:30;' in saved  # bounded
    # Not for anonymous visitors.
    anonymous = requests.get(f"{wordpress.url}/wp-admin/options-general.php?page=comment-moderation",
                             allow_redirects=False, timeout=30)
    assert anonymous.status_code == 302 and "wp-login.php" in anonymous.headers["location"]


def test_clean_comment_is_published_and_spam_ends_as_spam(browser, connected, site, comment_store):
    wordpress = connected
    clean = post_as_reader(browser, wordpress, CLEAN)
    wait_until(lambda: status_of(wordpress, clean) == "1", 20, message="clean comment published")
    row = wordpress.comment(clean)
    service_comment = comment_store.get(site.id, row["_comment_moderation_id"])
    assert service_comment.status == "approved" and service_comment.thread == "post-1"
    assert service_comment.author_name == "Ada Reader" and service_comment.author_email == "ada@example.org"
    assert service_comment.client_ip == "127.0.0.1" and "Chrome" in service_comment.client_user_agent
    assert row["_comment_moderation_state"] == "approved"
    assert shown_to_visitors(browser, wordpress, CLEAN)
    reply = post_as_reader(browser, wordpress, "Agreed, and the maps were good too.", name="Bo", reply_to=clean)
    wait_until(lambda: status_of(wordpress, reply) == "1", 20, message="reply published")
    service_reply = comment_store.get(site.id, wordpress.comment(reply)["_comment_moderation_id"])
    assert service_reply.parent == service_comment.id

    spam = post_as_reader(browser, wordpress, SPAM, name="Deals Bot")
    wait_until(lambda: status_of(wordpress, spam) == "spam", 20, message=f"spam comment marked spam: {wordpress.comment(spam)}")
    assert comment_store.get(site.id, wordpress.comment(spam)["_comment_moderation_id"]).status == "spam"
    assert not shown_to_visitors(browser, wordpress, "Limited offer")


def test_comment_decided_late_is_published_by_the_webhook(browser, connected, service, site, comment_store):
    wordpress = connected
    server, _worker = service
    held = post_as_reader(browser, wordpress, SUSPECT)
    wait_until(lambda: wordpress.comment(held).get("_comment_moderation_state") == "pending", 20,
               message="held by the policy")
    assert status_of(wordpress, held) == "0" and not shown_to_visitors(browser, wordpress, SUSPECT)
    service_id = wordpress.comment(held)["_comment_moderation_id"]
    # A moderator approves it at the service, minutes later in real life.
    reply = server.request("POST", f"/api/v1/admin/sites/{site.id}/comments/{service_id}/actions",
                           json.dumps({"action": "approve"}).encode(),
                           {"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json"})
    assert reply.status == 200, reply
    wait_until(lambda: status_of(wordpress, held) == "1", 30, message="published by the webhook")
    assert shown_to_visitors(browser, wordpress, SUSPECT)


def test_decision_after_the_poll_arrives_by_webhook(browser, connected, service, site, comment_store, start_worker):
    wordpress = connected
    _server, worker = service
    worker.stop()  # nobody decides within the reader's wait
    configure(wordpress, poll_seconds=1)
    late = post_as_reader(browser, wordpress, "Late but worth it: the schools piece was excellent.")
    row = wordpress.comment(late)
    assert row["comment_approved"] == "0" and "_comment_moderation_state" not in row, row
    assert "_comment_moderation_id" in row, row
    assert comment_store.get(site.id, row["_comment_moderation_id"]).status == "queued"
    start_worker()
    wait_until(lambda: status_of(wordpress, late) == "1", 30, message="published by the webhook")


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def test_forged_and_replayed_webhooks_are_refused(browser, connected, endpoint, site):
    wordpress = connected
    held = post_as_reader(browser, wordpress, SUSPECT + " Really.")
    wait_until(lambda: wordpress.comment(held).get("_comment_moderation_state") == "pending", 20,
               message="held by the policy")
    service_id = wordpress.comment(held)["_comment_moderation_id"]
    url = f"{wordpress.url}/wp-json/comment-moderation/v1/webhook"
    event = {"id": "evt_1-0", "type": "comment.approved", "site": site.id,
             "created_at": "2099-01-01T00:00:00.000Z", "comment": {"id": service_id, "status": "approved"},
             "decision": {"from": "pending", "to": "approved", "by": "moderator"}}
    body = json.dumps(event).encode()

    def send(signature: str | None, payload: bytes = body) -> requests.Response:
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["Moderation-Signature"] = signature
        return requests.post(url, data=payload, headers=headers, timeout=30)

    assert send(None).status_code == 401
    assert send(sign("whsec_forged", body)).status_code == 401
    assert send(sign(endpoint.secret, body, int(time.time()) - 3600)).status_code == 401  # replayed
    assert send(sign(endpoint.secret, body), body + b" ").status_code == 401  # body changed
    assert send(sign(endpoint.secret, body).replace("v1=", "v1=0")).status_code == 401
    assert status_of(wordpress, held) == "0"
    # Signed right, it applies; the same event again changes nothing.
    first = send(sign(endpoint.secret, body))
    assert first.status_code == 200 and first.json()["result"] == "applied"
    again = send(sign(endpoint.secret, body))
    assert again.status_code == 200 and again.json()["result"] == "unchanged"
    assert status_of(wordpress, held) == "1"
    # An older decision arriving late (a retried delivery) does not undo a newer one.
    older = json.dumps({**event, "type": "comment.spam", "created_at": "2000-01-01T00:00:00.000Z"}).encode()
    late = send(sign(endpoint.secret, older), older)
    assert late.status_code == 200 and late.json()["result"] == "stale"
    assert status_of(wordpress, held) == "1"
    unknown = json.dumps({**event, "comment": {"id": "f" * 32}}).encode()
    assert send(sign(endpoint.secret, unknown), unknown).status_code == 404


def test_service_down_leaves_the_comment_held_with_the_error(browser, connected, service, site, comment_store):
    wordpress = connected
    server, _worker = service
    configure(wordpress, endpoint=f"http://127.0.0.1:{free_port()}")  # nothing listens there
    down = post_as_reader(browser, wordpress, "Posted while the service was down.")
    row = wordpress.comment(down)
    assert row["comment_approved"] == "0" and "_comment_moderation_id" not in row
    assert row["_comment_moderation_error"] and "_comment_moderation_retry" in row
    page = wordpress.admin.get(f"{wordpress.url}/wp-admin/edit-comments.php?comment_status=moderated", timeout=30).text
    assert "Moderation service" in page and "Posted while the service was down." in page
    assert "comment-moderation-error" in page
    settings_page = wordpress.admin.get(f"{wordpress.url}/wp-admin/options-general.php?page=comment-moderation",
                                        timeout=30).text
    assert 'id="comment-moderation-last-error"' in settings_page
    # Once the service is back, WP-Cron's retry sends it and applies the decision.
    configure(wordpress, endpoint=f"http://127.0.0.1:{server.port}")
    wordpress.run_php("do_action('comment_moderation_retry');")
    row = wordpress.comment(down)
    assert row["comment_approved"] == "1", row
    assert comment_store.get(site.id, row["_comment_moderation_id"]).status == "approved"
    assert "_comment_moderation_error" not in row and "_comment_moderation_retry" not in row


# A comment as the plug-in holds it, then two decisions; prints each result and the status after it.
_DECIDE_TWICE = (
    "$id = wp_insert_comment(array('comment_post_ID' => 1, 'comment_content' => 'Rejected, then approved',"
    " 'comment_approved' => 0));"
    "foreach (array(array('rejected', '2026-12-06T10:00:00.000Z'), array('approved', '2026-12-06T10:05:00.000Z'))"
    " as $decision) { echo Comment_Moderation_Decisions::apply($id, $decision[0], $decision[1]), ' ',"
    " wp_get_comment_status($id) ?: 'deleted', ' '; }")


def test_rejection_goes_to_the_trash_and_a_later_approval_publishes(wordpress):
    assert wordpress.run_php(_DECIDE_TWICE).split() == ["applied", "trash", "applied", "approved"]


def test_with_the_trash_off_a_rejected_comment_is_held_not_deleted(wordpress):
    """EMPTY_TRASH_DAYS=0 makes wp_trash_comment delete for good; the plug-in holds the comment
    instead, so a moderator's later approval in the service can still publish it."""
    decided = wordpress.run_php(_DECIDE_TWICE, before="define('EMPTY_TRASH_DAYS', 0);").split()
    assert decided == ["applied", "unapproved", "applied", "approved"]

