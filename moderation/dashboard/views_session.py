"""Logging in and out of the dashboard."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import make_response, redirect, render_template, request, url_for

from moderation.api.deps import services
from moderation.dashboard import auth
from moderation.dashboard.blueprint import bp, session
from moderation.store.accounts import LoginThrottled

MAX_FIELD = 200


@bp.route("/login", methods=["GET", "POST"])
def login():
    target = _safe_next(request.values.get("next", ""))
    if request.method == "GET":
        if auth.current_session() is not None:
            return redirect(target)
        return render_template("dashboard/login.html", next=target)
    origin = request.headers.get("Origin")
    if origin and origin.rstrip("/") != request.host_url.rstrip("/"):  # a login form posted from another site
        return _login_page(target, "", "Log in from this page.", 403)
    name = request.form.get("name", "")[:MAX_FIELD].strip().lower()
    password = request.form.get("password", "")[:1024]
    try:
        outcome = services().accounts.login(name, password, request.remote_addr or "",
                                            request.headers.get("User-Agent", "")[:MAX_FIELD])
    except LoginThrottled as exc:
        response = _login_page(target, name, f"Too many failed attempts. Try again in {exc.retry_after} s.", 429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if outcome is None:
        return _login_page(target, name, "Wrong name or password.", 401)
    token, _session = outcome
    response = redirect(target)
    response.set_cookie(auth.COOKIE_NAME, token, httponly=True, samesite="Lax", secure=_secure_cookie(),
                        path="/", max_age=services().settings.session_idle_minutes * 60)
    return response


@bp.post("/logout")
def logout():
    services().accounts.logout(session())
    response = redirect(url_for("dashboard.login", out=1))
    response.delete_cookie(auth.COOKIE_NAME, path="/", httponly=True, samesite="Lax", secure=_secure_cookie())
    return response


def _login_page(target: str, name: str, error: str, status: int):
    return make_response(render_template("dashboard/login.html", next=target, name=name, error=error), status)


def _secure_cookie() -> bool:
    setting = services().settings.cookie_secure
    return setting == "always" or (setting == "auto" and request.is_secure)


def _safe_next(target: str) -> str:
    """Only a path of the dashboard itself (no open redirect to another host)."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/admin") or "\\" in target:
        return url_for("dashboard.overview")
    return target
