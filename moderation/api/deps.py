"""What the views share: the services built by ``create_app`` and site authentication."""
from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime, timezone

import redis
from celery import Celery
from flask import current_app, g, request

from moderation.browser_tokens import BrowserTokens
from moderation.intake import Intake
from moderation.metrics import StoreCollector
from moderation.problems import Problem
from moderation.settings import Settings
from moderation.store import CommentStore, SiteStore
from moderation.store.accounts import AccountStore
from moderation.store.sites import Site
from moderation.store.workers import WorkerRegistry
from workers.celery_app import DRAIN_COMMENTS_TASK

EXTENSION_NAME = "moderation"


@dataclass
class Services:
    """Everything a request may need, built once per app."""

    settings: Settings
    comments: CommentStore
    sites: SiteStore
    intake: Intake
    workers: WorkerRegistry
    store_collector: StoreCollector
    celery: Celery
    broker: redis.Redis | None  # a client on the broker's Redis (the store's when it lives there), else None
    accounts: AccountStore  # dashboard accounts and sessions
    tokens: BrowserTokens   # status and form tokens for readers' browsers


def wake_site(celery: Celery, site_id: str) -> None:
    """Send a drain task for the site's ready list (by name: the API does not import the task code)."""
    celery.send_task(DRAIN_COMMENTS_TASK, args=[site_id])


def services() -> Services:
    return current_app.extensions[EXTENSION_NAME]


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticated_site(allow_public: bool = False) -> Site:
    """The site whose API key the request carries: 401 without a valid key, 403 when a browser
    ``Origin`` header names an origin the site does not allow. A public site key is accepted
    only where ``allow_public`` (the endpoints a reader's page calls) and only with an allowed
    ``Origin``; :func:`request_key_kind` then says "public"."""
    token = bearer_token()
    if token is None:
        raise Problem(401, "Unauthorized", "Send the site's API key as 'Authorization: Bearer <key>'.",
                      headers={"WWW-Authenticate": 'Bearer realm="moderation"'})
    found = services().sites.authenticate_key(token)
    if found is None:
        raise Problem(401, "Unauthorized", "The API key is not valid.",
                      headers={"WWW-Authenticate": 'Bearer realm="moderation", error="invalid_token"'})
    site, key = found
    origin = request.headers.get("Origin")
    if origin and not site.allows_origin(origin):
        raise Problem(403, "Forbidden", f"Origin {origin!r} is not allowed for this site.",
                      type_slug="origin-not-allowed")
    if key.kind == "public":
        if not allow_public:
            raise Problem(403, "Forbidden", "This endpoint needs the site's secret key, not its public key.",
                          type_slug="secret-key-required")
        if not origin:
            raise Problem(403, "Forbidden", "A public site key works only from the site's web pages (an allowed "
                          "Origin).", type_slug="origin-not-allowed")
    g.api_key_kind = key.kind
    if key.kind == "public":
        g.public_site = site  # its errors get CORS too (request_hooks), so the page can read them
    return site


def request_key_kind() -> str:
    """The kind of key the request was authenticated with ("secret" or "public")."""
    return g.get("api_key_kind", "secret")


def iso_time(epoch_seconds: float | None) -> str | None:
    """Epoch seconds -> ``2026-11-27T06:30:00.123Z`` (None stays None)."""
    if epoch_seconds is None:
        return None
    moment = datetime.fromtimestamp(epoch_seconds, timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def public_url(path: str) -> str:
    """An absolute URL for ``path``, on MODERATION_PUBLIC_URL or the request's host."""
    base = services().settings.public_url.rstrip("/") or request.host_url.rstrip("/")
    return base + path


def author_document(name: str) -> dict:
    """A commenter as the API shows them. ``name`` is plain text exactly as submitted (never
    HTML); ``name_html`` is the same text escaped, ready to print inside an HTML element."""
    return {"name": name, "name_html": html.escape(name, quote=True)}
