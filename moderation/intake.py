"""Comment intake: what POST /api/v1/comments does once the request is read and valid.

Plain functions over the stores (no Flask, no Celery), mirroring
:mod:`moderation.processing`. The order:

1. with an ``Idempotency-Key``: claim it (a retry gets the first response back,
   a retry while the first request runs gets "in progress", the same key with
   another body gets "reused");
2. one store call that checks the parent comment, counts the commenter's rate
   limit and persists the comment in state ``queued``, with the 202 stored
   under the key in the same step (:meth:`CommentStore.create`);
3. enqueue the comment's task. When the broker is the store's own Redis, the
   script of step 2 pushes the task message itself (``task_message``): the
   comment and its message exist together or not at all. Otherwise the task is
   published after the script; a failed publish does not fail the intake: the
   comment is stored and the sweeper sends it, so a 202 always means "will
   reach a final state".
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from moderation.store.comments import CommentStore, IdempotencyConflict, QueuedTask, new_comment_id
from moderation.store.idempotency import IdempotencyStore, StoredResponse
from moderation.store.ratelimit import RateLimit
from moderation.validation import CommentSubmission

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IdempotentRequest:
    """The client's Idempotency-Key and the fingerprint of what it was sent with."""

    key: str
    fingerprint: str


@dataclass(frozen=True)
class IntakeResult:
    """``outcome``: ``accepted`` (``response`` is the 202; ``replayed`` for a retry), or a refusal:
    ``rate_limited`` (``retry_after`` s), ``no_parent``, ``in_progress``, ``key_reused``."""

    outcome: str
    response: StoredResponse | None = None
    comment_id: str = ""
    replayed: bool = False
    retry_after: int = 0


@dataclass
class Intake:
    """What the intake needs: the stores, the rate limit, and how to enqueue a comment: either
    ``task_message`` (a message the store pushes with the comment) or ``enqueue`` (publish after)."""

    comments: CommentStore
    idempotency: IdempotencyStore
    rate_limit: RateLimit
    enqueue: Callable[[str, str, str], None]  # (comment id, site id, request id)
    task_message: Callable[[str, str, str], QueuedTask] | None = None

    def submit(self, site_id: str, submission: CommentSubmission, *, client_address: str,
               respond: Callable[[str], StoredResponse], request_id: str = "",
               idempotent: IdempotentRequest | None = None) -> IntakeResult:
        """Store and enqueue one valid submission; ``respond(comment_id)`` builds the 202."""
        if idempotent is None:
            return self._accept(site_id, submission, client_address, respond, request_id)
        claim = self.idempotency.claim(site_id, idempotent.key, idempotent.fingerprint)
        if claim.outcome == "replay":
            return IntakeResult("accepted", claim.response, claim.response.body.get("id", ""), replayed=True)
        if claim.outcome in ("in_progress", "mismatch"):
            return IntakeResult("in_progress" if claim.outcome == "in_progress" else "key_reused")
        try:
            result = self._accept(site_id, submission, client_address, respond, request_id, idempotent,
                                  claim.token)
        except BaseException:
            self.idempotency.release(site_id, idempotent.key, idempotent.fingerprint)
            raise
        if result.outcome != "accepted":  # refused: a retry may go through later
            self.idempotency.release(site_id, idempotent.key, idempotent.fingerprint)
        return result

    def _accept(self, site_id: str, submission: CommentSubmission, client_address: str,
                respond: Callable[[str], StoredResponse], request_id: str,
                idempotent: IdempotentRequest | None = None, claim_token: str = "") -> IntakeResult:
        comment_id = new_comment_id()
        response = respond(comment_id)
        guard = None
        if idempotent is not None:  # the 202 is stored with the comment, in the same script
            guard = self.idempotency.guard(site_id, idempotent.key, claim_token, idempotent.fingerprint,
                                           response)
        fields = submission.to_store_fields()
        fields.update(site_id=site_id, idempotency_key=idempotent.key if idempotent else "")
        client = submission.client_ip or client_address or "unknown"
        task = self.task_message(comment_id, site_id, request_id) if self.task_message else None
        try:
            created = self.comments.create(fields, comment_id=comment_id, request_id=request_id,
                                           rate=self.rate_limit.window(site_id, client), guard=guard, task=task)
        except IdempotencyConflict:  # our claim lapsed and another request holds the key now
            return IntakeResult("in_progress")
        if created.outcome == "limited":
            return IntakeResult("rate_limited", retry_after=created.retry_after)
        if created.outcome == "no_parent":
            return IntakeResult("no_parent")
        if task is None:
            try:
                self.enqueue(comment_id, site_id, request_id)
            except Exception:  # the broker is down; the comment is stored and the sweeper will send it
                log.exception("enqueue of comment %s failed; left for the sweeper", comment_id)
        return IntakeResult("accepted", response, comment_id)
