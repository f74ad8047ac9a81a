"""The embed script in headless Chromium, on a news article served from another origin than the
API (so CORS is real): the real API under gunicorn, a real worker, real Redis."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.dashboard.test_browser import CHROMIUM, CHROMIUM_ARGS
from tests.service.helpers import DEFAULT_POLICY, comment_payload
from tests.support.polling import wait_until

pytestmark = pytest.mark.e2e
HOSTILE_NAME = '<img src=x onerror="window.__owned=1"><script>window.__owned=2</script>'
# The help lines the seed comment form shows (../shared/spec/seed-comment-form.md), in order.
SEED_TIPS = {
    "Filtered HTML": ["Allowed HTML tags: <em> <strong> <blockquote> <br> <p>",
                      "Web page addresses and e-mail addresses turn into links automatically.",
                      "Lines and paragraphs break automatically."],
    "Plain text": ["No HTML tags allowed.", "Web page addresses and e-mail addresses turn into links automatically.",
                   "Lines and paragraphs break automatically."],
}


class ArticleServer:
    """A news site's article pages on their own origin, each with the embed tag."""

    def __init__(self, api_base: str):
        self.pages: dict[str, str] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                page = pages.get(self.path)
                body = (page or "not found").encode()
                self.send_response(200 if page else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.api_base = api_base
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def article(self, path: str, public_key: str, thread: str, extra: str = "") -> str:
        self.pages[path] = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Export controls on cloud computing</title></head><body>
<article><h1>Export controls on cloud computing</h1><p>The story.</p></article>
<div id="comments"></div>
<script src="{self.api_base}/embed.js" data-site="{public_key}" data-thread="{thread}" data-target="#comments" {extra} async></script>
</body></html>"""
        return self.origin + path

    def close(self):
        self.server.shutdown()


@pytest.fixture
def settings_overrides():
    return {"policy_file": DEFAULT_POLICY}  # the shipped policy: a suspect word holds a comment


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed (.ci/run installs Debian's package)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def news_site(start_api_server, worker, site_store, comment_store):
    server = start_api_server()
    api_base = f"http://127.0.0.1:{server.port}"
    articles = ArticleServer(api_base)
    site, secret_key = site_store.create("Daily Planet", [articles.origin])
    _record, public_key = site_store.create_key(site.id, "public", "embed")

    def post(body: str, **fields):
        reply = server.request("POST", "/api/v1/comments", json.dumps(comment_payload(body=body, **fields)).encode(),
                               {"Authorization": f"Bearer {secret_key}", "Content-Type": "application/json"})
        assert reply.status == 202, reply
        comment_id = reply.json()["id"]
        return wait_until(lambda: _final(comment_store.get(site.id, comment_id)), 30, message="decided")

    yield site, public_key, articles, post
    articles.close()


def _final(comment):
    return comment if comment is not None and comment.status not in ("queued", "processing") else None


def test_a_reader_reads_and_posts_from_the_article_page(browser, news_site, comment_store, tmp_path):
    site, public_key, articles, post = news_site
    first = post("First! A fair summary.", thread="article-9", author={"name": HOSTILE_NAME})
    reply = post("I agree with you.", thread="article-9", parent=first.id, author={"name": "Bo"})
    assert first.status == reply.status == "approved"
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(articles.article("/news/export-controls", public_key, "article-9"))
    page.get_by_role("heading", name="2 comments").wait_for(timeout=15000)
    embed = page.locator(".moderation-embed")
    assert embed.locator(".moderation-author").first.inner_text() == HOSTILE_NAME  # a name is text
    assert page.evaluate("window.__owned") is None
    assert embed.locator("li.moderation-comment li.moderation-comment .moderation-author").inner_text() == "Bo"  # nested
    for name, tips in SEED_TIPS.items():
        option = embed.locator("fieldset div", has=page.get_by_label(name, exact=True))
        assert option.locator("li").all_inner_texts() == tips
    assert embed.get_by_label("Filtered HTML", exact=True).is_checked()

    embed.get_by_label("Your name").fill("Carla")
    embed.get_by_role("textbox", name="Comment").fill("Useful background, thanks.\n\nSee https://example.org/report")
    embed.get_by_role("button", name="Publish").click()
    embed.get_by_text("awaiting moderation").wait_for(timeout=15000)
    embed.get_by_text("Your comment is published.").wait_for(timeout=30000)
    page.get_by_role("heading", name="3 comments").wait_for(timeout=10000)
    link = embed.locator(".moderation-body a[href='https://example.org/report']")
    assert link.count() == 1
    stored = [c for c in comment_store.status_page(site.id, "approved", thread="article-9", limit=10).comments
              if c.author_name == "Carla"][0]
    assert stored.client_ip == "127.0.0.1" and stored.thread_url.startswith(articles.origin)
    page.screenshot(path=str(tmp_path / "embed.png"), full_page=True)

    embed.get_by_role("button", name="Show newest first").click()
    assert embed.locator(":scope > div > ol > li .moderation-author").first.inner_text() == "Carla"

    # A reader reports Bo's reply: a reason, Send; the service counts it (one per reader).
    bo = embed.get_by_role("article", name="Comment by Bo", exact=True)
    bo.get_by_role("button", name="Report").click()
    bo.get_by_label("Why should the moderators look at this comment?").select_option("off_topic")
    bo.get_by_role("button", name="Send report").click()
    bo.get_by_text("Thank you: the moderators will look at this comment.").wait_for(timeout=10000)
    reported = comment_store.get(site.id, reply.id)
    assert reported.reports == 1 and reported.report_reasons == {"off_topic": 1}
    assert not [error for error in errors if "CORS" in error or "Content Security" in error], errors


def test_a_held_comment_says_so_and_a_closed_thread_takes_none(browser, news_site, comment_store):
    site, public_key, articles, _post = news_site
    page = browser.new_page()
    page.goto(articles.article("/news/council", public_key, "article-10"))
    embed = page.locator(".moderation-embed")
    embed.get_by_role("button", name="Publish").wait_for(timeout=15000)
    embed.get_by_label("Your name").fill("Dan")
    embed.get_by_role("textbox", name="Comment").fill("Only an idiot would believe the council on this.")
    embed.get_by_role("button", name="Publish").click()
    embed.get_by_text("awaiting moderation").wait_for(timeout=15000)
    held = wait_until(lambda: [c for c in comment_store.status_page(site.id, "pending", limit=10).comments
                               if c.author_name == "Dan"], 30, message="held")
    assert held[0].status == "pending"
    page.wait_for_timeout(3000)
    assert embed.get_by_text("awaiting moderation").is_visible()  # still honest: not published
    assert page.get_by_role("heading", name="0 comments").is_visible()

    comment_store.policies.save(site.id, {"threads": {"old-story": "closed"}}, "test")
    closed = browser.new_page()
    closed.goto(articles.article("/news/old", public_key, "old-story"))
    closed.get_by_text("Comments are closed on this article.").wait_for(timeout=15000)
    assert closed.get_by_role("button", name="Publish").count() == 0
