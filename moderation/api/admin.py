"""The admin API (``/api/v1/admin``, admin token): a site's policy, its queues, moderator
actions, and dry-run replays of a proposed policy. docs/api.md documents each endpoint."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from moderation.api.admin_auth import require_admin_access
from moderation.api.deps import author_document, iso_time, services
from moderation.moderator_actions import ActionError, apply_action, change_commenter_list, commenter_of
from moderation.policy import PolicyError
from moderation.policy.replay import replay
from moderation.problems import Problem, validation_problem
from moderation.store.comments import APPROVED, FAILED, PENDING, REJECTED, SPAM, Comment, InvalidCursor
from moderation.store.sites import SITE_ID
from moderation.validation import COMMENT_ID, THREAD_ID

bp = Blueprint("admin", __name__, url_prefix="/api/v1/admin")
LISTED_STATUSES = (PENDING, REJECTED, SPAM, FAILED, APPROVED)


# The endpoints a moderator's session may call; every other one needs the admin role.
MODERATOR_ENDPOINTS = frozenset({"list_comments", "show_comment", "act_on_comment", "change_commenter"})


@bp.before_request
def _admins_only():
    endpoint = (request.endpoint or "").rpartition(".")[2]
    role = "moderator" if endpoint in MODERATOR_ENDPOINTS else "admin"
    site_id = (request.view_args or {}).get("site_id")
    request.environ["moderation.actor"], _account = require_admin_access(role, site_id)


def _actor() -> str:
    return request.environ["moderation.actor"]


def _site_id(site_id: str) -> str:
    if not SITE_ID.fullmatch(site_id) or services().sites.get(site_id) is None:
        raise Problem(404, "Not Found", "No such site.")
    return site_id


def _json_object() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Problem(400, "Bad Request", "Send a JSON object (Content-Type: application/json).",
                      type_slug="malformed-body")
    return data


# -- policy --------------------------------------------------------------------------------------
@bp.get("/sites/<site_id>/policy")
def show_policy(site_id: str):
    policies = services().comments.policies
    policy = policies.current_uncached(_site_id(site_id))
    return jsonify(_policy_document(policy, policies.defaults().version))


@bp.route("/sites/<site_id>/policy", methods=["PUT", "PATCH"])
def save_policy(site_id: str):
    policies = services().comments.policies
    try:
        policy = policies.save(_site_id(site_id), _json_object(), _actor(), replace=request.method == "PUT")
    except PolicyError as exc:
        raise validation_problem(exc.errors, title="Invalid policy") from None
    return jsonify(_policy_document(policy, policies.defaults().version))


@bp.get("/sites/<site_id>/policy/versions")
def policy_versions(site_id: str):
    return jsonify({"versions": [{**entry, "version": f"v{entry['version']}"}
                                 for entry in services().comments.policies.history(_site_id(site_id))]})


@bp.post("/sites/<site_id>/policy/replay")
def replay_policy(site_id: str):
    """Dry run: the site's stored comments decided again under a proposed policy; nothing changes."""
    data = _json_object()
    store = services().comments
    changes = {} if data.get("policy") is None else data["policy"]
    replace = False if data.get("replace") is None else data["replace"]
    errors = []
    if not isinstance(changes, dict):
        errors.append({"pointer": "/policy", "detail": "must be an object"})
    if not isinstance(replace, bool):  # "false" must not mean true
        errors.append({"pointer": "/replace", "detail": "must be true or false"})
    if errors:
        raise validation_problem(errors, title="Invalid policy")
    try:
        report = replay(store, _site_id(site_id), changes, limit=_limit(data.get("limit"), 5000), replace=replace)
    except PolicyError as exc:
        raise validation_problem(exc.errors, title="Invalid policy") from None
    return jsonify(report.to_dict())


def _policy_document(policy, default_version: str) -> dict:
    return {"version": policy.version, "is_default": policy.version == default_version,
            "settings": policy.to_dict()}


# -- queues and comments -------------------------------------------------------------------------
@bp.get("/sites/<site_id>/comments")
def list_comments(site_id: str):
    site_id = _site_id(site_id)
    status = request.args.get("status", PENDING)
    thread = request.args.get("thread", "")
    if status not in LISTED_STATUSES:
        raise _bad_parameter("status", f"one of {', '.join(LISTED_STATUSES)}")
    if status == APPROVED and not THREAD_ID.fullmatch(thread):
        raise _bad_parameter("thread", "approved comments are listed per thread: give ?thread=")
    cursor = request.args.get("cursor") or None
    if cursor is not None and not COMMENT_ID.fullmatch(cursor):
        raise _bad_parameter("cursor", "not a cursor of this listing")
    store = services().comments
    try:
        page = store.status_page(site_id, status, thread=thread, after=cursor, limit=_limit(request.args.get("limit"), 100))
    except InvalidCursor:
        raise _bad_parameter("cursor", "not a cursor of this listing") from None
    return jsonify({"site": site_id, "status": status, "counts": store.status_counts(site_id),
                    "comments": [admin_comment(comment) for comment in page.comments],
                    "next_cursor": page.next_cursor})


