"""Signed webhooks against a real Redis and a real HTTP receiver (docs/webhooks.md).

The receiver is ``http.server`` in a thread on a free port, answering from a script (a status,
or a sleep past the read timeout). Signatures are checked with the verifier printed in
docs/webhooks.md, executed from the page itself.
"""
from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from moderation.processing import process_comment
from moderation.store import keys
from moderation.store.comments import Comment
from moderation.webhooks import events, signing
from moderation.webhooks.delivery import DeliveryConfig, deliver, retry_delay
from moderation.webhooks.dispatch import dispatch_site
from moderation.webhooks.store import WebhookError, WebhookStore, delivery_id_for
from tests.service.helpers import STORE_TOPOLOGIES, assert_problem, auth, comment_payload, post_comment
from tests.support.polling import wait_until
from tests.support.ports import free_port

ADMIN_TOKEN = "test-admin-token-webhooks-0123"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}", "X-Moderator": "ada"}
DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"
# Quick timeouts and retries, so a test sees three tries in a few seconds.
QUICK = {"webhook_connect_timeout": 1.0, "webhook_read_timeout": 0.6, "webhook_retry_base": 0.3,
         "webhook_retry_max": 5.0, "webhook_max_attempts": 4, "webhook_dispatch_interval": 0.2}


@pytest.fixture
def settings_overrides():
    return {"admin_token_sha256": hashlib.sha256(ADMIN_TOKEN.encode()).hexdigest(), **QUICK}


@pytest.fixture
def documented_verify():
    """``verify(secret, body, header)`` exactly as docs/webhooks.md prints it for receivers."""
    text = DOCS.read_text()
    code = next(block for block in re.findall(r"```python\n(.*?)```", text, re.S) if "def verify(" in block)
    namespace: dict = {}
    exec(compile(code, str(DOCS), "exec"), namespace)  # noqa: S102 - our own documentation
    return namespace["verify"]


@pytest.fixture
def webhooks(store_redis) -> WebhookStore:
    return WebhookStore(store_redis, log_max=200)


# -- a real HTTP receiver -------------------------------------------------------------------------
class Receiver:
    """An HTTP server answering each POST with the next scripted step: ``(status, body)`` or
    ``("sleep", seconds)`` (no answer in time); past the script, 200. Records every request."""

    def __init__(self, script=()):
        self.script = list(script)
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.requests.append({"at": time.monotonic(), "headers": dict(self.headers), "body": body})
                    step = receiver.script.pop(0) if receiver.script else (200, b"ok")
                if step[0] == "sleep":
                    time.sleep(step[1])
                    step = (200, b"too late")
                try:
                    self.send_response(step[0])
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(step[1])))
                    self.end_headers()
                    self.wfile.write(step[1])
                except OSError:  # the client gave up (timeout)
                    pass

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *_exc):
        self.server.shutdown()
        self.server.server_close()

    def received(self) -> list[dict]:
        with self.lock:
            return list(self.requests)

    def events(self) -> list[str]:
        return [request["headers"]["Moderation-Event"] for request in self.received()]


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def admin_url(site_id: str, path: str = "") -> str:
    return f"/api/v1/admin/sites/{site_id}/webhooks{path}"


def create_endpoint(client, site_id: str, url: str, events_wanted=("*",)) -> dict:
    response = client.post(admin_url(site_id), json={"url": url, "events": list(events_wanted)}, headers=ADMIN)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json


# -- signing --------------------------------------------------------------------------------------
def test_the_documented_verifier_accepts_our_signature_and_refuses_tampering(documented_verify):
    secret = signing.new_secret()
    body = json.dumps({"type": "comment.approved", "comment": {"id": "c1"}}).encode()
    header = signing.request_headers([secret], body, "comment.approved", "d_1")[signing.SIGNATURE_HEADER]
    assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", header)
    assert documented_verify(secret, body, header)
    assert signing.verify(secret, body, header)
    assert not documented_verify(secret, body.replace(b"c1", b"c2"), header)  # tampered body
    assert not documented_verify(signing.new_secret(), body, header)  # wrong secret
    assert not documented_verify(secret, body, header.replace("v1=", "v1=0"))  # tampered signature
    old = int(time.time()) - 301
    old_header = signing.signature_header([secret], old, body)
    assert not documented_verify(secret, body, old_header)  # replayed after five minutes
    assert documented_verify(secret, body, signing.signature_header([secret], int(time.time()) - 200, body))
    assert not documented_verify(secret, body, "")  # no header at all


