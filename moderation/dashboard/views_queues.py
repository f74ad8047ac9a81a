"""The moderators' pages: the overview, the queue tabs, a comment, a commenter, and the
actions on them (every action through ``moderator_actions``, as the admin API's)."""
from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import jsonify, redirect, render_template, request, url_for

from moderation.api.deps import services
from moderation.commenter import normalized_email
from moderation.dashboard import queues
from moderation.dashboard.blueprint import actor, bp, visible_sites
from moderation.dashboard.cards import card_of
from moderation.dashboard.charts import hourly_chart, read_hours
from moderation.dashboard.views_session import _safe_next
from moderation.moderator_actions import (
    ACTIONS, REJECT_REASONS, ActionError, apply_action, change_commenter_list, undo_last_action,
)
from moderation.problems import Problem
from moderation.store.comments import PENDING, Comment
from moderation.store.sites import SITE_ID
from moderation.validation import COMMENT_ID, THREAD_ID

MAX_FILTER = 200
MAX_BULK = 200


def _site(site_id: str):
    site = services().sites.get(site_id) if SITE_ID.fullmatch(site_id) else None
    if site is None:
        raise Problem(404, "Not Found", "No such site.")
    return site


def _comment(site_id: str, comment_id: str) -> Comment:
    comment = services().comments.get(site_id, comment_id) if COMMENT_ID.fullmatch(comment_id) else None
    if comment is None:
        raise Problem(404, "Not Found", "No such comment.")
    return comment


def _cards(comments: list[Comment]):
    now = time.time()
    css = url_for("dashboard.static", filename="frame.css")
    return [card_of(comment, now, css) for comment in comments]


@bp.get("/")
def overview():
    store = services().comments
    sites = visible_sites()
    rows = []
    for site in sites:
        state = store.queue_states(site_ids=[site.id])[PENDING]
        rows.append({"site": site, "counts": queues.tab_counts(store, site.id), "oldest": state.oldest_age})
    chart = hourly_chart(read_hours(store.redis, [site.id for site in sites]))
    return render_template("dashboard/overview.html", rows=rows, chart=chart)


def _filters() -> queues.Filters:
    values = {name: request.args.get(arg, "")[:MAX_FILTER].strip()
              for name, arg in (("thread", "thread"), ("author", "author"), ("text", "q"))}
    if values["thread"] and not THREAD_ID.fullmatch(values["thread"]):
        raise Problem(400, "Bad Request", "That is not a thread id.", type_slug="bad-query-parameter")
    return queues.Filters(**values)


def _status(status: str) -> str:
    if status not in queues.TABS:
        raise Problem(404, "Not Found", "No such queue.")
    return status


@bp.get("/sites/<site_id>/queue/<status>")
def queue(site_id: str, status: str):
    site, status, filters = _site(site_id), _status(status), _filters()
    cursor = request.args.get("after") or None
    if cursor is not None and not COMMENT_ID.fullmatch(cursor):
        cursor = None
    store = services().comments
    page = queues.queue_page(store, site.id, status, filters, after=cursor)
    done = _done_notice()
    return render_template("dashboard/queue.html", site=site, status=status, tabs=queues.TABS,
                           titles=queues.TAB_TITLES, counts=queues.tab_counts(store, site.id), filters=filters,
                           cards=_cards(page.comments), page=page, sites=visible_sites(), done=done,
                           reasons=REJECT_REASONS, actions=ACTIONS, undo_seconds=services().settings.undo_seconds,
                           last_seq=max((comment.seq for comment in page.comments), default=0))


@bp.get("/sites/<site_id>/queue/<status>/cards")
def new_cards(site_id: str, status: str):
    """For polling: the tab's counts and the cards of comments that joined it since ``after_seq``."""
    site, status, filters = _site(site_id), _status(status), _filters()
    try:
        after_seq = max(0, int(request.args.get("after_seq", "0")))
    except ValueError:
        after_seq = 0
    store = services().comments
    comments = queues.newer_than(store, site.id, status, after_seq, filters)
    html = render_template("dashboard/_cards.html", cards=_cards(comments), site=site, status=status,
                           reasons=REJECT_REASONS, next_url=request.args.get("next", ""))
    return jsonify({"counts": queues.tab_counts(store, site.id), "html": html, "added": len(comments),
                    "last_seq": max((comment.seq for comment in comments), default=after_seq)})


@bp.get("/sites/<site_id>/comments/<comment_id>")
def comment_page(site_id: str, comment_id: str):
    site, comment = _site(site_id), _comment(site_id, comment_id)
    store = services().comments
    return render_template("dashboard/comment.html", site=site, card=_cards([comment])[0],
                           history=store.history(site.id, comment.id), reasons=REJECT_REASONS, done=_done_notice(),
                           undo_seconds=services().settings.undo_seconds)


