"""Every /admin route and every admin API endpoint refuses anonymous and wrong-role access.

The routes are read from the app's URL map, so a route added later is checked too (and the
test fails until it is classified as public, moderator or admin here)."""
from __future__ import annotations

import pytest

from tests.dashboard.conftest import PASSWORD, csrf_of, login

PUBLIC = {"dashboard.login", "dashboard.static"}
# Routes a moderator may use (on their own sites); every other /admin and admin API route needs the admin role.
MODERATOR = {
    "dashboard.overview", "dashboard.queue", "dashboard.new_cards", "dashboard.comment_page", "dashboard.act",
    "dashboard.undo", "dashboard.bulk", "dashboard.commenter", "dashboard.change_commenter", "dashboard.audit",
    "dashboard.logout",
    "admin.list_comments", "admin.show_comment", "admin.act_on_comment", "admin.change_commenter",
}
COMMENT_ID = "0" * 32


def guarded_routes(app):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(("/admin", "/api/v1/admin")) or rule.endpoint in PUBLIC:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def url_of(rule, site_id: str) -> str:
    values = {"site_id": site_id, "comment_id": COMMENT_ID, "status": "pending"}
    path = rule.rule
    for name in rule.arguments:
        path = path.replace(f"<{name}>", values.get(name, "0" * 16))  # any other id: one that exists nowhere
    return path


def call(client, method: str, path: str, csrf: str | None = None):
    headers = {"X-CSRF-Token": csrf} if csrf else {}
    return client.open(path, method=method, headers=headers, json={} if method != "GET" else None)


def test_every_guarded_route_is_classified(app):
    endpoints = {rule.endpoint for rule, _method in guarded_routes(app)}
    assert endpoints, "the URL map has admin routes"
    from moderation.dashboard.blueprint import admin_only  # noqa: F401 - the marker the dashboard uses
    for endpoint in endpoints:
        view = app.view_functions[endpoint]
        marked_admin = getattr(view, "dashboard_role", None) == "admin"
        if endpoint.startswith("dashboard."):
            assert marked_admin != (endpoint in MODERATOR), f"{endpoint}: role marker and this test disagree"


def test_anonymous_callers_are_refused_everywhere(app, site):
    client = app.test_client()
    for rule, method in guarded_routes(app):
        response = call(client, method, url_of(rule, site.id))
        if method == "GET" and rule.endpoint.startswith("dashboard.") and response.status_code == 302:
            assert "/admin/login" in response.headers["Location"], rule.rule
            continue
        assert response.status_code == 401, (method, rule.rule, response.status_code)


@pytest.mark.parametrize("role_case", ["moderator_on_admin_routes", "moderator_of_another_site"])
def test_wrong_role_or_site_is_refused(app, accounts, site, role_case):
    other_site = "0123456789abcdef"
    accounts.create("mia", PASSWORD, "moderator", [other_site] if role_case == "moderator_of_another_site" else [site.id])
    client = app.test_client()
    login(client, "mia")
    csrf = csrf_of(client)
    for rule, method in guarded_routes(app):
        if rule.endpoint == "dashboard.logout":
            continue
        on_site = "site_id" in rule.arguments
        if role_case == "moderator_on_admin_routes" and rule.endpoint in MODERATOR:
            continue
        if role_case == "moderator_of_another_site" and (not on_site and rule.endpoint in MODERATOR):
            continue
        response = call(client, method, url_of(rule, site.id), csrf)
        assert response.status_code == 403, (role_case, method, rule.rule, response.status_code)


def test_the_session_still_works_after_all_that(app, accounts, site):
    """The refusals above are not a broken login: the same moderator reaches their own queue."""
    accounts.create("mia", PASSWORD, "moderator", [site.id])
    client = app.test_client()
    login(client, "mia")
    assert client.get(f"/admin/sites/{site.id}/queue/pending").status_code == 200
    assert client.get(f"/api/v1/admin/sites/{site.id}/comments").status_code == 200