def test_during_a_rotations_overlap_both_secrets_verify(webhooks, site, documented_verify):
    endpoint = webhooks.create_endpoint(site.id, "https://cms.news.example/hooks", ["comment.approved"])
    body = b'{"type":"comment.approved"}'
    rotated = webhooks.rotate_secret(site.id, endpoint.id, overlap_seconds=3600)
    assert rotated.secret != endpoint.secret and rotated.previous_secret == endpoint.secret
    header = signing.signature_header(webhooks.endpoint(site.id, endpoint.id).signing_secrets(), int(time.time()), body)
    assert header.count("v1=") == 2
    assert documented_verify(endpoint.secret, body, header) and documented_verify(rotated.secret, body, header)
    # Once the overlap is over only the new secret signs.
    later = rotated.previous_expires_at + 1
    assert rotated.signing_secrets(now=later) == [rotated.secret]
    # A rotation without overlap drops the previous secret at once.
    again = webhooks.rotate_secret(site.id, endpoint.id, overlap_seconds=0)
    header = signing.signature_header(again.signing_secrets(), int(time.time()), body)
    assert header.count("v1=") == 1
    assert documented_verify(again.secret, body, header) and not documented_verify(rotated.secret, body, header)


def test_retry_delays_double_up_to_the_cap_with_bounded_jitter():
    assert [retry_delay(n, 10, 3600, rng=lambda: 0.5) for n in range(1, 10)] == \
        [10, 20, 40, 80, 160, 320, 640, 1280, 2560]
    assert retry_delay(20, 10, 3600, rng=lambda: 0.99) == 3600
    assert retry_delay(1, 10, 3600, rng=lambda: 0.0) == pytest.approx(8.0)
    assert retry_delay(1, 10, 3600, rng=lambda: 1.0) == pytest.approx(12.0)


# -- events and payloads --------------------------------------------------------------------------
@pytest.mark.parametrize("entry, expected", [
    ({"comment": "c", "from": "", "to": "queued", "actor": "site:x"}, "comment.created"),
    ({"comment": "c", "from": "processing", "to": "approved", "actor": "worker:w1@h"}, "comment.approved"),
    ({"comment": "c", "from": "processing", "to": "pending", "actor": "worker:w1@h"}, "comment.pending"),
    ({"comment": "c", "from": "pending", "to": "spam", "actor": "user:mia"}, "comment.spam"),
    ({"comment": "c", "from": "pending", "to": "rejected", "actor": "user:mia"}, "comment.rejected"),
    ({"comment": "c", "from": "approved", "to": "rejected", "actor": "user:mia"}, "comment.taken_down"),
    ({"comment": "c", "from": "approved", "to": "rejected", "actor": "admin-token:ada"}, "comment.taken_down"),
    ({"comment": "c", "from": "approved", "to": "reported", "actor": "reader:0123456789ab"}, "comment.reported"),
    ({"comment": "c", "from": "queued", "to": "processing", "actor": "worker:w1@h"}, None),
    ({"comment": "c", "from": "processing", "to": "failed", "actor": "worker:w1@h"}, None),
    ({"comment": "c", "from": "approved", "to": "erased", "actor": "admin-token"}, None),
    ({"comment": "", "from": "", "to": "exported", "actor": "admin-token"}, None),
])
def test_audit_entries_map_to_events(entry, expected):
    assert events.event_type(entry) == expected


