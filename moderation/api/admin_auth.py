"""Who may call the admin API: the holder of the admin token, or a dashboard session.

The token is compared as SHA-256 digests in constant time, so neither its length nor its
first wrong character shows in the time an answer takes. It acts as an admin on every site.
A request without ``Authorization`` may instead carry the dashboard's session cookie: then
state changes need the session's CSRF token (``X-CSRF-Token``), and the account's role and
sites apply (:func:`require_admin_access`).
"""
from __future__ import annotations

import hashlib
import hmac

from flask import request

from moderation.api.deps import bearer_token, services
from moderation.problems import Problem
from moderation.store.accounts import Account

ADMIN_ACTOR_PREFIX = "admin-token"


def expected_digest() -> bytes | None:
    settings = services().settings
    if settings.admin_token_sha256:
        try:
            return bytes.fromhex(settings.admin_token_sha256.strip())
        except ValueError:
            return None
    if settings.admin_token:
        return hashlib.sha256(settings.admin_token.encode()).digest()
    return None


def require_admin_access(role: str, site_id: str | None) -> tuple[str, Account | None]:
    """(actor name to audit, the dashboard account or None for the token) for a request that
    needs ``role`` on ``site_id``; 401 without credentials, 403 for the wrong role or site."""
    from moderation.dashboard import auth as dashboard_auth  # the dashboard imports the API's helpers

    if "Authorization" not in request.headers:
        session = dashboard_auth.current_session()
        if session is not None:
            dashboard_auth.check_csrf(session)
            dashboard_auth.require_role(session.account, role)
            if site_id is not None:
                dashboard_auth.require_site(session.account, site_id)
            return dashboard_auth.session_actor(session.account), session.account
    return require_admin(), None


def require_admin() -> str:
    """The actor name to audit; 401 (with WWW-Authenticate) without the right token."""
    expected = expected_digest()
    if expected is None:
        raise Problem(401, "Unauthorized", "The admin API is off: set MODERATION_ADMIN_TOKEN_SHA256 (or "
                      "MODERATION_ADMIN_TOKEN) and send it as 'Authorization: Bearer <token>'.",
                      headers={"WWW-Authenticate": 'Bearer realm="moderation-admin"'})
    token = bearer_token()
    presented = hashlib.sha256((token or "").encode()).digest()
    if token is None or not hmac.compare_digest(presented, expected):
        raise Problem(401, "Unauthorized", "Send the admin token as 'Authorization: Bearer <token>'.",
                      headers={"WWW-Authenticate": 'Bearer realm="moderation-admin", error="invalid_token"'})
    return request_actor()


def request_actor() -> str:
    """Who acts, for the audit trail: the admin token's holder, with the name the caller gives
    in ``X-Moderator`` (a tool acting for a person), cleaned to a short plain string."""
    given = "".join(char for char in request.headers.get("X-Moderator", "")[:64] if char.isprintable()).strip()
    return f"{ADMIN_ACTOR_PREFIX}:{given}" if given else ADMIN_ACTOR_PREFIX
