"""Comment intake (POST /api/v1/comments) and status (GET /api/v1/comments/<id>).

Intake order: authenticate, parse, validate, claim the Idempotency-Key,
rate-limit, persist (state ``queued``), then enqueue the id. A failed enqueue
does not fail the request: the comment is already stored and the sweeper
re-enqueues it, so a 202 always means "will reach a final state".

With an Idempotency-Key the comment and its 202 response are stored in one
step (under the claim), so a retry after any failure later in the request
replays that 202 instead of creating a second comment or being refused.
"""
from __future__ import annotations

import hashlib
import logging
import re

from flask import Blueprint, jsonify, request

from moderation.api.deps import authenticated_site, iso_time, public_url, services
from moderation.api.request_body import read_payload
from moderation.api.formats import default_format_id, known_format_ids
from moderation.problems import Problem, validation_problem
from moderation.store.comments import APPROVED, Comment, IdempotencyConflict, new_comment_id
from moderation.store.idempotency import Claim, StoredResponse
from moderation.validation import COMMENT_ID, CommentSubmission, validate_submission

log = logging.getLogger(__name__)
bp = Blueprint("comments", __name__, url_prefix="/api/v1/comments")

# Printable ASCII, as the Idempotency-Key draft expects; bounded length.
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e][\x20-\x7e]{0,254}")


@bp.post("")
def create_comment():
    site = authenticated_site()
    body = read_payload(request)
    svc = services()
    result = validate_submission(body.payload, known_formats=known_format_ids(),
                                 default_format=default_format_id(),
                                 max_comment_chars=svc.settings.max_comment_chars)
    if not isinstance(result, CommentSubmission):
        raise validation_problem([error.to_dict() for error in result])
    _check_parent(site.id, result)

    client_key = request.headers.get("Idempotency-Key")
    if client_key is None:
        return _accept(site.id, result, None, None)
    if not IDEMPOTENCY_KEY.fullmatch(client_key):
        raise Problem(400, "Bad Request", "Idempotency-Key must be 1-255 printable ASCII characters.",
                      type_slug="bad-idempotency-key")
    fingerprint = hashlib.sha256(body.media_type.encode() + b"\n" + body.raw).hexdigest()
    claim = svc.idempotency.claim(site.id, client_key, fingerprint)
    if claim.outcome == "replay":
        response = jsonify(claim.response.body)
        response.status_code = claim.response.status
        response.headers.update(claim.response.headers)
        response.headers["Idempotent-Replayed"] = "true"
        return response
    if claim.outcome == "in_progress":
        raise _in_progress()
    if claim.outcome == "mismatch":
        raise Problem(422, "Idempotency-Key reused", "This Idempotency-Key was used for a different request.",
                      type_slug="idempotency-key-reused")
    try:
        return _accept(site.id, result, client_key, fingerprint, claim)
    except BaseException:
        svc.idempotency.release(site.id, client_key, fingerprint)
        raise


def _in_progress() -> Problem:
    return Problem(409, "Conflict", "A request with this Idempotency-Key is still being processed.",
                   type_slug="idempotency-in-progress", headers={"Retry-After": "1"})


def _check_parent(site_id: str, submission: CommentSubmission) -> None:
    if not submission.parent:
        return
    parent = services().comments.get(submission.parent)
    if parent is None or parent.site_id != site_id or parent.thread != submission.thread:
        raise validation_problem([{"pointer": "/parent", "detail": "no such comment in this thread"}])


def _accept(site_id: str, submission: CommentSubmission, client_key: str | None, fingerprint: str | None,
            claim: Claim | None = None):
    svc = services()
    client = submission.client_ip or request.remote_addr or "unknown"
    rate = svc.rate_limiter.hit(site_id, client)
    if not rate.allowed:
        raise Problem(429, "Too Many Requests", f"At most {rate.limit} comments per client in this window.",
                      type_slug="rate-limited", headers={"Retry-After": str(rate.retry_after_seconds)})

    comment_id = new_comment_id()
    url = public_url(f"/api/v1/comments/{comment_id}")
    body = {"id": comment_id, "status": "queued", "url": url}
    headers = {"Location": url}
    guard = None
    if client_key is not None:  # the 202 is stored with the comment, in the same script
        guard = svc.idempotency.create_guard(site_id, client_key, claim, fingerprint,
                                             StoredResponse(202, body, headers))
    fields = submission.to_store_fields()
    fields.update(site_id=site_id, idempotency_key=client_key or "")
    try:
        svc.comments.create(fields, comment_id=comment_id, guard=guard)
    except IdempotencyConflict:  # our claim lapsed and another request holds the key now
        raise _in_progress() from None
    try:
        svc.enqueue_comment(comment_id)
    except Exception:  # the broker is down; the comment is stored and the sweeper will enqueue it
        log.exception("enqueue of comment %s failed; left for the sweeper", comment_id)

    response = jsonify(body)
    response.status_code = 202
    response.headers.update(headers)
    return response


@bp.get("/<comment_id>")
def show_comment(comment_id: str):
    site = authenticated_site()
    comment = services().comments.get(comment_id) if COMMENT_ID.fullmatch(comment_id) else None
    if comment is None or comment.site_id != site.id:
        raise Problem(404, "Not Found", "No such comment.")
    return jsonify(comment_status(comment))


def comment_status(comment: Comment) -> dict:
    """The status document of one comment (what its submitter may see)."""
    document = {
        "id": comment.id, "status": comment.status, "thread": comment.thread,
        "parent": comment.parent or None, "format": comment.format,
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
