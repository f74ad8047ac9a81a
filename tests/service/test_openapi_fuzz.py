"""Schemathesis against the real app and a real Redis, driven by the app's own OpenAPI document.

One test per documented operation (the document is built without the app, so the tests are
known at collection; test_openapi.py checks the app serves that same document). Each gets
generated requests, valid and invalid (schemathesis' examples, coverage and fuzzing phases; at
most 50 fuzzed cases per mode, deterministic), sent with the site's secret key or the admin
token so the authenticated code runs too; path ids are mostly real ones (a site, a comment, a
throwaway key, a webhook endpoint and its delivery) so the answers are not all 404. Every
answer must be no 5xx, a documented status with the documented media type and headers, and a
body valid against its schema.

Why not ``schemathesis.pytest.from_fixture``: its lazy loader sets ``Item._nodeid``, which
pytest 9.2 no longer has; loading from the document itself avoids it (and needs no app to collect).
"""
from __future__ import annotations

import hashlib
import time
import zlib
from dataclasses import dataclass

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_headers_conformance, response_schema_conformance, status_code_conformance,
)

from moderation.api.openapi import document
from moderation.webhooks.dispatch import dispatch_site
from moderation.webhooks.store import WebhookStore
from tests.service.helpers import comment_payload, post_comment

ADMIN_TOKEN = "test-admin-token-fuzz-0123456"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
CONFIG = {
    "generation": {"mode": "all", "max-examples": 50, "deterministic": True, "database": "none",
                   "with-security-parameters": False},
    "phases": {"stateful": {"enabled": False}},
}
schema = schemathesis.openapi.from_dict(document(), config=SchemathesisConfig.from_dict(CONFIG))


@pytest.fixture
def settings_overrides():
    return {"admin_token_sha256": hashlib.sha256(ADMIN_TOKEN.encode()).hexdigest()}


@dataclass
class Known:
    """Real ids to put in generated paths, and the credentials to send."""

    ids: dict[str, str]
    site_key: str
    status_token: str  # the known comment's

    def prepare(self, case) -> dict:
        """Replace most generated path ids with real ones (the rest stay: the unknown-id answers
        are part of the contract too) and return the headers that authenticate the request."""
        for name, value in list(case.path_parameters.items()):
            known = self.ids.get(name)
            keep_generated = zlib.crc32(str(value).encode("utf-8", "surrogatepass")) % 4 == 0
            if known and (name == "site_id" or not keep_generated):
                case.path_parameters[name] = known
        if case.path_parameters.get("comment_id") == self.ids["comment_id"] and isinstance(case.query, dict) \
                and "token" in case.query:
            case.query["token"] = self.status_token
        token = ADMIN_TOKEN if case.path.startswith("/api/v1/admin") else self.site_key
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def known(app, client, site, site_key, site_store, store_redis, site_comments) -> Known:
    """A site with an approved comment, a throwaway public key, a webhook endpoint and a delivery."""
    comment_id = post_comment(client, site_key).get_json()["id"]
    site_comments.process(comment_id)
    key_id = site_store.create_key(site.id, "public", "throwaway")[0].id
    webhooks = WebhookStore(store_redis)
    endpoint = webhooks.create_endpoint(site.id, "http://127.0.0.1:9/never", ["comment.created"], now=time.time() - 1)
    post_comment(client, site_key, comment_payload(thread="other-thread"))
    dispatch_site(webhooks, app.extensions["moderation"].comments, site.id, lambda *args: None, lease_seconds=3600)
    delivery_id = webhooks.deliveries(site.id, endpoint.id)[0].id
    return Known({"site_id": site.id, "comment_id": comment_id, "key_id": key_id, "endpoint_id": endpoint.id,
                  "delivery_id": delivery_id, "thread": "article-123"}, site_key,
                 app.extensions["moderation"].tokens.status_token(site.id, comment_id))


@schema.parametrize()
@settings(deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
def test_every_operation_keeps_the_documented_contract(case, app, known):
    case.call_and_validate(app=app, headers=known.prepare(case), checks=CHECKS)
