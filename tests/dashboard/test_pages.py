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