def test_the_payload_never_names_the_authors_address_or_ip():
    comment = Comment(
        id="c" * 32, seq=1, status="rejected", site_id="s", thread="t", body="x", format="plain_text", attempts=1,
        created_at=1.0, updated_at=2.0, author_name="Ada", author_email="Ada@Example.org", client_ip="203.0.113.9",
        html="<p>x</p>", decided_at=2.0, policy_version="v2",
        reasons=[{"rule": "commenters", "outcome": "rejected", "code": "banned_commenter",
                  "detail": "the commenter is banned (ada@example.org)"},
                 {"rule": "custom", "outcome": "pending", "code": "odd", "detail": "seen from 203.0.113.9"}])
    body = events.body_of(events.payload("s", "1000-0", {"comment": comment.id, "from": "processing",
                                                         "to": "rejected", "actor": "worker:w"}, "comment.rejected",
                                         comment))
    assert "example.org" not in body.lower() and "203.0.113.9" not in body
    document = json.loads(body)
    assert document["comment"]["author"] == {"name": "Ada"} and document["decision"]["by"] == "policy"
    assert [finding["detail"] for finding in document["decision"]["findings"]] == [
        "the commenter is banned", "seen from [redacted]"]


# -- the dispatcher and one delivery's tries against a real server --------------------------------
def run_dispatch_until(webhooks, comment_store, site_id, done, timeout=20.0):
    """The dispatcher and the delivery tasks in this process (what beat and workers do)."""
    config = DeliveryConfig(**{name.removeprefix("webhook_"): value for name, value in QUICK.items()
                               if name != "webhook_dispatch_interval"})

    def send(site, delivery_id, attempts):
        deliver(webhooks, site, delivery_id, attempts, config)

    def step():
        dispatch_site(webhooks, comment_store, site_id, send, lease_seconds=config.lease_seconds)
        return done()
    return wait_until(step, timeout, interval=0.05, message="the deliveries")


def test_a_failing_then_timing_out_then_answering_endpoint_gets_three_logged_tries(
        client, site, site_key, webhooks, comment_store, documented_verify):
    script = [(500, b"boom: the CMS is down " + b"x" * 600), ("sleep", 2.0), (201, b"thanks")]
    with Receiver(script) as server:
        endpoint = webhooks.create_endpoint(site.id, server.url, ["comment.created"])
        response = post_comment(client, site_key)
        assert response.status_code == 202
        comment_id = response.json["id"]
        delivery_id = delivery_id_for(endpoint.id, events.event_id(comment_store.audit_events(site.id)[-1]["id"]))

        delivered = run_dispatch_until(webhooks, comment_store, site.id,
                                       lambda: (d := webhooks.delivery(site.id, delivery_id)) and d.state == "delivered" and d)
        requests_seen = server.received()

    tries = delivered.log
    assert [entry["attempt"] for entry in tries] == [1, 2, 3] and delivered.attempts == 3
    assert tries[0]["status"] == 500 and tries[0]["response"].startswith("boom: the CMS is down")
    assert len(tries[0]["response"].encode()) == 500  # the first 500 bytes of the answer
    assert tries[1]["status"] is None and "timeout" in tries[1]["error"]
    assert tries[1]["latency_ms"] >= 600 * 0.9  # waited for the read timeout
    assert tries[2]["status"] == 201 and tries[2]["response"] == "thanks" and not tries[2]["error"]
    assert all(entry["latency_ms"] > 0 and entry["at"] > 0 for entry in tries)
    assert tries[1]["retry_in"] > tries[0]["retry_in"] and "retry_in" not in tries[2]  # the backoff grows
    assert tries[0]["at"] <= tries[1]["at"] <= tries[2]["at"]
    assert len(requests_seen) == 3
    gaps = [b["at"] - a["at"] for a, b in zip(requests_seen, requests_seen[1:])]
    assert gaps[0] >= tries[0]["retry_in"] * 0.9 and gaps[1] > gaps[0]
    # Every try is the same delivery, signed afresh over the same body.
    assert {request["headers"]["Moderation-Delivery"] for request in requests_seen} == {delivery_id}
    assert {request["body"] for request in requests_seen} == {delivered.body.encode()}
    for request in requests_seen:
        assert documented_verify(endpoint.secret, request["body"], request["headers"]["Moderation-Signature"])
        assert request["headers"]["Moderation-Event"] == "comment.created"
    document = json.loads(requests_seen[0]["body"])
    assert document["type"] == "comment.created" and document["comment"]["id"] == comment_id
    assert document["comment"]["status"] == "queued" and document["site"] == site.id


