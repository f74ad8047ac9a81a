"""The dashboard end to end in headless Chromium (Debian's package, driven by Playwright):
the real API under gunicorn, a real Celery worker, real Redis.

Screenshots go to $DASHBOARD_SCREENSHOTS when set (``docs/screenshots`` refreshes the README's),
else to the test's temporary directory.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.dashboard.conftest import PASSWORD
from tests.service.helpers import comment_payload
from tests.support.polling import wait_until

pytestmark = pytest.mark.e2e
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As root, without the sandbox; no background connections (this machine's network is closed).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SUSPECT = "Only an idiot would believe the council on this."
HOSTILE_NAME = '<img src=x onerror="window.__owned=1">"><script>window.__owned=2</script>'
HOSTILE_BODY = ('<script>window.__owned=3</script><p onmouseover="window.__owned=4">Look '
                '<a href="javascript:window.__owned=5">here</a> <img src=x onerror="window.__owned=6"></p>')


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed (.ci/run installs Debian's package)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def screenshots(tmp_path) -> Path:
    folder = Path(os.environ.get("DASHBOARD_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def service(start_api_server, worker, app, site, site_key, comment_store):
    """The running API, and post(body, **fields) -> the comment once the worker decided it."""
    server = start_api_server()
    base = f"http://127.0.0.1:{server.port}"

    def post(body: str, **fields):
        payload = json.dumps(comment_payload(body=body, **fields)).encode()
        reply = server.request("POST", "/api/v1/comments", payload,
                               {"Authorization": f"Bearer {site_key}", "Content-Type": "application/json"})
        assert reply.status == 202, reply
        comment_id = reply.json()["id"]
        return wait_until(lambda: _decided(comment_store.get(site.id, comment_id)), 30,
                          message=f"comment {comment_id} decided")

    return server, base, post


def _decided(comment):
    return comment if comment is not None and comment.status not in ("queued", "processing") else None


def log_in(page, base: str, name: str) -> None:
    page.goto(f"{base}/admin/")
    assert "/admin/login" in page.url
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin/")


def test_moderator_works_the_queue_with_the_keyboard(browser, service, accounts, site, comment_store, screenshots):
    server, base, post = service
    accounts.create("mia", PASSWORD, "moderator", [site.id])
    calm = post("A fine article, thank you.", thread="article-9")
    assert calm.status == "approved"
    held = post(SUSPECT, thread="article-9", author={"name": "Bo Reader", "email": "bo@example.org"})
    assert held.status == "pending"

    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    log_in(page, base, "mia")
    page.screenshot(path=str(screenshots / "overview.png"), full_page=True)
    page.goto(f"{base}/admin/sites/{site.id}/queue/pending")
    card = page.locator(f"#c-{held.id}")
    assert card.is_visible()
    assert card.locator("mark").first.inner_text() == "idiot"
    assert card.locator(".findings").inner_text().count("suspect_word") >= 1
    page.screenshot(path=str(screenshots / "queue.png"), full_page=True)
    card.screenshot(path=str(screenshots / "comment-card.png"))

    # A new comment appears without reloading (the page polls).
    newer = post("Another idiot take, sadly.", thread="article-9")
    assert newer.status == "pending"
    page.locator(f"#c-{newer.id}").wait_for(timeout=15000)

    # The first card has the focus: 'a' approves it, through the admin API with the CSRF token.
    page.keyboard.press("a")
    page.locator("#toast").get_by_text("Approve").wait_for(timeout=5000)
    assert comment_store.get(site.id, held.id).status == "approved"
    assert comment_store.get(site.id, held.id).moderated_by == "user:mia"
    public = server.request("GET", f"/api/v1/threads/article-9/comments?site={site.id}").json()
    assert held.id in [comment["id"] for comment in public["comments"]]
    # 'u' undoes it within the undo window.
    page.keyboard.press("u")
    wait_until(lambda: comment_store.get(site.id, held.id).status == "pending", 10, message="undone")
    # The focused card ('j' moves on) goes to spam with 's'.
    page.wait_for_load_state()
    page.locator(f"#c-{held.id}").wait_for()
    page.keyboard.press("j")
    page.keyboard.press("s")
    wait_until(lambda: comment_store.get(site.id, newer.id).status == "spam", 10, message="spam by keyboard")
    # The page moves the focus on once the answer is in (the store can change first).
    page.locator(f"#c-{held.id}.focused").wait_for(timeout=5000)
    # 'r' goes to the focused card's reasons; the arrow picks one, Enter rejects with it.
    page.keyboard.press("r")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    wait_until(lambda: comment_store.get(site.id, held.id).status == "rejected", 10, message="rejected by keyboard")
    assert comment_store.get(site.id, held.id).moderation_reason == "abusive"
    page.keyboard.press("?")
    assert page.locator("#help").is_visible()
    assert not [error for error in errors if "Content Security Policy" in error], errors


def test_hostile_comment_is_shown_inert(browser, service, accounts, site, screenshots):
    _server, base, post = service
    accounts.create("mia", PASSWORD, "moderator", [site.id])
    hostile = post(HOSTILE_BODY, author={"name": HOSTILE_NAME, "email": "evil@example.org"})
    assert hostile.status == "pending"  # active content removed: held by the default policy
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, base, "mia")
    for path in (f"/admin/sites/{site.id}/queue/pending", f"/admin/sites/{site.id}/comments/{hostile.id}"):
        page.goto(base + path)
        card = page.locator(f"#c-{hostile.id}")
        card.hover()
        card.locator(".author").hover()
        assert card.locator(".author").inner_text() == HOSTILE_NAME  # printed as text
        assert page.evaluate("window.__owned") is None
        frame = page.frame_locator(f"#c-{hostile.id} iframe.rendered-frame")
        frame.locator("body").hover()
        assert frame.locator("script, img, [onmouseover]").count() == 0
        assert frame.locator("a[href^='javascript']").count() == 0
    assert page.evaluate("window.__owned") is None and not dialogs
    # The frame cannot run script: sandboxed without allow-scripts.
    sandbox = page.locator(f"#c-{hostile.id} iframe.rendered-frame").get_attribute("sandbox")
    assert "allow-scripts" not in sandbox


def test_csrf_less_post_and_other_sites_are_refused(browser, service, accounts, site, site_store, comment_store):
    _server, base, post = service
    other, _other_key = site_store.create("Other News", ["https://other.example"])
    accounts.create("mia", PASSWORD, "moderator", [site.id])
    held = post(SUSPECT)
    page = browser.new_page()
    log_in(page, base, "mia")
    status = page.evaluate("""async (url) => {
        const response = await fetch(url, {method: 'POST', body: new URLSearchParams({action: 'approve'})});
        return response.status; }""", f"/admin/sites/{site.id}/comments/{held.id}/action")
    assert status == 403
    api_status = page.evaluate("""async (url) => {
        const response = await fetch(url, {method: 'POST', headers: {'Content-Type': 'application/json'},
                                           body: JSON.stringify({action: 'approve'})});
        return response.status; }""", f"/api/v1/admin/sites/{site.id}/comments/{held.id}/actions")
    assert api_status == 403
    assert comment_store.get(site.id, held.id).status == "pending"

    response = page.goto(f"{base}/admin/sites/{other.id}/queue/pending")
    assert response.status == 403
    page.goto(f"{base}/admin/")
    assert "Other News" not in page.content() and "Test News" in page.content()
