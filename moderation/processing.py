"""Process comments: mark them processing, render, decide, store the results.

Plain functions over the store (no Celery, no Flask), safe to run any number
of times for the same id: the state changes are compare-and-set, so a second
run, a redelivered task or two concurrent workers produce one transition and
one audit event. Attempts are counted at the start of each run; past
``max_attempts`` the comment ends ``failed`` in the dead-letter list.

:func:`process_batch` works on several comments of one site with one pipeline
to start them all (:meth:`CommentStore.begin_attempts`: count the attempt,
hand the comment back) and one to store every decision
(:meth:`CommentStore.transitions`: HTML, report, reasons, counters).
:func:`process_comment` is the same for one comment.
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from moderation.commenter import commenter_id
from moderation.formats import render
from moderation.formats.registry import UnknownFormat
from moderation.policy import evaluate
from moderation.policy.near_duplicates import EarlierCopies, Fingerprint, RecentCopies, fingerprint, similar
from moderation.policy.spam_providers import SpamRequest
from moderation.policy.text import comment_text
from moderation.store.comments import FAILED, PROCESSING, AttemptStart, Comment, CommentStore, StateChange

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProcessingResult:
    """What one run did: ``outcome`` is decided | already_final | failed | missing | retry.

    ``retry``: rendering raised ``error`` with attempts left; the comment stays ``processing``
    and the caller sends it again (or the sweeper will).
    """

    comment_id: str
    outcome: str
    status: str
    attempts: int = 0
    reasons: tuple[str, ...] = ()
    error: Exception | None = None
    request_id: str = ""  # of the request that submitted the comment, when it was read


def process_comment(store: CommentStore, site_id: str, comment_id: str, *, max_attempts: int = 5,
                    pause_seconds: float = 0.0, actor: str = "worker", request_id: str = "") -> ProcessingResult:
    """Render and decide one comment; returns what happened.

    Raises whatever rendering raised (other than an unknown format) while
    attempts remain, so the caller can retry; at the cap the comment fails.
    ``pause_seconds`` is a
    TEST-ONLY hook (MODERATION_TEST_PROCESSING_DELAY): it holds the comment in
    ``processing`` so fault tests can kill the worker.
    """
    start = store.begin_attempt(site_id, comment_id, max_attempts, actor=actor, request_id=request_id)
    result, = _finish(store, [(comment_id, start)], max_attempts, pause_seconds, actor, request_id)
    if result.error is not None:
        raise result.error
    return result


def process_batch(store: CommentStore, site_id: str, comment_ids: list[str], *, max_attempts: int = 5,
                  pause_seconds: float = 0.0, actor: str = "worker") -> list[ProcessingResult]:
    """Render and decide comments of one site; one result per id, in order.

    A rendering error does not stop the batch: that comment's result is ``retry`` (or ``failed``
    at the cap). Redis errors propagate; every change made before them stands, and a comment
    left ``processing`` is resumed by its next run.
    """
    starts = store.begin_attempts(comment_ids, site_id, max_attempts, actor=actor)
    return _finish(store, list(zip(comment_ids, starts)), max_attempts, pause_seconds, actor, "")


def _finish(store: CommentStore, started: list[tuple[str, AttemptStart]], max_attempts: int,
            pause_seconds: float, actor: str, request_id: str) -> list[ProcessingResult]:
    """Everything after the attempts began: render, look up earlier copies (one round trip),
    decide, store (one pipeline of changes), index the texts for later copies (one round trip)."""
    results: list[ProcessingResult | None] = [None] * len(started)
    if pause_seconds > 0 and any(start.should_process for _, start in started):
        time.sleep(pause_seconds)
    rendered: list[tuple[int, AttemptStart, Rendered]] = []
    changes: list[tuple[int, StateChange]] = []
    for index, (comment_id, start) in enumerate(started):
        if start.outcome == "missing":
            log.warning("comment %s does not exist", comment_id)
            results[index] = ProcessingResult(comment_id, "missing", "")
        elif not start.should_process:
            failed = start.outcome == "failed"
            results[index] = ProcessingResult(comment_id, "failed" if failed else "already_final",
                                              FAILED if failed else start.previous_status, start.attempts)
        else:
            copies_wanted = store.policies.current(start.comment.site_id).copies.enabled
            outcome = _render(start, max_attempts, actor, request_id or start.comment.request_id, copies_wanted)
            if isinstance(outcome, Exception):
                results[index] = ProcessingResult(comment_id, "retry", PROCESSING, start.attempts, error=outcome)
            elif isinstance(outcome, StateChange):
                changes.append((index, outcome))
            else:
                rendered.append((index, start, outcome))
    copies = _earlier_copies(store, rendered)
    histories = _commenter_histories(store, rendered)
    for (index, start, result), earlier, history in zip(rendered, copies, histories):
        changes.append((index, _decide(store, start, result, earlier, history, actor,
                                       request_id or start.comment.request_id)))
    made = store.transitions([change for _, change in changes]) if changes else []
    store.near_duplicates.add([(_ref(start.comment), result.fingerprint.bands) for _, start, result in rendered])
    _record_decisions(store, [change for (_, change), changed in zip(changes, made) if changed])
    for (index, change), changed in zip(changes, made):
        comment_id, start = started[index]
        codes = tuple(change.decision_reasons or ())
        if changed:
            outcome = "failed" if change.to == FAILED else "decided"
            results[index] = ProcessingResult(comment_id, outcome, change.to, start.attempts, codes,
                                              request_id=change.request_id)
        else:  # another run decided it first
            current = store.get(change.comment.site_id, comment_id)
            results[index] = ProcessingResult(comment_id, "already_final", current.status if current else "",
                                              start.attempts, request_id=change.request_id)
    return results


@dataclass(frozen=True)
class Rendered:
    """A comment rendered, with what the policy reads of it before deciding."""

    html: str
    report: dict
    format_version: str
    fingerprint: Fingerprint  # for finding copies of its text (policy.near_duplicates)


def _render(start: AttemptStart, max_attempts: int, actor: str, request_id: str,
            copies_wanted: bool) -> Rendered | StateChange | Exception:
    """The comment rendered (with its fingerprint when the site's policy looks for copies); or
    the state change of a permanent failure; or the error to retry on."""
    comment = start.comment
    try:
        rendered = render(comment.body, comment.format)
    except UnknownFormat as exc:  # permanent: retrying cannot help
        return _failure(comment, f"unknown format: {exc}", "unknown_format", actor, request_id)
    except Exception as exc:
        log.exception("rendering comment %s failed (attempt %d)", comment.id, start.attempts)
        if start.attempts >= max_attempts:
            return _failure(comment, f"render error: {type(exc).__name__}", "render_error", actor, request_id)
        return exc
    return Rendered(rendered.html, rendered.report.to_dict(), str(rendered.format_version),
                    fingerprint(comment_text(rendered.html).text) if copies_wanted else Fingerprint())


def _ref(comment: Comment) -> str:
    return f"{comment.site_id}/{comment.id}"


def _earlier_copies(store: CommentStore, rendered: list[tuple[int, AttemptStart, Rendered]]) -> list[EarlierCopies]:
    """For each rendered comment, the copies of its text seen before: candidates from the
    store's index (one round trip), checked against their text (one more, only when there are
    candidates), and earlier comments of this same batch."""
    if not rendered:
        return []
    candidates = store.near_duplicates.find([result.fingerprint.bands for _, _, result in rendered])
    texts = store.near_duplicates.texts([first for found in candidates for _, first in found])
    shingles = {ref: fingerprint(comment_text(html).text).shingles for ref, html in texts.items()}
    in_batch = RecentCopies()
    copies = []
    for (_, start, result), found in zip(rendered, candidates):
        own = _ref(start.comment)
        indexed = next((EarlierCopies(count, first) for count, first in sorted(found, reverse=True)
                        if first != own and similar(result.fingerprint.shingles, shingles.get(first, frozenset()))),
                       EarlierCopies())
        copies.append(indexed.plus(in_batch.seen(result.fingerprint)))
        in_batch.add(own, result.fingerprint)
    return copies


def _commenter_histories(store: CommentStore, rendered: list[tuple[int, AttemptStart, Rendered]]) -> list[str]:
    """Each rendered comment's commenter's recent decisions, by site (one round trip a site)."""
    histories = [""] * len(rendered)
    by_site: dict[str, list[int]] = {}
    for position, (_, start, _result) in enumerate(rendered):
        by_site.setdefault(start.comment.site_id, []).append(position)
    for site_id, positions in by_site.items():
        found = store.commenters.recent(site_id, [_commenter(rendered[position][1].comment) for position in positions])
        for position, history in zip(positions, found):
            histories[position] = history
    return histories


def _record_decisions(store: CommentStore, changes: list[StateChange]) -> None:
    """Add the batch's decisions to their commenters' histories."""
    by_site: dict[str, list[tuple[str, str]]] = {}
    for change in changes:
        by_site.setdefault(change.comment.site_id, []).append((_commenter(change.comment), change.to))
    for site_id, decisions in by_site.items():
        store.commenters.record(site_id, decisions)


def _commenter(comment: Comment) -> str:
    return commenter_id(comment.author_email, comment.client_ip)


def _decide(store: CommentStore, start: AttemptStart, rendered: Rendered, earlier: EarlierCopies, history: str,
            actor: str, request_id: str) -> StateChange:
    """The state change that stores one rendered comment's decision under its site's policy."""
    comment = start.comment
    site_id = comment.site_id
    decision = evaluate(store.policies.current(site_id), rendered.html, rendered.report, thread=comment.thread,
                        author_email=comment.author_email, client_ip=comment.client_ip, commenter_history=history,
                        site_spam=store.spam_feedback.counts(site_id), earlier_copies=earlier, own_ref=_ref(comment),
                        spam_request=SpamRequest.of(comment))
    codes = decision.reason_codes or ["no_findings"]
    extra = {
        "html": rendered.html,
        # Every finding, acting or not, with its evidence (docs/moderation.md).
        "reasons": json.dumps([finding.to_dict() for finding in decision.findings], separators=(",", ":"),
                              ensure_ascii=False),
        "format_version": rendered.format_version,
        "policy_version": decision.policy_version,
        "decided_at": f"{time.time():.6f}",
        "score": f"{decision.score:.4f}" if decision.score is not None else None,
        "classifier": decision.classifier or None,
    }
    extra["report"] = stored_report(rendered.report)
    return StateChange(comment, allowed_from={PROCESSING}, to=decision.status, actor=actor,
                       detail=", ".join(codes), request_id=request_id, decision_reasons=codes, extra=extra)


def stored_report(report: dict) -> str | None:
    """A render report as the comment's hash keeps it: what the render found (zero counts, empty
    maps and false flags left out: about 170 bytes less per comment), or None (no field) when it
    found nothing; RenderReport().to_dict() gives the defaults."""
    found = {name: value for name, value in report.items() if value}
    return json.dumps(found, sort_keys=True, separators=(",", ":")) if found else None


def _failure(comment: Comment, reason: str, code: str, actor: str, request_id: str) -> StateChange:
    return StateChange(comment, allowed_from={PROCESSING}, to=FAILED, actor=actor, detail=reason,
                       request_id=request_id, decision_reasons=[code],
                       extra={"failure": reason, "decided_at": f"{time.time():.6f}"})


def sweep_stuck_comments(store: CommentStore, enqueue, older_than_seconds: float,
                         limit: int = 100) -> list[str]:
    """Re-enqueue comments in queued/processing unchanged for ``older_than_seconds``.

    ``enqueue(comment_id, site_id)`` sends the task; every site is walked. A lost message (worker
    crash between BRPOP and the unacked write, a failed publish) therefore
    never loses a comment: it only delays it by up to the threshold plus one
    sweep interval.
    """
    stuck = store.claim_stuck(older_than_seconds, limit=limit)
    for site_id, comment_id in stuck:
        enqueue(comment_id, site_id)
    return [comment_id for _site, comment_id in stuck]


def wake_sites_with_waiting_comments(store: CommentStore, wake: Callable[[str], None]) -> list[str]:
    """Send a drain task to every site whose ready list is not empty; the sites woken.

    A drain message is normally always on its way while a ready list is not empty; a lost
    one (a worker killed after taking it, a failed publish) would leave that site's new
    comments waiting for the stuck-comment threshold. One more drain costs nothing: it finds
    the list empty, or shares the work.
    """
    sites = store.sites_with_ready_comments()
    for site_id in sites:
        wake(site_id)
    return sites
