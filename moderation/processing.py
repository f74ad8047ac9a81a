"""Process one comment: mark it processing, render, decide, store the result.

A plain function over the store (no Celery, no Flask), safe to run any number
of times for the same id: the state changes are compare-and-set, so a second
run, a redelivered task or two concurrent workers produce one transition and
one audit event. Attempts are counted at the start of each run; past
``max_attempts`` the comment ends ``failed`` in the dead-letter list.

Two Redis round trips per comment: :meth:`CommentStore.begin_attempt` counts
the attempt and hands the comment back; :meth:`CommentStore.transition`
stores the decision with its HTML, report, reasons and counters.
"""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass

from moderation.decision import decide
from moderation.formats import render
from moderation.formats.registry import UnknownFormat
from moderation.store.comments import FAILED, PROCESSING, Comment, CommentStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProcessingResult:
    """What one run did: ``outcome`` is decided | already_final | failed | missing."""

    comment_id: str
    outcome: str
    status: str
    attempts: int = 0
    reasons: tuple[str, ...] = ()


def process_comment(store: CommentStore, comment_id: str, *, max_attempts: int = 5,
                    pause_seconds: float = 0.0, actor: str = "worker", site_id: str | None = None,
                    request_id: str = "") -> ProcessingResult:
    """Render and decide one comment; returns what happened.

    Raises whatever rendering raised (other than an unknown format) while
    attempts remain, so the caller can retry; at the cap the comment fails.
    ``site_id`` (from the task) saves a round trip. ``pause_seconds`` is a
    TEST-ONLY hook (MODERATION_TEST_PROCESSING_DELAY): it holds the comment in
    ``processing`` so fault tests can kill the worker.
    """
    start = store.begin_attempt(comment_id, max_attempts, actor=actor, site_id=site_id,
                                request_id=request_id)
    if start.outcome == "missing":
        log.warning("comment %s does not exist", comment_id)
        return ProcessingResult(comment_id, "missing", "")
    if not start.should_process:
        outcome = "failed" if start.outcome == "failed" else "already_final"
        status = FAILED if start.outcome == "failed" else start.previous_status
        return ProcessingResult(comment_id, outcome, status, start.attempts)

    if pause_seconds > 0:
        time.sleep(pause_seconds)
    comment = start.comment
    request_id = request_id or comment.request_id
    try:
        rendered = render(comment.body, comment.format)
    except UnknownFormat as exc:  # permanent: retrying cannot help
        return _fail(store, comment, f"unknown format: {exc}", start.attempts, actor, request_id)
    except Exception as exc:
        log.exception("rendering comment %s failed (attempt %d)", comment_id, start.attempts)
        if start.attempts >= max_attempts:
            return _fail(store, comment, f"render error: {type(exc).__name__}", start.attempts, actor, request_id)
        raise

    report = rendered.report.to_dict()
    decision = decide(report, rendered.html)
    codes = [reason["code"] for reason in decision.reasons]
    changed = store.transition(
        comment, allowed_from={PROCESSING}, to=decision.status, actor=actor, detail=", ".join(codes),
        request_id=request_id, decision_reasons=codes,
        extra={
            "html": rendered.html,
            "report": json.dumps(report, sort_keys=True),
            "reasons": json.dumps(decision.reasons),
            "format_version": str(rendered.format_version),
            "policy_version": decision.policy_version,
            "decided_at": f"{time.time():.6f}",
        },
    )
    if not changed:  # another run decided it first
        current = store.get(comment_id)
        return ProcessingResult(comment_id, "already_final", current.status if current else "", start.attempts)
    return ProcessingResult(comment_id, "decided", decision.status, start.attempts, tuple(codes))


def _fail(store: CommentStore, comment: Comment, reason: str, attempts: int, actor: str,
          request_id: str) -> ProcessingResult:
    code = "unknown_format" if reason.startswith("unknown format") else "render_error"
    store.transition(comment, allowed_from={PROCESSING}, to=FAILED, actor=actor, detail=reason,
                     request_id=request_id, decision_reasons=[code],
                     extra={"failure": reason, "decided_at": f"{time.time():.6f}"})
    current = store.get(comment.id)
    return ProcessingResult(comment.id, "failed", current.status if current else "", attempts, (code,))


def sweep_stuck_comments(store: CommentStore, enqueue, older_than_seconds: float,
                         limit: int = 100) -> list[str]:
    """Re-enqueue comments in queued/processing unchanged for ``older_than_seconds``.

    ``enqueue(comment_id, site_id)`` sends the task. A lost message (worker
    crash between BRPOP and the unacked write, a failed publish) therefore
    never loses a comment: it only delays it by up to the threshold plus one
    sweep interval.
    """
    stuck = store.claim_stuck(older_than_seconds, limit=limit)
    for comment_id, site_id in zip(stuck, store.site_ids_of(stuck)):
        enqueue(comment_id, site_id)
    return stuck
