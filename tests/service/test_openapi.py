"""The OpenAPI document (/api/v1/openapi.json) against the real app and a real Redis: it is valid
OpenAPI 3.1, it names every route of the URL map and nothing else, real answers of every
operation (successes and errors) validate against it, and /api/docs shows all of it as a page."""
from __future__ import annotations

import hashlib
import json
import re
import time

import pytest
from openapi_spec_validator import validate

from moderation.api import openapi
from moderation.processing import process_comment
from moderation.webhooks.dispatch import dispatch_site
from moderation.webhooks.store import WebhookStore
from tests.service.helpers import comment_payload
from tests.service.openapi_contract import Contract, operations, url_rule_as_template

ADMIN_TOKEN = "test-admin-token-openapi-0123"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}", "X-Moderator": "ada"}
ORIGIN = "https://news.example"
THREAD = "article-123"
# Routes outside /api/ that the document covers too (health and metrics); the rest (the
# dashboard's pages, the embed script) are not part of the API.
DOCUMENTED_ELSEWHERE = ("/livez", "/readyz", "/metrics")


@pytest.fixture
def settings_overrides():
    return {"admin_token_sha256": hashlib.sha256(ADMIN_TOKEN.encode()).hexdigest()}


@pytest.fixture
def document(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    return response.get_json()


@pytest.fixture
def contract(client, document) -> Contract:
    return Contract(client, document)


@pytest.fixture
def public_key(site, site_store) -> str:
    return site_store.create_key(site.id, "public", "embed")[1]


def key(api_key: str, **headers) -> dict:
    return {"Authorization": f"Bearer {api_key}", **headers}


def test_the_document_is_valid_openapi_3_1(document):
    assert document == openapi.document()  # what test_openapi_fuzz.py loads without the app
    assert document["openapi"] == "3.1.0"
    validate(document)  # raises on any violation of the OpenAPI 3.1 schema or unresolvable $ref
    operation_ids = [operation["operationId"] for operation in operations(document).values()]
    assert len(operation_ids) == len(set(operation_ids)) >= 40


def url_map_operations(app) -> set[tuple[str, str]]:
    """(METHOD, path template) of every API route; OPTIONS only where a view answers it (CORS
    preflights), not Flask's automatic answer."""
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") and rule.rule not in DOCUMENTED_ELSEWHERE:
            continue
        methods = set(rule.methods) - {"HEAD"}
        if rule.provide_automatic_options:
            methods.discard("OPTIONS")
        found |= {(method, url_rule_as_template(rule.rule)) for method in methods}
    return found


def test_every_route_is_documented_and_every_operation_is_a_route(app, document):
    routes, documented = url_map_operations(app), set(operations(document))
    assert routes - documented == set(), "routes missing from moderation/api/openapi"
    assert documented - routes == set(), "documented operations the app does not have"


def test_every_operation_answers_as_documented(app, client, contract, site, site_key, public_key, store_redis):
    """One walk through every operation with real data, each answer validated (the walk fails if
    an operation is added to the document without being exercised here)."""
    comment_id = _comments_and_threads(app, contract, site, site_key)
    _readers_browsers(app, contract, site, public_key)
    _operations_and_docs(contract)
    _admin_policy_and_queues(contract, site, comment_id)
    _admin_sites_and_keys(contract, site)
    _admin_webhooks(app, contract, site, site_key, store_redis)
    assert contract.operations_not_exercised() == set()


def _comments_and_threads(app, contract, site, site_key) -> str:
    posted = contract.call("POST", "/api/v1/comments", json=comment_payload(), headers=key(site_key))
    assert posted.status_code == 202 and posted.headers["Location"] == posted.get_json()["url"]
    form = {"thread": THREAD, "author_name": "Bo", "body": "By form", "parent": posted.get_json()["id"]}
    assert contract.call("POST", "/api/v1/comments", data=form, headers=key(site_key)).status_code == 202
    comment_id = posted.get_json()["id"]
    assert contract.call("GET", "/api/v1/comments/{comment_id}", {"comment_id": comment_id},
                         headers=key(site_key)).get_json()["status"] == "queued"
    for posted_id in _queued_ids(app, site):
        process_comment(app.extensions["moderation"].comments, site.id, posted_id)
    shown = contract.call("GET", "/api/v1/comments/{comment_id}", {"comment_id": comment_id}, headers=key(site_key))
    assert shown.get_json()["status"] == "approved" and shown.get_json()["decision"]["status"] == "approved"
    first = contract.call("GET", "/api/v1/threads/{thread}/comments", {"thread": THREAD},
                          query_string={"site": site.id, "limit": 1}, headers={"Origin": ORIGIN})
    assert first.get_json()["count"] == 2 and first.headers["Access-Control-Allow-Origin"] == ORIGIN
    rest = contract.call("GET", "/api/v1/threads/{thread}/comments", {"thread": THREAD}, headers=key(site_key),
                         query_string={"cursor": first.get_json()["next_cursor"]})
    assert rest.get_json()["next_cursor"] is None
    reported = contract.call("POST", "/api/v1/comments/{comment_id}/reports", {"comment_id": comment_id},
                             json={"reason": "spam", "reporter": "cms-user-1"}, headers=key(site_key))
    assert reported.get_json() == {"comment": comment_id, "reports": 1, "status": "counted"}
    return comment_id


def _queued_ids(app, site) -> list[str]:
    store = app.extensions["moderation"].comments
    return [event["comment"] for event in store.audit_events(site.id) if event.get("to") == "queued"]


def _readers_browsers(app, contract, site, public_key):
    browser = key(public_key, Origin=ORIGIN)
    token = contract.call("GET", "/api/v1/form-token", headers=browser)
    assert token.get_json()["usable_after_seconds"] == 2
    aged = app.extensions["moderation"].tokens.form_token(site.id, now=time.time() - 5)
    posted = contract.call("POST", "/api/v1/comments", json={**comment_payload(), "form_token": aged, "website": ""},
                           headers=browser)
    status_token = posted.get_json()["status_token"]
    own = contract.call("GET", "/api/v1/comments/{comment_id}/status", {"comment_id": posted.get_json()["id"]},
                        query_string={"token": status_token})
    assert own.get_json()["status"] == "awaiting_moderation"
    assert contract.call("GET", "/api/v1/formats").get_json()["default"]
    preflights = ["/api/v1/comments", "/api/v1/comments/{comment_id}/status", "/api/v1/comments/{comment_id}/reports",
                  "/api/v1/threads/{thread}/comments", "/api/v1/formats", "/api/v1/form-token"]
    for template in preflights:
        answer = contract.call("OPTIONS", template, {"comment_id": "0" * 32, "thread": THREAD},
                               headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"})
        assert answer.status_code == 204 and answer.headers["Access-Control-Allow-Origin"] == ORIGIN


def _operations_and_docs(contract):
    assert contract.call("GET", "/livez").get_json() == {"status": "alive"}
    assert contract.call("GET", "/readyz").get_json()["checks"]["redis"] == "ok"
    assert b"moderation_http_requests_total" in contract.call("GET", "/metrics").data
    for template in ("/api/v1/openapi.json", "/api/docs", "/api/docs.css"):
        assert contract.call("GET", template).status_code == 200


def _admin_policy_and_queues(contract, site, comment_id):
    at_site = {"site_id": site.id}
    policy = "/api/v1/admin/sites/{site_id}/policy"
    assert contract.call("GET", policy, at_site, headers=ADMIN).get_json()["is_default"]
    changed = contract.call("PATCH", policy, at_site, json={"links": {"max": 3}}, headers=ADMIN)
    assert changed.get_json()["version"] == "v1"
    assert contract.call("PUT", policy, at_site, json={"mode": "pre"}, headers=ADMIN).get_json()["version"] == "v2"
    versions = contract.call("GET", policy + "/versions", at_site, headers=ADMIN).get_json()["versions"]
    assert [entry["version"] for entry in versions] == ["v2", "v1"]
    replay = contract.call("POST", policy + "/replay", at_site, json={"policy": {"mode": "post"}}, headers=ADMIN)
    assert replay.get_json()["compared"] >= 1
    queue = "/api/v1/admin/sites/{site_id}/comments"
    assert contract.call("GET", queue, at_site, headers=ADMIN).get_json()["status"] == "pending"
    approved = contract.call("GET", queue, at_site, query_string={"status": "approved", "thread": THREAD},
                             headers=ADMIN).get_json()
    assert comment_id in [comment["id"] for comment in approved["comments"]]
    one = {**at_site, "comment_id": comment_id}
    detail = contract.call("GET", queue + "/{comment_id}", one, headers=ADMIN).get_json()
    assert detail["history"] and detail["reports"]["count"] == 1
    acted = contract.call("POST", queue + "/{comment_id}/actions", one, headers=ADMIN,
                          json={"action": "take_down", "reason": "spam", "note": "advert"})
    assert acted.get_json()["comment"]["status"] == "rejected"
    banned = contract.call("POST", "/api/v1/admin/sites/{site_id}/commenters", at_site, headers=ADMIN,
                           json={"action": "ban", "comment": comment_id})
    assert banned.get_json()["commenters"]["banned"]


def _admin_sites_and_keys(contract, site):
    sites = "/api/v1/admin/sites"
    assert site.id in [entry["id"] for entry in contract.call("GET", sites, headers=ADMIN).get_json()["sites"]]
    created = contract.call("POST", sites, json={"name": "Other News", "origins": ["https://other.example"]},
                            headers=ADMIN).get_json()
    assert created["secret_key"].startswith("mk_")
    at_site = {"site_id": created["id"]}
    assert contract.call("PATCH", sites + "/{site_id}", at_site, json={"default_format": "plain_text"},
                         headers=ADMIN).get_json()["default_format"] == "plain_text"
    made = contract.call("POST", sites + "/{site_id}/keys", at_site, json={"kind": "public", "label": "embed"},
                         headers=ADMIN).get_json()
    rotated = contract.call("POST", sites + "/{site_id}/keys/{key_id}/rotate", {**at_site, "key_id": made["id"]},
                            json={"grace_seconds": 60}, headers=ADMIN).get_json()
    assert rotated["key"].startswith("pk_") and rotated["old_key_expires_in_seconds"] == 60
    keys = contract.call("GET", sites + "/{site_id}", at_site, headers=ADMIN).get_json()["keys"]
    assert {entry["kind"] for entry in keys} == {"secret", "public"}
    assert contract.call("DELETE", sites + "/{site_id}/keys/{key_id}", {**at_site, "key_id": rotated["id"]},
                         headers=ADMIN).status_code == 204


def _admin_webhooks(app, contract, site, site_key, store_redis):
    hooks = "/api/v1/admin/sites/{site_id}/webhooks"
    at_site = {"site_id": site.id}
    created = contract.call("POST", hooks, at_site, headers=ADMIN,
                            json={"url": "http://127.0.0.1:9/never", "events": ["comment.created"]}).get_json()
    assert created["secret"].startswith("whsec_")
    one = {**at_site, "endpoint_id": created["id"]}
    assert [entry["id"] for entry in contract.call("GET", hooks, at_site, headers=ADMIN).get_json()["endpoints"]] == [
        created["id"]]
    assert contract.call("GET", hooks + "/{endpoint_id}", one, headers=ADMIN).get_json()["enabled"]
    assert contract.call("PATCH", hooks + "/{endpoint_id}", one, json={"description": "CMS"},
                         headers=ADMIN).get_json()["description"] == "CMS"
    rotated = contract.call("POST", hooks + "/{endpoint_id}/rotate", one, headers=ADMIN).get_json()
    assert rotated["previous_secret_expires_at"] is not None
    time.sleep(0.01)
    contract.client.post("/api/v1/comments", json=comment_payload(), headers=key(site_key))
    dispatch_site(WebhookStore(store_redis), app.extensions["moderation"].comments, site.id, lambda *args: None,
                  lease_seconds=60)
    deliveries = contract.call("GET", hooks + "/{endpoint_id}/deliveries", one, headers=ADMIN).get_json()["deliveries"]
    assert deliveries and deliveries[0]["event"] == "comment.created"
    delivery = {**one, "delivery_id": deliveries[0]["id"]}
    shown = contract.call("GET", hooks + "/{endpoint_id}/deliveries/{delivery_id}", delivery, headers=ADMIN).get_json()
    assert '"type":"comment.created"' in shown["body"]
    contract.validate(json.loads(shown["body"]), "components/schemas/WebhookEvent", "webhook body")
    again = contract.call("POST", hooks + "/{endpoint_id}/deliveries/{delivery_id}/redeliver", delivery, headers=ADMIN)
    assert again.get_json()["redelivery_of"] == deliveries[0]["id"]
    assert contract.call("DELETE", hooks + "/{endpoint_id}", one, headers=ADMIN).status_code == 204


def test_error_answers_match_the_problem_schema(app, contract, site, site_key, public_key, site_comments):
    post = "/api/v1/comments"
    assert contract.call("POST", post, json=comment_payload()).status_code == 401
    assert contract.call("POST", post, data=b'{"thread": ', content_type="application/json",
                         headers=key(site_key)).status_code == 400
    assert contract.call("POST", post, data=b"hello", content_type="text/plain",
                         headers=key(site_key)).status_code == 415
    assert contract.call("POST", post, data=b"x" * (70 * 1024), content_type="application/json",
                         headers=key(site_key)).status_code == 413
    invalid = contract.call("POST", post, json=comment_payload(author={"email": "nope"}), headers=key(site_key))
    assert {error["pointer"] for error in invalid.get_json()["errors"]} == {"/author/name", "/author/email"}
    assert contract.call("POST", post, json=comment_payload(), headers=key(public_key)).status_code == 403
    elsewhere = key(site_key, Origin="https://evil.example")
    assert contract.call("GET", "/api/v1/form-token", headers=elsewhere).status_code == 403
    bad_limit = contract.call("GET", "/api/v1/threads/{thread}/comments", {"thread": THREAD},
                              query_string={"site": site.id, "limit": "0"})
    assert bad_limit.get_json()["errors"] == [{"parameter": "limit", "detail": "not an integer in range"}]
    assert contract.call("GET", "/api/v1/threads/{thread}/comments", {"thread": THREAD}).status_code == 404
    missing = {"comment_id": "0" * 32}
    assert contract.call("GET", "/api/v1/comments/{comment_id}", missing, headers=key(site_key)).status_code == 404
    assert contract.call("GET", "/api/v1/comments/{comment_id}/status", missing,
                         query_string={"token": "x"}).status_code == 404
    queued = {"comment_id": contract.client.post(post, json=comment_payload(), headers=key(site_key)).get_json()["id"]}
    unpublished = contract.call("POST", "/api/v1/comments/{comment_id}/reports", queued, json={"reason": "spam"},
                                headers=key(site_key))
    assert unpublished.status_code == 409 and unpublished.get_json()["current_status"] == "queued"
    assert contract.call("POST", "/api/v1/comments/{comment_id}/reports", queued, json={"reason": "meh"},
                         headers=key(site_key)).status_code == 422
    _admin_errors(contract, site, queued["comment_id"])


def _admin_errors(contract, site, comment_id):
    at_site = {"site_id": site.id}
    assert contract.call("GET", "/api/v1/admin/sites").status_code == 401
    assert contract.call("GET", "/api/v1/admin/sites/{site_id}", {"site_id": "nosuchsite"},
                         headers=ADMIN).status_code == 404
    assert contract.call("PATCH", "/api/v1/admin/sites/{site_id}/policy", at_site, data=b"[1]",
                         content_type="application/json", headers=ADMIN).status_code == 400
    assert contract.call("PATCH", "/api/v1/admin/sites/{site_id}/policy", at_site, json={"mode": "sometimes"},
                         headers=ADMIN).status_code == 422
    not_allowed = contract.call("POST", "/api/v1/admin/sites/{site_id}/comments/{comment_id}/actions",
                                {**at_site, "comment_id": comment_id}, json={"action": "take_down", "reason": "spam"},
                                headers=ADMIN)
    assert not_allowed.status_code == 409 and not_allowed.get_json()["type"] == "/problems/invalid-transition"
    assert contract.call("GET", "/api/v1/admin/sites/{site_id}/comments", at_site, query_string={"status": "nope"},
                         headers=ADMIN).status_code == 400


def test_rate_limited_and_unavailable_answers_match_the_document(effective_settings, site, site_key):
    from moderation import create_app
    from tests.support.ports import free_port

    def app_with(**settings):
        config = {f"MODERATION_{name.upper()}": value for name, value in {**effective_settings, **settings}.items()}
        application = create_app({**config, "TESTING": True})
        return Contract(application.test_client(), application.test_client().get("/api/v1/openapi.json").get_json())

    limited = app_with(site_rate_limit="1/minute")
    assert limited.call("POST", "/api/v1/comments", json=comment_payload(), headers=key(site_key)).status_code == 202
    refused = limited.call("POST", "/api/v1/comments", json=comment_payload(), headers=key(site_key))
    assert refused.status_code == 429 and refused.get_json()["limited_by"] == "site" and refused.headers["Retry-After"]
    # Reports are counted per reader address before the comment is looked up (probing costs too).
    reports = app_with(report_rate_limit="1/hour")
    report = {"reason": "spam", "client": {"ip": "192.0.2.9"}}
    at = {"comment_id": "0" * 32}
    assert reports.call("POST", "/api/v1/comments/{comment_id}/reports", at, json=report,
                        headers=key(site_key)).status_code == 404
    flood = reports.call("POST", "/api/v1/comments/{comment_id}/reports", at, json=report, headers=key(site_key))
    assert flood.status_code == 429 and flood.get_json()["limited_by"] == "ip" and flood.headers["Retry-After"]
    down = app_with(redis_url=f"redis://127.0.0.1:{free_port()}/0")
    assert down.call("GET", "/readyz").get_json()["checks"]["redis"] == "fail"
    assert down.call("POST", "/api/v1/comments", json=comment_payload(), headers=key(site_key)).status_code == 503


def test_the_docs_page_lists_every_operation_without_script_or_cdn(client, document):
    response = client.get("/api/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy and "unsafe-inline" not in policy
    page = response.get_data(as_text=True)
    assert "<script" not in page.lower() and " style=" not in page.lower() and "<style" not in page.lower()
    assert not re.search(r"""(?:src|href)=["'](?:https?:)?//""", page), "the page loads nothing from elsewhere"
    for (method, path), operation in operations(document).items():
        assert f'id="{operation["operationId"]}"' in page and path in page, (method, path)
    for name in document["components"]["schemas"]:
        assert f'id="schema-{name}"' in page
    stylesheet = client.get("/api/docs.css")
    assert stylesheet.status_code == 200 and stylesheet.mimetype == "text/css"