def test_an_endpoint_that_never_answers_well_is_given_up_after_the_last_try(
        client, site, site_key, webhooks, comment_store):
    with Receiver([(503, b"no")] * 10) as server:
        endpoint = webhooks.create_endpoint(site.id, server.url, ["comment.created"])
        assert post_comment(client, site_key).status_code == 202
        failed = run_dispatch_until(webhooks, comment_store, site.id,
                                    lambda: [d for d in webhooks.deliveries(site.id, endpoint.id) if d.state == "failed"])
        assert len(server.received()) == QUICK["webhook_max_attempts"]
    assert failed[0].attempts == QUICK["webhook_max_attempts"] and [e["status"] for e in failed[0].log] == [503] * 4
    assert not comment_store.redis.zcard(keys.webhook_due_key(site.id))  # nothing left to try


def test_redirects_are_not_followed(client, site, site_key, webhooks, comment_store):
    with Receiver([(302, b"")] + [(200, b"ok")] * 5) as server:
        endpoint = webhooks.create_endpoint(site.id, server.url, ["comment.created"])
        assert post_comment(client, site_key).status_code == 202
        delivered = run_dispatch_until(webhooks, comment_store, site.id,
                                       lambda: [d for d in webhooks.deliveries(site.id, endpoint.id) if d.state == "delivered"])
    assert delivered[0].log[0]["status"] == 302 and "not followed" in delivered[0].log[0]["error"]
    assert delivered[0].log[1]["status"] == 200


@pytest.mark.parametrize("store_settings", STORE_TOPOLOGIES, indirect=True)
def test_deliveries_work_on_every_store_topology(client, site, site_key, webhooks, comment_store, store_redis):
    """Every webhook key of a site lies in its slot: the scripts and pipelines run on a cluster too."""
    with Receiver([(500, b"once")]) as server:
        endpoint = webhooks.create_endpoint(site.id, server.url, ["comment.created"])
        assert post_comment(client, site_key).status_code == 202
        delivered = run_dispatch_until(webhooks, comment_store, site.id,
                                       lambda: [d for d in webhooks.deliveries(site.id, endpoint.id) if d.state == "delivered"])
        assert [entry["status"] for entry in delivered[0].log] == [500, 200]
        again = webhooks.redeliver(site.id, delivered[0].id)
        run_dispatch_until(webhooks, comment_store, site.id,
                           lambda: (d := webhooks.delivery(site.id, again.id)) and d.state == "delivered")
        assert len(server.received()) == 3
    assert webhooks.delete_endpoint(site.id, endpoint.id)
    assert not store_redis.exists(keys.webhook_delivery_key(site.id, delivered[0].id), keys.webhook_cursor_key(site.id),
                                  keys.webhook_log_key(site.id, endpoint.id))
    assert site.id not in webhooks.site_ids()


def test_readers_reports_reach_the_endpoint_as_comment_reported(app, client, site, site_key, webhooks, comment_store):
    store = app.extensions["moderation"].comments  # the app's (sees the saved policy at once)
    store.policies.save(site.id, {"reports": {"queue_at": 1, "hide_at": 1}}, "test")
    with Receiver() as server:
        endpoint = webhooks.create_endpoint(site.id, server.url, ["comment.reported", "comment.taken_down"])
        comment_id = post_comment(client, site_key).json["id"]
        assert process_comment(store, site.id, comment_id).status == "approved"
        reported = client.post(f"/api/v1/comments/{comment_id}/reports", json={"reason": "offensive"},
                               headers=auth(site_key))
        assert reported.status_code in (200, 201, 202), reported.get_data(as_text=True)
        run_dispatch_until(webhooks, comment_store, site.id, lambda: server.events() == ["comment.reported"])
        document = json.loads(server.received()[0]["body"])
    assert document["type"] == "comment.reported" and document["comment"]["status"] == "approved"
    assert document["decision"]["by"] == "reader" and document["decision"]["reports"]["count"] == 1
    assert document["decision"]["reports"]["reasons"] == {"offensive": 1} and document["decision"]["reports"]["hidden"]
    assert [d.event for d in webhooks.deliveries(site.id, endpoint.id)] == ["comment.reported"]


