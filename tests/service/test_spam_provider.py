"""An outside spam service (Akismet's API), against a real local HTTP server that answers,
fails and times out: its verdict, the reader's original request data it is told, a failure
that holds the comment, and moderators' feedback."""
import hashlib
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from moderation.policy import spam_providers
from tests.service.helpers import DEFAULT_POLICY, comment_payload, post_comment

ADMIN_TOKEN = "spam-provider-admin"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


class FakeAkismet(BaseHTTPRequestHandler):
    received: list = []
    mode = "answer"  # "answer" | "fail" | "slow"

    def do_POST(self):  # noqa: N802 - the http.server API
        fields = dict(urllib.parse.parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode()))
        FakeAkismet.received.append((self.path, fields))
        if FakeAkismet.mode == "slow":
            time.sleep(1.5)
        if FakeAkismet.mode == "fail":
            self.send_response(500)
            self.end_headers()
            return
        answer = "true" if "viagra" in fields.get("comment_content", "").lower() else "false"
        if self.path.endswith("/submit-spam") or self.path.endswith("/submit-ham"):
            answer = "Thanks for making the web a better place."
        body = answer.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def akismet():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeAkismet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeAkismet.received, FakeAkismet.mode = [], "answer"
    yield f"http://127.0.0.1:{server.server_address[1]}/1.1"
    server.shutdown()
    spam_providers._configured["provider"] = None  # the next app configures its own


@pytest.fixture
def settings_overrides(akismet):
    return {"policy_file": DEFAULT_POLICY, "admin_token_sha256": hashlib.sha256(ADMIN_TOKEN.encode()).hexdigest(),
            "spam_provider": "akismet", "akismet_key": "test-key", "akismet_endpoint": akismet,
            "akismet_blog": "https://news.example", "spam_provider_timeout": 0.5}


def decide(client, site_key, site_comments, body):
    response = post_comment(client, site_key, comment_payload(body=body, client={
        "ip": "198.51.100.23", "user_agent": "Mozilla/5.0 (reader)", "referrer": "https://news.example/a"}))
    site_comments.process(response.json["id"])
    return site_comments.get(response.json["id"])


def test_the_provider_is_asked_with_the_readers_request_and_its_failure_holds(client, site, site_key,
                                                                             site_comments):
    site_comments.store.policies.save(site.id, {"spam_provider": {"enabled": True}}, "test")
    site_comments.store.policies.cache_seconds = 0
    clean = decide(client, site_key, site_comments, "A calm remark about the new bus timetable and the depot.")
    spam = decide(client, site_key, site_comments, "Cheap VIAGRA delivered to your door, very discreet and fast.")
    assert clean.status == "approved"
    assert spam.status == "spam" and "spam_provider" in {finding["code"] for finding in spam.reasons}
    path, fields = FakeAkismet.received[0]
    assert path == "/1.1/comment-check"
    assert (fields["user_ip"], fields["user_agent"], fields["referrer"]) == (
        "198.51.100.23", "Mozilla/5.0 (reader)", "https://news.example/a")  # the reader's, not our server's
    assert fields["api_key"] == "test-key" and fields["blog"] == "https://news.example"

    for mode in ("fail", "slow"):
        FakeAkismet.mode = mode
        spam_providers.active()._failed_at = 0.0  # past any pause after the previous failure
        held = decide(client, site_key, site_comments, f"Another calm remark about the depot ({mode}).")
        assert held.status == "pending", mode
        assert held.reasons[-1]["code"] == "spam_provider_failed"
    # Right after a failure the service is not asked again: the next comment is held at once.
    asked = len(FakeAkismet.received)
    started = time.monotonic()
    held = decide(client, site_key, site_comments, "Yet another calm remark about the depot and the buses.")
    assert held.status == "pending" and len(FakeAkismet.received) == asked and time.monotonic() - started < 1


def test_moderators_decisions_are_sent_back(client, site, site_key, site_comments):
    site_comments.store.policies.save(site.id, {"spam_provider": {"enabled": True}}, "test")
    site_comments.store.policies.cache_seconds = 0
    FakeAkismet.mode = "fail"
    held = decide(client, site_key, site_comments, "Visit my shop for the best prices on watches, friends.")
    FakeAkismet.mode, FakeAkismet.received = "answer", []
    spam_providers.active()._failed_at = 0.0
    marked = client.post(f"/api/v1/admin/sites/{site.id}/comments/{held.id}/actions", json={"action": "spam"},
                         headers=ADMIN)
    assert marked.status_code == 200
    path, fields = FakeAkismet.received[-1]
    assert path == "/1.1/submit-spam" and fields["comment_content"].startswith("Visit my shop")
    assert fields["user_ip"] == "198.51.100.23"


def test_the_provider_is_off_unless_the_site_turns_it_on(client, site, site_key, site_comments):
    decided = decide(client, site_key, site_comments, "Cheap VIAGRA delivered to your door, very discreet and fast.")
    assert "spam_provider" not in {finding["code"] for finding in decided.reasons}
    assert FakeAkismet.received == []


def test_a_wrong_provider_setting_stops_the_app(redis_url):
    from moderation import create_app
    with pytest.raises(ValueError):
        create_app({"MODERATION_REDIS_URL": redis_url, "MODERATION_SPAM_PROVIDER": "akismet"})  # no key
    with pytest.raises(ValueError):
        create_app({"MODERATION_REDIS_URL": redis_url, "MODERATION_SPAM_PROVIDER": "oracle"})