@bp.get("/sites/<site_id>/comments/<comment_id>")
def show_comment(site_id: str, comment_id: str):
    comment = _comment(_site_id(site_id), comment_id)
    document = admin_comment(comment)
    document["history"] = services().comments.history(site_id, comment.id)
    return jsonify(document)


@bp.post("/sites/<site_id>/comments/<comment_id>/actions")
def act_on_comment(site_id: str, comment_id: str):
    """A moderator's action: {"action": approve|reject|spam|hold|take_down, "reason", "note"}."""
    data = _json_object()
    fields = {name: data.get(name, "") for name in ("action", "reason", "note")}
    if not all(isinstance(value, str) for value in fields.values()):
        raise validation_problem([{"pointer": f"/{name}", "detail": "must be a string"}
                                  for name, value in fields.items() if not isinstance(value, str)],
                                 title="Invalid action")
    _comment(_site_id(site_id), comment_id)
    try:
        result = apply_action(services().comments, site_id, comment_id, fields["action"], _actor(),
                              reason=fields["reason"], note=fields["note"].strip())
    except ActionError as exc:
        if exc.status == 422:
            raise validation_problem([{"pointer": "/action", "detail": str(exc)}], title="Invalid action") from None
        raise Problem(exc.status, "Conflict" if exc.status == 409 else "Not Found", str(exc),
                      type_slug="invalid-transition" if exc.status == 409 else None,
                      **({"current_status": exc.current_status} if exc.current_status else {})) from None
    return jsonify({"outcome": result.outcome, "comment": admin_comment(result.comment)})


@bp.post("/sites/<site_id>/commenters")
def change_commenter(site_id: str):
    """Ban or trust a commenter, or lift it: {"action": "ban" | "unban" | "trust" | "untrust",
    "entry": e-mail, @domain, IP or network} or {"action", "comment": id} (its author)."""
    data = _json_object()
    action, entry, comment_id = (data.get(name, "") for name in ("action", "entry", "comment"))
    if not all(isinstance(value, str) for value in (action, entry, comment_id)):
        raise validation_problem([{"pointer": "", "detail": "action, entry and comment are strings"}],
                                 title="Invalid action")
    site_id = _site_id(site_id)
    if comment_id and not entry:
        entry = commenter_of(_comment(site_id, comment_id))
        if not entry:
            raise validation_problem([{"pointer": "/comment", "detail": "the comment names no e-mail or IP"}],
                                     title="Invalid action")
    try:
        policy = change_commenter_list(services().comments, site_id, action, entry, _actor())
    except ActionError as exc:
        raise validation_problem([{"pointer": "/entry" if "Unknown action" not in str(exc) else "/action",
                                   "detail": str(exc)}], title="Invalid action") from None
    return jsonify({"version": policy.version, "commenters": policy.to_dict()["commenters"]})


def _comment(site_id: str, comment_id: str) -> Comment:
    comment = services().comments.get(site_id, comment_id) if COMMENT_ID.fullmatch(comment_id) else None
    if comment is None:
        raise Problem(404, "Not Found", "No such comment.")
    return comment


def admin_comment(comment: Comment) -> dict:
    """Everything a moderator needs about one comment: the raw text (as data: escape it to
    show it), the HTML we made of it, who sent it, and why it is where it is."""
    return {
        "id": comment.id, "site": comment.site_id, "status": comment.status, "thread": comment.thread,
        "thread_url": comment.thread_url or None, "thread_title": comment.thread_title or None,
        "parent": comment.parent or None, "seq": comment.seq,
        "author": {**author_document(comment.author_name), "email": comment.author_email or None},
        "client": {"ip": comment.client_ip or None, "user_agent": comment.client_user_agent or None,
                   "referrer": comment.client_referrer or None},
        "body": comment.body, "format": comment.format, "html": comment.html or None,
        "findings": comment.reasons, "score": comment.score, "classifier": comment.classifier or None,
        "render_report": comment.report, "policy_version": comment.policy_version or None,
        "format_version": comment.format_version or None, "attempts": comment.attempts,
        "created_at": iso_time(comment.created_at), "decided_at": iso_time(comment.decided_at),
        "moderated_by": comment.moderated_by or None, "moderation_reason": comment.moderation_reason or None,
        "moderated_at": iso_time(comment.moderated_at), "failure": comment.failure or None,
        "reports": {"count": comment.reports, "reasons": comment.report_reasons, "notes": comment.report_notes,
                    "reported_at": iso_time(comment.reported_at), "hidden_at": iso_time(comment.hidden_at)},
    }


def _limit(raw, maximum: int) -> int:
    if raw is None or raw == "":
        return min(50, maximum)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= maximum:
        raise _bad_parameter("limit", f"an integer from 1 to {maximum}")
    return value


def _bad_parameter(name: str, detail: str) -> Problem:
    return Problem(400, "Bad Request", f"Parameter {name!r} must be {detail}.", type_slug="bad-query-parameter",
                   errors=[{"parameter": name, "detail": detail}])