def test_dispatching_twice_creates_each_delivery_once(client, site, site_key, webhooks, comment_store):
    endpoint = webhooks.create_endpoint(site.id, "http://127.0.0.1:9/never", ["comment.created"])
    assert post_comment(client, site_key).status_code == 202
    sent: list = []
    first = dispatch_site(webhooks, comment_store, site.id, lambda *args: sent.append(args), lease_seconds=60)
    assert first.created == 1 and len(sent) == 1
    comment_store.redis.delete(keys.webhook_cursor_key(site.id))  # as if the cursor had not been moved
    again = dispatch_site(webhooks, comment_store, site.id, lambda *args: sent.append(args), lease_seconds=60)
    assert again.entries == 1 and again.created == 0
    assert len(sent) == 1  # leased: not handed out again while the first task holds it
    assert len(webhooks.deliveries(site.id, endpoint.id)) == 1
    # The task sent twice for the same try runs once.
    site_id, delivery_id, attempts = sent[0]
    assert webhooks.begin_attempt(site_id, delivery_id, attempts, 60).outcome == "started"
    assert webhooks.begin_attempt(site_id, delivery_id, attempts, 60).outcome == "duplicate"


def test_an_endpoint_gets_no_event_from_before_it_existed(client, site, site_key, webhooks, comment_store):
    assert post_comment(client, site_key).status_code == 202
    time.sleep(0.01)
    endpoint = webhooks.create_endpoint(site.id, "http://127.0.0.1:9/never", ["*"], now=time.time() + 2)
    result = dispatch_site(webhooks, comment_store, site.id, lambda *args: None, lease_seconds=60)
    assert result.created == 0 and webhooks.deliveries(site.id, endpoint.id) == []


# -- end to end: the API, a real worker and beat ---------------------------------------------------
@pytest.mark.e2e
def test_a_posted_comment_reaches_the_receiver_created_approved_taken_down_and_redelivered(
        client, site, site_key, start_worker, receiver, documented_verify, comment_store):
    endpoint = create_endpoint(client, site.id, receiver.url)
    secret = endpoint.pop("secret")
    assert secret.startswith("whsec_")
    start_worker(beat=True)

    response = post_comment(client, site_key, comment_payload(body="A fine <em>point</em>, well made."))
    assert response.status_code == 202
    comment_id = response.json["id"]
    wait_until(lambda: len(receiver.received()) >= 2, 30, message="comment.created and comment.approved")
    assert receiver.events()[:2] == ["comment.created", "comment.approved"]

    for request in receiver.received():
        assert documented_verify(secret, request["body"], request["headers"]["Moderation-Signature"])
        body = request["body"].decode()
        assert "ada@example.org" not in body and "203.0.113.9" not in body  # never the e-mail or IP
    created, approved = (json.loads(request["body"]) for request in receiver.received()[:2])
    assert created["type"] == "comment.created" and created["comment"]["status"] == "queued"
    assert approved["type"] == "comment.approved" and approved["comment"]["id"] == comment_id
    assert approved["comment"]["status"] == "approved" and "<em>point</em>" in approved["comment"]["html"]
    assert approved["comment"]["author"] == {"name": "Ada"}
    assert approved["comment"]["thread_url"] == "https://news.example/articles/123"
    assert approved["decision"]["by"] == "policy" and approved["decision"]["policy_version"]
    assert approved["decision"]["decided_at"] and isinstance(approved["decision"]["findings"], list)

    action = client.post(f"/api/v1/admin/sites/{site.id}/comments/{comment_id}/actions",
                         json={"action": "take_down", "reason": "legal", "note": "court order"}, headers=ADMIN)
    assert action.status_code == 200, action.json
    wait_until(lambda: "comment.taken_down" in receiver.events(), 30, message="comment.taken_down")
    taken_down_request = receiver.received()[receiver.events().index("comment.taken_down")]
    assert documented_verify(secret, taken_down_request["body"], taken_down_request["headers"]["Moderation-Signature"])
    taken_down = json.loads(taken_down_request["body"])
    assert taken_down["comment"]["status"] == "rejected"
    assert taken_down["decision"]["moderated_by"] == "admin-token:ada"
    assert taken_down["decision"]["moderation_reason"] == "legal" and taken_down["decision"]["by"] == "moderator"

    # The delivery log, newest first, with each try.
    listing = client.get(admin_url(site.id, f"/{endpoint['id']}/deliveries"), headers=ADMIN)
    assert listing.status_code == 200
    deliveries = listing.json["deliveries"]
    assert [d["event"] for d in deliveries] == ["comment.taken_down", "comment.approved", "comment.created"]
    times = [d["created_at"] for d in deliveries]  # each delivery dated by its own event
    assert times == sorted(times, reverse=True) and len(set(times)) == 3
    assert {d["event_id"] for d in deliveries} == {json.loads(r["body"])["id"] for r in receiver.received()[:3]}
    assert all(d["state"] == "delivered" and d["attempts"][0]["status"] == 200 for d in deliveries)
    approved_delivery = deliveries[1]
    assert approved_delivery["id"] == receiver.received()[1]["headers"]["Moderation-Delivery"]

    # Redeliver: the same event and body again, as a new delivery.
    before = len(receiver.received())
    redelivered = client.post(admin_url(site.id, f"/{endpoint['id']}/deliveries/{approved_delivery['id']}/redeliver"),
                              headers=ADMIN)
    assert redelivered.status_code == 202 and redelivered.json["redelivery_of"] == approved_delivery["id"]
    wait_until(lambda: len(receiver.received()) > before, 30, message="the redelivery")
    again = receiver.received()[before]
    assert again["headers"]["Moderation-Delivery"] == redelivered.json["id"] != approved_delivery["id"]
    assert again["body"] == receiver.received()[1]["body"]
    assert documented_verify(secret, again["body"], again["headers"]["Moderation-Signature"])
    shown = client.get(admin_url(site.id, f"/{endpoint['id']}/deliveries/{redelivered.json['id']}"), headers=ADMIN).json
    assert shown["state"] == "delivered" and json.loads(shown["body"])["type"] == "comment.approved"
    assert comment_store.get(site.id, comment_id).status == "rejected"


