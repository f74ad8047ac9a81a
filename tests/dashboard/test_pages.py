"""The dashboard's pages and actions through the real app (Flask test client, real Redis)."""
from __future__ import annotations

import html
import re

from markupsafe import escape

from tests.dashboard.conftest import login

SUSPECT = "Only an idiot would believe the council on this."


def test_login_is_needed_and_wrong_passwords_fail(app, client, accounts):
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
    accounts.create("mia", "correct horse battery", "moderator")
    assert login(client, "mia", "wrong password!!").status_code == 401
    response = login(client, "mia")
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert client.get("/admin/").status_code == 200


def test_a_held_comment_shows_why_with_the_words_marked(moderator, decided, site):
    client, _csrf = moderator
    comment = decided(SUSPECT)
    assert comment.status == "pending"
    page = client.get(f"/admin/sites/{site.id}/queue/pending").get_data(as_text=True)
    assert f'id="c-{comment.id}"' in page
    assert "<mark" in page and ">idiot</mark>" in page
    assert "suspect_word" in page


def test_approve_by_form_then_undo(moderator, decided, site, comment_store):
    client, csrf = moderator
    comment = decided(SUSPECT)
    response = client.post(f"/admin/sites/{site.id}/comments/{comment.id}/action",
                           data={"action": "approve", "csrf_token": csrf, "next": f"/admin/sites/{site.id}/queue/pending"})
    assert response.status_code == 302 and "done=approve" in response.headers["Location"]
    assert comment_store.get(site.id, comment.id).status == "approved"
    assert comment_store.get(site.id, comment.id).moderated_by == "user:mia"
    response = client.post(f"/admin/sites/{site.id}/comments/{comment.id}/undo", data={"csrf_token": csrf})
    assert response.status_code == 302
    assert comment_store.get(site.id, comment.id).status == "pending"
    # A second undo has nothing to undo.
    response = client.post(f"/admin/sites/{site.id}/comments/{comment.id}/undo", data={"csrf_token": csrf},
                           headers={"Accept": "application/json"})
    assert response.status_code == 409


def test_state_changes_need_the_csrf_token(moderator, decided, site, comment_store):
    client, _csrf = moderator
    comment = decided(SUSPECT)
    response = client.post(f"/admin/sites/{site.id}/comments/{comment.id}/action", data={"action": "approve"})
    assert response.status_code == 403
    assert comment_store.get(site.id, comment.id).status == "pending"


def test_hostile_comment_is_inert(moderator, decided, site):
    client, _csrf = moderator
    hostile_name = '<img src=x onerror=alert(1)>"><script>alert(2)</script>'
    comment = decided('<script>alert(3)</script><p onclick="alert(4)">Hi <a href="javascript:alert(5)">x</a></p>',
                      author={"name": hostile_name, "email": "evil@example.org"})
    page = client.get(f"/admin/sites/{site.id}/comments/{comment.id}").get_data(as_text=True)
    assert hostile_name not in page and str(escape(hostile_name)) in page
    assert "<script>alert" not in page and "onerror=alert" not in page.replace("onerror=alert(1)&gt;", "")
    frame = re.search(r'<iframe[^>]*sandbox="allow-same-origin"[^>]*srcdoc="([^"]*)"', page)
    assert frame, "the rendered comment is in a sandboxed frame without allow-scripts"
    srcdoc = html.unescape(frame.group(1))
    assert "script" not in srcdoc.lower() and "onclick" not in srcdoc and "javascript:" not in srcdoc


