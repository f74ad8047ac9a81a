"""The API's contract: an OpenAPI 3.1 document, built here from small parts and kept in step with
the views (tests/service/test_openapi.py checks every route is in it, and real answers against it).

- :mod:`.schemas`, :mod:`.admin_schemas`: ``components/schemas``, every body the API reads or writes;
- :mod:`.parts`: responses, problems, parameters, security schemes;
- :mod:`.public_paths`, :mod:`.admin_paths`, :mod:`.admin_site_paths`: the operations;
- :mod:`moderation.api.docs`: serves it at ``/api/v1/openapi.json`` and as a page at ``/api/docs``.

Change a view, change its operation here in the same commit.
"""
from __future__ import annotations

import copy
import functools

from moderation.api.openapi.admin_paths import admin_paths
from moderation.api.openapi.parts import HEADERS, SECURITY_SCHEMES, json_body
from moderation.api.openapi.public_paths import public_paths
from moderation.api.openapi.schemas import schemas

VERSION = "3.1.0"
DESCRIPTION = """Comment moderation for news sites: sites submit comments, workers decide them under the
site's policy, readers' pages list the approved ones, moderators act on the rest.

Requests and answers are JSON (UTF-8); every error is `application/problem+json` (RFC 9457, the
`Problem` schema), its `type` one of the `/problems/...` slugs in docs/api.md. Every answer carries
`X-Request-Id` (the request's, when sane, else a new one) and `X-Content-Type-Options: nosniff`;
an answer to a request with `Authorization` also says `Cache-Control: no-store`.
Any operation that needs Redis may answer `503 /problems/store-unavailable` with `Retry-After`."""
TAGS = [
    {"name": "Comments", "description": "A site's servers, with its secret key (some also take the public key)."},
    {"name": "Readers' browsers", "description": "What a reader's page calls: the public key with an allowed "
                                                 "Origin, a status token, or nothing; CORS preflights."},
    {"name": "Admin: policy", "description": "A site's moderation policy, its versions, dry-run replays."},
    {"name": "Admin: queues", "description": "Moderators' queues and actions, commenter bans and trust."},
    {"name": "Admin: sites and keys", "description": "Sites, their origins and their keys (admin role)."},
    {"name": "Admin: webhooks", "description": "Signed notifications of a site's comment events (admin role)."},
    {"name": "Operations", "description": "Health and metrics."},
    {"name": "Documentation", "description": "This document."},
]


def _webhooks() -> dict:
    """OpenAPI 3.1 ``webhooks``: what the service POSTs to a site's endpoints (docs/webhooks.md)."""
    headers = {name: {"description": description, "schema": {"type": "string"}} for name, description in (
        ("Moderation-Event", "the event's type"), ("Moderation-Delivery", "the delivery's id (dedupe on it)"),
        ("Moderation-Signature", "t=<unix seconds>,v1=<hex HMAC-SHA256 of t.body>[,v1=… during a rotation]"))}
    return {"commentEvent": {"post": {
        "operationId": "commentEvent", "summary": "A comment event, to a site's webhook endpoint",
        "description": "Answer with any 2xx within the read timeout; anything else is retried with backoff.",
        "parameters": [{"name": name, "in": "header", "required": True, **spec} for name, spec in headers.items()],
        "requestBody": json_body("WebhookEvent"),
        "responses": {"2XX": {"description": "Received."}}}}}


@functools.lru_cache(maxsize=1)
def _built() -> dict:
    return {
        "openapi": VERSION,
        "info": {"title": "Comment moderation API", "version": "1", "description": DESCRIPTION,
                 "license": {"name": "Proprietary", "identifier": "LicenseRef-Proprietary"}},
        "tags": TAGS,
        "paths": {**public_paths(), **admin_paths()},
        "webhooks": _webhooks(),
        "components": {"schemas": schemas(), "securitySchemes": SECURITY_SCHEMES, "headers": HEADERS},
    }


def document() -> dict:
    """The whole document (a fresh copy: callers may change it)."""
    return copy.deepcopy(_built())