@pytest.mark.e2e
def test_a_worker_stands_in_for_a_silent_beat(client, site, site_key, start_worker, receiver, comment_store):
    endpoint = create_endpoint(client, site.id, receiver.url, ["comment.created"])
    assert post_comment(client, site_key).status_code == 202
    start_worker(worker_heartbeat_interval=0.5)  # no beat anywhere: its first heartbeat dispatches
    wait_until(lambda: receiver.events() == ["comment.created"], 20, message="the stand-in dispatcher")
    assert comment_store.redis.get(keys.webhook_dispatch_mark_key())
    assert webhooks_state(client, site.id, endpoint["id"]) == ["delivered"]


def webhooks_state(client, site_id, endpoint_id) -> list[str]:
    return [d["state"] for d in client.get(admin_url(site_id, f"/{endpoint_id}/deliveries"), headers=ADMIN).json["deliveries"]]


def test_each_endpoints_log_keeps_its_newest_deliveries(site, store_redis):
    from moderation.webhooks.store import Delivery
    small = WebhookStore(store_redis, log_max=3)
    endpoint = small.create_endpoint(site.id, "https://cms.news.example/hooks", ["*"])
    made = [Delivery(f"d_{n:024x}", endpoint.id, "comment.created", f"evt_{n}-0", "c", "{}", 1000.0 + n)
            for n in range(5)]
    assert small.enqueue(site.id, made) == 5
    assert [d.id for d in small.deliveries(site.id, endpoint.id)] == [d.id for d in reversed(made[2:])]
    assert not store_redis.exists(keys.webhook_delivery_key(site.id, made[0].id))
    assert store_redis.zrange(keys.webhook_due_key(site.id), 0, -1) == [d.id for d in made[2:]]


# -- the admin API -------------------------------------------------------------------------------
def test_the_webhook_admin_api_refuses_without_the_admin_token(client, site, site_key):
    urls = [("GET", admin_url(site.id)), ("POST", admin_url(site.id)),
            ("PATCH", admin_url(site.id, "/wh_0123456789abcdef")), ("DELETE", admin_url(site.id, "/wh_0123456789abcdef")),
            ("POST", admin_url(site.id, "/wh_0123456789abcdef/rotate")),
            ("GET", admin_url(site.id, "/wh_0123456789abcdef/deliveries")),
            ("POST", admin_url(site.id, f"/wh_0123456789abcdef/deliveries/d_{'0' * 24}/redeliver"))]
    for method, url in urls:
        for headers in ({}, {"Authorization": "Bearer wrong"}, auth(site_key)):
            response = client.open(url, method=method, headers=headers,
                                   json={"url": "https://x.example/h", "events": ["*"]})
            assert_problem(response, 401)
    assert client.get(admin_url(site.id), headers=ADMIN).json == {"endpoints": []}  # nothing was created


