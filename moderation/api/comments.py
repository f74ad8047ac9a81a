"""Comment intake (POST /api/v1/comments) and status (GET /api/v1/comments/<id>).

The view reads and validates the request, then hands the submission to
:class:`moderation.intake.Intake` (Idempotency-Key, parent, rate limit, store,
enqueue) and turns its outcome into the HTTP answer. A 202 always means
"stored, will reach a final state".
"""
from __future__ import annotations

import hashlib
import re

from flask import Blueprint, g, jsonify, request

from moderation.api.cors import with_cors
from moderation.api.deps import (
    author_document, authenticated_site, iso_time, public_url, request_key_kind, services,
)
from moderation.api.formats import default_format_id, known_format_ids
from moderation.api.request_body import read_payload
from moderation.browser_tokens import TokenError
from moderation.intake import IdempotentRequest, IntakeResult
from moderation.problems import Problem, validation_problem
from moderation.store.comments import APPROVED, Comment
from moderation.store.idempotency import StoredResponse
from moderation.validation import (
    COMMENT_ID, MAX_URL_CHARS, MAX_USER_AGENT_CHARS, CommentSubmission, printable, validate_submission,
)

bp = Blueprint("comments", __name__, url_prefix="/api/v1/comments")

# Printable ASCII, as the Idempotency-Key draft expects; bounded length.
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e][\x20-\x7e]{0,254}")


@bp.post("", provide_automatic_options=False)
def create_comment():
    site = authenticated_site(allow_public=True)
    body = read_payload(request)
    svc = services()
    from_browser = request_key_kind() == "public"
    payload = _browser_payload(site.id, body.payload) if from_browser else body.payload
    submission = validate_submission(payload, known_formats=known_format_ids(),
                                     default_format=site.default_format or default_format_id(),
                                     max_comment_chars=svc.settings.max_comment_chars)
    if not isinstance(submission, CommentSubmission):
        raise validation_problem([error.to_dict() for error in submission])
    result = svc.intake.submit(site.id, submission, respond=_accepted_response, request_id=g.request_id,
                               idempotent=_idempotent_request(body.media_type, body.raw))
    g.intake_outcome = "replayed" if result.replayed else result.outcome
    if result.outcome != "accepted":
        raise _refusal(result)
    document = dict(result.response.body)
    if from_browser and "id" in document:  # only this reader learns the token that shows them their comment
        token = svc.tokens.status_token(site.id, document["id"])
        document["status_token"] = token
        document["status_url"] = public_url(f"/api/v1/comments/{document['id']}/status?token={token}")
    response = jsonify(document)
    response.status_code = result.response.status
    response.headers.update(result.response.headers)
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return with_cors(response, site) if from_browser else response


def _accepted_response(comment_id: str) -> StoredResponse:
    url = public_url(f"/api/v1/comments/{comment_id}")
    return StoredResponse(202, {"id": comment_id, "status": "queued", "url": url}, {"Location": url})


def _browser_payload(site_id: str, payload: object) -> object:
    """A submission from a reader's browser (public key): its form token spent, its honeypot
    empty, and nothing it says about itself believed: the client's IP is the connection's (as
    seen through MODERATION_PROXY_HOPS proxies), its user agent and referrer the request's."""
    if not isinstance(payload, dict):
        return payload
    payload = dict(payload)
    if str(payload.pop("website", "") or "").strip():
        raise validation_problem([{"pointer": "/website", "detail": "must be left empty"}])
    token = payload.pop("form_token", None)
    try:
        services().tokens.spend_form_token(site_id, token if isinstance(token, str) else "")
    except TokenError as exc:
        raise validation_problem([{"pointer": "/form_token", "detail": str(exc)}]) from None
    payload["client"] = {"ip": request.remote_addr or "",
                         "user_agent": printable(request.headers.get("User-Agent", ""))[:MAX_USER_AGENT_CHARS],
                         "referrer": printable(request.headers.get("Referer", ""))[:MAX_URL_CHARS]}
    return payload


