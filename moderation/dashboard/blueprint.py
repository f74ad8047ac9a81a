"""The dashboard's blueprint and what every one of its requests goes through.

Every route needs a live session (GET without one is sent to the login page; anything else
is refused), state changes need the session's CSRF token, routes marked :func:`admin_only`
need the admin role, and a ``site_id`` in the URL must be one of the account's sites. Every
answer carries a Content-Security-Policy without inline script or style, ``X-Frame-Options:
DENY`` and ``Cache-Control: no-store`` (queues hold personal data).
"""
from __future__ import annotations

import time

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for

from moderation.api.deps import services
from moderation.dashboard import auth
from moderation.dashboard.cards import age_text
from moderation.problems import Problem, problem_response
from moderation.store.accounts import Session
from moderation.store.sites import Site

bp = Blueprint("dashboard", __name__, url_prefix="/admin", template_folder="templates",
               static_folder="static", static_url_path="/static")

# No inline script or style anywhere; the comment's own HTML is shown in a sandboxed iframe
# (no scripts) whose srcdoc inherits this policy.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "connect-src 'self'; form-action 'self'; frame-src 'self'; frame-ancestors 'none'; "
                           "base-uri 'none'")
PUBLIC_ENDPOINTS = frozenset({"dashboard.login", "dashboard.static"})


def admin_only(view):
    """Mark a view as needing the admin role (checked before the view runs)."""
    view.dashboard_role = "admin"
    return view


def session() -> Session:
    """The request's session (the before-request hook guarantees there is one)."""
    return g.mod_session


def actor() -> str:
    return auth.session_actor(session().account)


def visible_sites() -> list[Site]:
    """The sites the logged-in account may see (all of them for an account without a site list)."""
    account = session().account
    return [site for site in services().sites.all() if account.may_see(site.id)]


@bp.before_request
def _require_session():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    current = auth.current_session()
    if current is None:
        if request.method in auth.SAFE_METHODS and not request.path.endswith((".json", "/poll", "/cards")):
            return redirect(url_for("dashboard.login", next=request.full_path.rstrip("?")))
        raise Problem(401, "Unauthorized", "Log in first.", type_slug="login-required")
    auth.check_csrf(current)
    view = current_app.view_functions.get(request.endpoint)
    auth.require_role(current.account, getattr(view, "dashboard_role", "moderator"))
    site_id = (request.view_args or {}).get("site_id")
    if site_id is not None:
        auth.require_site(current.account, site_id)
    return None


@bp.after_request
def _security_headers(response):
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    if request.endpoint != "dashboard.static":
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(Problem)
def _problem_page(problem: Problem):
    """Errors of the dashboard as a page for people (scripts asking for JSON get JSON)."""
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        return problem_response(problem)
    response = current_app.make_response((render_template("dashboard/error.html", problem=problem),
                                          problem.status))
    for name, value in problem.headers.items():
        response.headers[name] = value
    return response


@bp.context_processor
def _page_context() -> dict:
    """The logged-in session (or None) and the sites its account sees, for the page frame."""
    current = g.get("mod_session")
    return {"current": current, "nav_sites": visible_sites() if current is not None else []}


@bp.app_template_filter("when")
def _when(epoch_seconds) -> str:
    """Epoch seconds as ``2026-12-05 23:51:02 UTC``."""
    if epoch_seconds in (None, ""):
        return "—"
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(float(epoch_seconds)))


bp.add_app_template_filter(age_text, "age_text")
