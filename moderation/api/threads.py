"""GET /api/v1/threads/<thread>/comments: a thread's approved comments, for pages and browsers.

The site is named by its API key (server-side callers) or by ``?site=<site id>``
(browsers: no secret in the page). Comments come in posting order, each with
its ``parent`` id so replies can be nested; ``cursor`` (opaque: the last
comment's id) pages through them. A browser ``Origin`` the site allows gets
CORS headers; others get none.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from moderation.api.cors import preflight, with_cors
from moderation.api.deps import author_document, authenticated_site, bearer_token, iso_time, public_url, services
from moderation.problems import Problem
from moderation.store.comments import Comment, InvalidCursor
from moderation.store.sites import Site
from moderation.validation import COMMENT_ID, THREAD_ID

bp = Blueprint("threads", __name__, url_prefix="/api/v1/threads")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100


@bp.get("/<thread>/comments", provide_automatic_options=False)
def list_thread_comments(thread: str):
    site = _site_for_listing()
    if not THREAD_ID.fullmatch(thread):
        raise Problem(404, "Not Found", "No such thread.")
    cursor = request.args.get("cursor") or None
    limit = _int_param("limit", default=DEFAULT_PAGE_SIZE, minimum=1, maximum=MAX_PAGE_SIZE)
    try:
        if cursor is not None and not COMMENT_ID.fullmatch(cursor):
            raise InvalidCursor(cursor)
        page = services().comments.thread_page(site.id, thread, after=cursor, limit=limit)
    except InvalidCursor:
        raise Problem(400, "Bad Request", "Query parameter 'cursor' must be a next_cursor this thread gave.",
                      type_slug="bad-query-parameter",
                      errors=[{"parameter": "cursor", "detail": "not a cursor of this thread"}]) from None
    store = services().comments
    body = {
        "thread": thread,
        "site": site.id,
        "count": store.thread_count(site.id, thread),
        "closed": store.policies.current(site.id).thread_mode(thread) == "closed",
        "comments": [_public_comment(comment) for comment in page.comments],
        "next_cursor": page.next_cursor,
        "next": (public_url(f"/api/v1/threads/{thread}/comments?site={site.id}&limit={limit}"
                            f"&cursor={page.next_cursor}") if page.next_cursor else None),
    }
    return with_cors(jsonify(body), site)


@bp.route("/<thread>/comments", methods=["OPTIONS"])
def preflight_thread_comments(thread: str):
    """Answered for any origin (a preflight carries no key); the GET itself is checked."""
    return preflight("GET, OPTIONS")


def _site_for_listing() -> Site:
    if bearer_token() is not None:
        return authenticated_site(allow_public=True)
    site_id = request.args.get("site", "")
    site = services().sites.cached(site_id) if site_id.isalnum() else None
    if site is None:
        raise Problem(404, "Not Found", "Name the site with ?site=<site id> or an API key.")
    return site


def _int_param(name: str, *, default: int, minimum: int, maximum: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not minimum <= int(raw) <= maximum:
        raise Problem(400, "Bad Request", f"Query parameter {name!r} must be an integer in "
                      f"[{minimum}, {maximum}].", type_slug="bad-query-parameter",
                      errors=[{"parameter": name, "detail": "not an integer in range"}])
    return int(raw)


def _public_comment(comment: Comment) -> dict:
    """What anyone may see: no e-mail, no client data, no raw body. The author's name is plain
    text; print ``name_html`` (escaped) or set it as text, never as HTML."""
    return {
        "id": comment.id, "parent": comment.parent or None,
        "author": author_document(comment.author_name), "html": comment.html,
        "created_at": iso_time(comment.created_at),
    }
