"""Comment intake: what POST /api/v1/comments does once the request is read and valid.

Plain functions over the stores (no Flask, no Celery), mirroring
:mod:`moderation.processing`. The order:

1. with an ``Idempotency-Key``: claim it (a retry gets the first response back,
   a retry while the first request runs gets "in progress", the same key with
   another body gets "reused");
2. one store call that checks the parent comment, counts the commenter's rate
   limit and persists the comment in state ``queued``, with the 202 stored
   under the key in the same step (:meth:`CommentStore.create`);
3. the script of step 2 also puts the comment on its site's ready list, where
   workers take comments in batches. When the list was empty, no drain task is
   on its way, so the comment wakes one: when the broker is the store's own
   Redis, the script pushes the drain message itself (``wake_message``), so
   the comment and its wake-up exist together or not at all; otherwise it is
   published after the script. A failed publish does not fail the intake: the
   comment is stored and the sweeper wakes its site, so a 202 always means
   "will reach a final state".
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from moderation.store.comments import CommentStore, IdempotencyConflict, QueuedTask, new_comment_id
from moderation.store.idempotency import IdempotencyStore, StoredResponse
from moderation.store.ratelimit import FloodControl
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
    ``rate_limited`` (``retry_after`` s), ``no_parent``, ``thread_closed`` (the site's policy
    closed the thread), ``in_progress``, ``key_reused``, or
    ``not_replicated``: stored, but not on MODERATION_WAIT_REPLICAS replicas in time (the comment
    stays and is processed; a retry with the same Idempotency-Key gets the 202)."""

    outcome: str
    response: StoredResponse | None = None
    comment_id: str = ""
    replayed: bool = False
    retry_after: int = 0
    limited_by: str = ""  # rate_limited: "ip", "email" or "site"


@dataclass
class Intake:
    """What the intake needs: the stores, the rate limit, and how to wake a site's workers: either
    ``wake_message`` (a drain message the store pushes with the comment) or ``wake`` (publish after)."""

    comments: CommentStore
    idempotency: IdempotencyStore
    flood_control: FloodControl
    wake: Callable[[str], None]  # (site id)
    wake_message: Callable[[str], QueuedTask] | None = None

    def submit(self, site_id: str, submission: CommentSubmission, *,
               respond: Callable[[str], StoredResponse], request_id: str = "",
               idempotent: IdempotentRequest | None = None) -> IntakeResult:
        """Store and enqueue one valid submission; ``respond(comment_id)`` builds the 202."""
        if idempotent is None:
            return self._accept(site_id, submission, respond, request_id)
        claim = self.idempotency.claim(site_id, idempotent.key, idempotent.fingerprint)
        if claim.outcome == "replay":
            comment_id = claim.response.body.get("id", "")
            # The first try may have been refused as not yet replicated: the replay waits too.
            if self.comments.wait_replicas and not self.comments.replicated_so_far(site_id):
                return IntakeResult("not_replicated", comment_id=comment_id, retry_after=1)
            return IntakeResult("accepted", claim.response, comment_id, replayed=True)
        if claim.outcome in ("in_progress", "mismatch"):
            return IntakeResult("in_progress" if claim.outcome == "in_progress" else "key_reused")
        try:
            result = self._accept(site_id, submission, respond, request_id, idempotent, claim.token)
        except BaseException:
            self.idempotency.release(site_id, idempotent.key, idempotent.fingerprint)
            raise
        if result.outcome != "accepted":  # refused: a retry may go through later
            self.idempotency.release(site_id, idempotent.key, idempotent.fingerprint)
        return result

    def _accept(self, site_id: str, submission: CommentSubmission,
                respond: Callable[[str], StoredResponse], request_id: str,
                idempotent: IdempotentRequest | None = None, claim_token: str = "") -> IntakeResult:
        if self.comments.policies.current(site_id).threads.get(submission.thread) == "closed":
            return IntakeResult("thread_closed")
        comment_id = new_comment_id()
        response = respond(comment_id)
        guard = None
        if idempotent is not None:  # the 202 is stored with the comment, in the same script
            guard = self.idempotency.guard(site_id, idempotent.key, claim_token, idempotent.fingerprint,
                                           response)
        fields = submission.to_store_fields()
        fields.update(site_id=site_id, idempotency_key=idempotent.key if idempotent else "")
        # The commenter's IP is the one the site reports: the connection's address is the site's
        # server (one address for all its readers), so it limits nobody (ratelimit.py).
        windows = self.flood_control.windows(site_id, submission.client_ip or "", submission.author_email or "")
        wake = self.wake_message(site_id) if self.wake_message else None
        try:
            created = self.comments.create(fields, comment_id=comment_id, request_id=request_id,
                                           rate=windows, guard=guard, wake=wake)
        except IdempotencyConflict:  # our claim lapsed and another request holds the key now
            return IntakeResult("in_progress")
        if created.outcome == "limited":
            return IntakeResult("rate_limited", retry_after=created.retry_after, limited_by=created.limited_by)
        if created.outcome == "no_parent":
            return IntakeResult("no_parent")
        if created.wake and wake is None:
            try:
                self.wake(site_id)
            except Exception:  # the broker is down; the comment is stored and the sweeper wakes its site
                log.exception("waking the workers for comment %s failed; left for the sweeper", comment_id)
        if not created.replicated:
            log.warning("comment %s is stored but not yet on %d replicas", comment_id, self.comments.wait_replicas)
            return IntakeResult("not_replicated", comment_id=comment_id, retry_after=1)
        return IntakeResult("accepted", response, comment_id)