def test_every_page_carries_the_security_headers(moderator, site):
    client, _csrf = moderator
    for path in ("/admin/", f"/admin/sites/{site.id}/queue/pending", "/admin/login"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Cache-Control"] == "no-store"


def test_filters_bulk_and_polling(moderator, decided, site, comment_store):
    client, csrf = moderator
    first = decided(SUSPECT, thread="article-1", author={"name": "Ann", "email": "ann@example.org"})
    second = decided("What an idiot mayor.", thread="article-2", author={"name": "Ben", "email": "ben@example.org"})
    base = f"/admin/sites/{site.id}/queue/pending"
    page = client.get(base, query_string={"author": "BEN"}).get_data(as_text=True)
    assert f"c-{second.id}" in page and f"c-{first.id}" not in page
    page = client.get(base, query_string={"thread": "article-1"}).get_data(as_text=True)
    assert f"c-{first.id}" in page and f"c-{second.id}" not in page
    page = client.get(base, query_string={"q": "mayor"}).get_data(as_text=True)
    assert f"c-{second.id}" in page and f"c-{first.id}" not in page
    assert client.get(base, query_string={"thread": "{bad}"}).status_code == 400

    polled = client.get(f"{base}/cards", query_string={"after_seq": first.seq}).get_json()
    assert polled["added"] == 1 and f"c-{second.id}" in polled["html"] and polled["counts"]["pending"] == 2

    response = client.post(f"/admin/sites/{site.id}/bulk", data={
        "csrf_token": csrf, "action": "reject", "reason": "abusive", "ids": [first.id, second.id], "next": base})
    assert response.status_code == 302 and "count=2" in response.headers["Location"]
    assert {comment_store.get(site.id, c.id).status for c in (first, second)} == {"rejected"}
    assert comment_store.get(site.id, first.id).moderation_reason == "abusive"
    assert client.get(f"{base}/cards").get_json()["counts"]["pending"] == 0
    rejected = client.get(f"/admin/sites/{site.id}/queue/rejected").get_data(as_text=True)
    assert f"c-{first.id}" in rejected


def test_approved_tab_commenter_page_and_audit_log(moderator, decided, site):
    client, csrf = moderator
    comment = decided("A fine article.", author={"name": "Cy", "email": "Cy+news@Example.org"})
    assert comment.status == "approved"
    page = client.get(f"/admin/sites/{site.id}/queue/approved").get_data(as_text=True)
    assert f"c-{comment.id}" in page
    who = client.get(f"/admin/sites/{site.id}/commenter", query_string={"who": "email:cy@example.org"})
    assert who.status_code == 200 and f"c-{comment.id}" in who.get_data(as_text=True)
    response = client.post(f"/admin/sites/{site.id}/commenter",
                           data={"csrf_token": csrf, "action": "ban", "entry": "cy@example.org"})
    assert response.status_code == 302
    who = client.get(f"/admin/sites/{site.id}/commenter", query_string={"who": "email:cy@example.org"})
    assert "Banned: yes" in who.get_data(as_text=True)
    client.post(f"/admin/sites/{site.id}/comments/{comment.id}/action",
                data={"csrf_token": csrf, "action": "take_down", "reason": "legal"})
    audit = client.get(f"/admin/sites/{site.id}/audit", query_string={"people": "1"}).get_data(as_text=True)
    assert "user:mia" in audit and comment.id[:12] in audit and "worker" not in audit.split("<tbody>")[1]
    history = client.get(f"/admin/sites/{site.id}/comments/{comment.id}").get_data(as_text=True)
    assert "take_down (legal)" in history


def test_login_guards(app, client, accounts):
    accounts.create("mia", "correct horse battery", "moderator")
    # No redirect off the dashboard after login.
    response = client.post("/admin/login", data={"name": "mia", "password": "correct horse battery",
                                                 "next": "https://evil.example/admin"})
    assert response.headers["Location"] == "/admin/"
    # A login form posted from another site is refused.
    other = app.test_client()
    response = other.post("/admin/login", data={"name": "mia", "password": "correct horse battery"},
                          headers={"Origin": "https://evil.example"})
    assert response.status_code == 403 and "Set-Cookie" not in response.headers
    # Logout ends the session on the server, not only in the browser.
    token = client.get_cookie("mod_session").value
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/admin/").get_data(as_text=True)).group(1)
    assert client.post("/admin/logout", data={"csrf_token": csrf}).status_code == 302
    assert accounts.session(token) is None


def test_failed_logins_are_throttled(app, accounts):
    accounts.create("mia", "correct horse battery", "moderator")
    client = app.test_client()
    limit = app.extensions["moderation"].settings.login_failure_limit
    for _ in range(limit):
        assert login(client, "mia", "not the password").status_code == 401
    response = login(client, "mia")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0


def test_secure_cookie_when_configured(effective_settings, accounts):
    from moderation import create_app

    config = {f"MODERATION_{name.upper()}": value for name, value in effective_settings.items()}
    app = create_app({**config, "MODERATION_COOKIE_SECURE": "always", "TESTING": True})
    app.extensions["moderation"].accounts.create("sam", "correct horse battery", "moderator")
    response = login(app.test_client(), "sam")
    assert "Secure" in response.headers["Set-Cookie"]
