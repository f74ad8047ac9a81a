"""Who is asking, for the dashboard and the admin API: the session cookie, roles, sites, CSRF.

The cookie (``mod_session``) holds a random token; :class:`~moderation.store.accounts.AccountStore`
keeps its hash and the session's CSRF token. Every state-changing request made with the cookie
must carry that CSRF token (a form field ``csrf_token`` or the ``X-CSRF-Token`` header),
compared in constant time; the cookie is also ``SameSite=Lax``, so another site's form cannot
send it with a POST in the first place.
"""
from __future__ import annotations

from flask import g, request

from moderation.api.deps import services
from moderation.problems import Problem
from moderation.store.accounts import Account, Session, same_token

COOKIE_NAME = "mod_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def current_session() -> Session | None:
    """The request's live session (read once per request), or None."""
    if "mod_session" not in g:
        g.mod_session = services().accounts.session(request.cookies.get(COOKIE_NAME))
    return g.mod_session


def check_csrf(session: Session) -> None:
    """403 unless a state-changing request carries the session's CSRF token."""
    if request.method in SAFE_METHODS:
        return
    presented = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token")
    if not same_token(presented, session.csrf_token):
        raise Problem(403, "Forbidden", "The request carries no valid CSRF token: reload the page and try again.",
                      type_slug="csrf")


def session_actor(account: Account) -> str:
    """How a dashboard user appears in audit trails."""
    return f"user:{account.name}"


def require_role(account: Account, role: str) -> None:
    if role == "admin" and not account.is_admin:
        raise Problem(403, "Forbidden", "This needs the admin role.", type_slug="forbidden-role")


def require_site(account: Account, site_id: str) -> None:
    if not account.may_see(site_id):
        raise Problem(403, "Forbidden", "This account may not see that site.", type_slug="forbidden-site")