@bp.post("/sites/<site_id>/comments/<comment_id>/action")
def act(site_id: str, comment_id: str):
    _site(site_id)
    _comment(site_id, comment_id)
    action = request.form.get("action", "")
    try:
        result = apply_action(services().comments, site_id, comment_id, action, actor(),
                              reason=request.form.get("reason", ""), note=request.form.get("note", "").strip())
    except ActionError as exc:
        raise _action_problem(exc) from None
    return _back({"done": action, "comment": comment_id, "outcome": result.outcome})


@bp.post("/sites/<site_id>/comments/<comment_id>/undo")
def undo(site_id: str, comment_id: str):
    _site(site_id)
    _comment(site_id, comment_id)
    try:
        result = undo_last_action(services().comments, site_id, comment_id, actor(),
                                  services().settings.undo_seconds)
    except ActionError as exc:
        raise _action_problem(exc) from None
    if _wants_json():
        return jsonify({"outcome": result.outcome, "status": result.comment.status})
    return _back({"done": "undo", "comment": comment_id})


@bp.post("/sites/<site_id>/bulk")
def bulk(site_id: str):
    """One action on every selected comment; each one's own result (a conflict on one does not stop the rest)."""
    _site(site_id)
    ids = [value for value in request.form.getlist("ids") if COMMENT_ID.fullmatch(value)][:MAX_BULK]
    action, reason = request.form.get("action", ""), request.form.get("reason", "")
    results = {}
    for comment_id in ids:
        try:
            results[comment_id] = apply_action(services().comments, site_id, comment_id, action, actor(),
                                               reason=reason).outcome
        except ActionError as exc:
            if exc.status == 422:
                raise _action_problem(exc) from None
            results[comment_id] = "conflict" if exc.status == 409 else "not found"
    if _wants_json():
        return jsonify({"results": results})
    changed = sum(outcome == "changed" for outcome in results.values())
    return _back({"done": action, "count": changed, "failed": len(results) - changed})


@bp.get("/sites/<site_id>/commenter")
def commenter(site_id: str):
    """One commenter (``?who=email:…`` or ``ip:…``): their comments here, their recent decisions, their lists."""
    site = _site(site_id)
    who = request.args.get("who", "")[:MAX_FILTER]
    kind, _, value = who.partition(":")
    if kind not in ("email", "ip") or not value:
        raise Problem(400, "Bad Request", "Name a commenter as email:ADDRESS or ip:ADDRESS.",
                      type_slug="bad-query-parameter")
    entry = normalized_email(value) if kind == "email" else value
    who = f"{kind}:{entry}"
    store = services().comments
    policy = store.policies.current_uncached(site.id)
    domain = "@" + entry.rpartition("@")[2] if kind == "email" else ""
    lists = {name: [item for item in getattr(policy.commenters, name) if item.lower() in (entry, domain)]
             for name in ("banned", "trusted")}
    comments = store.commenter_comments(site.id, who, limit=200)
    return render_template("dashboard/commenter.html", site=site, who=who, entry=entry, kind=kind, lists=lists,
                           history=store.commenters.recent(site.id, [who])[0], cards=_cards(comments),
                           reasons=REJECT_REASONS, done=_done_notice(), undo_seconds=services().settings.undo_seconds)


@bp.post("/sites/<site_id>/commenter")
def change_commenter(site_id: str):
    site = _site(site_id)
    action, entry = request.form.get("action", ""), request.form.get("entry", "")[:MAX_FILTER]
    try:
        change_commenter_list(services().comments, site.id, action, entry, actor())
    except ActionError as exc:
        raise Problem(422, "Invalid action", str(exc), type_slug="validation-error") from None
    return _back({"done": action})


def _action_problem(exc: ActionError) -> Problem:
    titles = {404: "Not Found", 409: "Conflict", 422: "Invalid action"}
    return Problem(exc.status, titles.get(exc.status, "Error"), str(exc),
                   type_slug={409: "invalid-transition", 422: "validation-error"}.get(exc.status))


def _done_notice() -> dict | None:
    """What the last action did, from the redirect's query (shown with an undo button)."""
    done = request.args.get("done", "")
    if done not in (*ACTIONS, "undo", "ban", "unban", "trust", "untrust"):
        return None
    comment_id = request.args.get("comment", "")
    return {"action": done, "comment": comment_id if COMMENT_ID.fullmatch(comment_id) else "",
            "count": request.args.get("count", "", type=str)[:6], "failed": request.args.get("failed", "")[:6],
            "outcome": request.args.get("outcome", "")[:20]}


NOTICE_KEYS = frozenset({"done", "comment", "count", "failed", "outcome"})


def _back(notice: dict):
    """Redirect to where the form was (its ``next`` field or the referring dashboard page),
    keeping its filters, with the action's notice in the query."""
    target = request.form.get("next") or _path_of(request.referrer or "")
    path, _, query = _safe_next(target).partition("?")
    kept = [(name, value) for name, value in parse_qsl(query) if name not in NOTICE_KEYS]
    added = [(name, str(value)) for name, value in notice.items() if value != ""]
    return redirect(f"{path}?{urlencode(kept + added)}")


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    if parts.netloc != request.host:
        return ""
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"