def test_endpoints_are_created_shown_changed_rotated_and_deleted(client, site, store_redis):
    bad = client.post(admin_url(site.id), json={"url": "ftp://cms.example/h", "events": ["comment.nope"]}, headers=ADMIN)
    assert_problem(bad, 422, "/url")
    assert_problem(client.post(admin_url(site.id), json={"url": "https://cms.example/h", "events": ["comment.nope"]},
                               headers=ADMIN), 422, "/events")
    assert_problem(client.post(admin_url(site.id), json={"url": "https://u:p@cms.example/h", "events": ["*"]},
                               headers=ADMIN), 422, "/url")

    created = create_endpoint(client, site.id, "https://cms.news.example/hooks", ["comment.approved", "comment.spam"])
    secret = created["secret"]
    assert created["events"] == ["comment.approved", "comment.spam"] and created["enabled"] is True
    listed = client.get(admin_url(site.id), headers=ADMIN).get_data(as_text=True)
    assert created["id"] in listed and secret not in listed  # the secret is shown once
    assert secret not in client.get(admin_url(site.id, f"/{created['id']}"), headers=ADMIN).get_data(as_text=True)
    assert store_redis.sismember(keys.webhook_sites_key(), site.id)

    changed = client.patch(admin_url(site.id, f"/{created['id']}"), json={"enabled": False, "events": ["*"]},
                           headers=ADMIN)
    assert changed.status_code == 200 and changed.json["enabled"] is False and len(changed.json["events"]) == 7

    rotated = client.post(admin_url(site.id, f"/{created['id']}/rotate"), json={"overlap_seconds": 600}, headers=ADMIN)
    assert rotated.status_code == 200 and rotated.json["secret"] != secret
    assert rotated.json["previous_secret_expires_at"] is not None
    assert_problem(client.post(admin_url(site.id, f"/{created['id']}/rotate"), json={"overlap_seconds": -1},
                               headers=ADMIN), 422, "/overlap_seconds")

    assert client.delete(admin_url(site.id, f"/{created['id']}"), headers=ADMIN).status_code == 204
    assert_problem(client.get(admin_url(site.id, f"/{created['id']}"), headers=ADMIN), 404)
    assert not store_redis.sismember(keys.webhook_sites_key(), site.id)
    assert_problem(client.get(admin_url("0123456789abcdef"), headers=ADMIN), 404)


def test_the_command_line_creates_lists_rotates_and_deletes(app, site, webhooks):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["webhooks", "create", site.id, "https://cms.news.example/hooks",
                                 "--event", "comment.approved"])
    assert result.exit_code == 0, result.output
    endpoint_id = re.search(r"endpoint id: (wh_\w+)", result.output).group(1)
    secret = re.search(r"secret:\s+(whsec_\S+)", result.output).group(1)
    assert webhooks.endpoint(site.id, endpoint_id).secret == secret
    listing = runner.invoke(args=["webhooks", "list", site.id]).output
    assert endpoint_id in listing and "comment.approved" in listing and secret not in listing
    rotated = runner.invoke(args=["webhooks", "rotate", site.id, endpoint_id, "--overlap", "60"])
    assert rotated.exit_code == 0 and secret not in rotated.output
    assert webhooks.endpoint(site.id, endpoint_id).previous_secret == secret
    assert runner.invoke(args=["webhooks", "create", site.id, "ftp://x.example/"]).exit_code != 0
    assert runner.invoke(args=["webhooks", "delete", site.id, endpoint_id]).exit_code == 0
    assert webhooks.endpoint(site.id, endpoint_id) is None


def test_store_refuses_wrong_urls():
    from moderation.webhooks.store import checked_url
    for url in ("javascript:alert(1)", "https://", "http://exa mple.org/", "https://x.example/#f", "", 42):
        with pytest.raises(WebhookError):
            checked_url(url)
    assert checked_url(" https://x.example:8443/h?a=1 ") == "https://x.example:8443/h?a=1"