def _idempotent_request(media_type: str, raw: bytes) -> IdempotentRequest | None:
    client_key = request.headers.get("Idempotency-Key")
    if client_key is None:
        return None
    if not IDEMPOTENCY_KEY.fullmatch(client_key):
        raise Problem(400, "Bad Request", "Idempotency-Key must be 1-255 printable ASCII characters.",
                      type_slug="bad-idempotency-key")
    return IdempotentRequest(client_key, hashlib.sha256(media_type.encode() + b"\n" + raw).hexdigest())


def _refusal(result: IntakeResult) -> Problem:
    if result.outcome == "rate_limited":
        settings = services().settings
        limit, window = (settings.site_rate_limit_window if result.limited_by == "site" else None) or \
            settings.rate_limit_window
        who = {"ip": "per commenter IP", "email": "per commenter e-mail", "site": "for this site"}.get(
            result.limited_by, "per commenter")
        return Problem(429, "Too Many Requests", f"At most {limit} comments {who} in {window} s.",
                       type_slug="rate-limited", headers={"Retry-After": str(result.retry_after)},
                       limited_by=result.limited_by or None)
    if result.outcome == "thread_closed":
        return Problem(409, "Thread closed", "This thread takes no new comments.", type_slug="thread-closed")
    if result.outcome == "no_parent":
        return validation_problem([{"pointer": "/parent", "detail": "no such comment in this thread"}])
    if result.outcome == "not_replicated":
        return Problem(503, "Service Unavailable", "The comment is stored but not yet on enough replicas; retry "
                       "with the same Idempotency-Key.", type_slug="not-replicated",
                       headers={"Retry-After": str(result.retry_after)})
    if result.outcome == "key_reused":
        return Problem(422, "Idempotency-Key reused", "This Idempotency-Key was used for a different request.",
                       type_slug="idempotency-key-reused")
    return Problem(409, "Conflict", "A request with this Idempotency-Key is still being processed.",
                   type_slug="idempotency-in-progress", headers={"Retry-After": "1"})


@bp.get("/<comment_id>/status", provide_automatic_options=False)
def show_own_comment(comment_id: str):
    """A reader's own comment, with the status token its 202 gave: state and rendered HTML while it
    waits (no key: the token is the permission; any origin may read it, no cookies involved)."""
    site_id = services().tokens.status_token_site(comment_id, request.args.get("token")) \
        if COMMENT_ID.fullmatch(comment_id) else None
    comment = services().comments.get(site_id, comment_id) if site_id else None
    if comment is None:
        raise Problem(404, "Not Found", "No such comment, or not your status token.")
    waiting = comment.status not in (APPROVED, "rejected", "spam", "failed")
    response = jsonify({"id": comment.id, "status": "published" if comment.status == APPROVED else (
        "awaiting_moderation" if waiting else "not_published"), "state": comment.status,
        "thread": comment.thread, "parent": comment.parent or None, "author": author_document(comment.author_name),
        "html": comment.html or None, "created_at": iso_time(comment.created_at)})
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<comment_id>")
def show_comment(comment_id: str):
    site = authenticated_site()
    comment = services().comments.get(site.id, comment_id) if COMMENT_ID.fullmatch(comment_id) else None
    if comment is None or comment.site_id != site.id:
        raise Problem(404, "Not Found", "No such comment.")
    return jsonify(comment_status(comment))


def comment_status(comment: Comment) -> dict:
    """The status document of one comment (what its submitter may see)."""
    document = {
        "id": comment.id, "status": comment.status, "thread": comment.thread,
        "parent": comment.parent or None, "author": author_document(comment.author_name),
        "format": comment.format, "request_id": comment.request_id or None,
        "created_at": iso_time(comment.created_at), "updated_at": iso_time(comment.updated_at),
        "attempts": comment.attempts, "url": public_url(f"/api/v1/comments/{comment.id}"),
    }
    if comment.status == APPROVED:
        document["html"] = comment.html
    if comment.decided_at is not None:
        document["decision"] = {
            "status": comment.status, "reasons": comment.reasons,
            "policy_version": comment.policy_version, "format_version": comment.format_version,
            "decided_at": iso_time(comment.decided_at),
        }
    if comment.failure:
        document["failure"] = comment.failure
    return document
