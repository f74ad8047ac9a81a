"""Readers' reports of published comments (issue #12): what ``POST /api/v1/comments/{id}/reports``
does once the request is valid (plain functions, as ``intake`` and ``moderator_actions``).

A reader is the CMS's ``reporter`` id when it sends one, else the reader's IP; only a keyed digest
of it is stored (HMAC with the server secret, per site: the same reader on two sites is two
unrelated digests, and a digest cannot be turned back into an IP by trying them all). One report
per reader per comment; a second is a ``duplicate``, not an error. Only an approved comment can be
reported. Past the site's ``reports.queue_at`` (reports not yet reviewed by a moderator) the
comment enters the Reported queue; past ``reports.hide_at`` (0: never) it also leaves its
thread's public listing until a moderator decides (``moderator_actions``: approve dismisses the
reports and puts it back; reject, spam, hold and take down end the review too).
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from moderation.store.comments import CommentStore
from moderation.store.ratelimit import RateLimit
from moderation.store.reports import ReportStore

REASONS = ("offensive", "spam", "off_topic", "other")
MAX_REPORTER_CHARS = 200
MAX_NOTE_CHARS = 280
KEPT_NOTES = 5  # the latest readers' notes kept on the comment (a moderator reads them on its card)
ACTOR_DIGEST_CHARS = 12  # the audit entries' actor: "reader:" and this much of the reader's digest


class ReportError(Exception):
    """A report that cannot be made: ``status`` 404 (no such comment), 409 (not published;
    ``current_status`` says its state) or 429 (this reader's address reported too much;
    ``retry_after`` seconds)."""

    def __init__(self, status: int, message: str, current_status: str = "", retry_after: int = 0):
        super().__init__(message)
        self.status = status
        self.current_status = current_status
        self.retry_after = retry_after


@dataclass(frozen=True)
class ReportResult:
    outcome: str  # "counted" | "duplicate"
    reports: int  # the comment's reports now (one per reader)


def reader_digest(secret: bytes, site_id: str, reporter: str = "", ip: str = "") -> str:
    """The stored form of a reader: their ``reporter`` id (the CMS's) when given, else their IP."""
    reader = f"reporter:{reporter}" if reporter else f"ip:{ip}"
    message = f"reader:{site_id}:{reader}".encode("utf-8", "surrogatepass")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]


def report_comment(store: CommentStore, site_id: str, comment_id: str, reason: str, reader: str, *,
                   note: str = "", request_id: str = "", reader_ip: str = "",
                   rate_limit: RateLimit | None = None) -> ReportResult:
    """Count ``reader``'s (a :func:`reader_digest`) report of the comment, under the site's policy.
    With ``reader_ip`` and ``rate_limit``, that address's reports are counted first (any comment,
    even one that turns out missing: probing costs the same)."""
    if reader_ip and rate_limit is not None:
        retry_after = ReportStore(store).count_reader(site_id, reader_ip, rate_limit)
        if retry_after:
            raise ReportError(429, f"At most {rate_limit.limit} reports per reader in {rate_limit.window_seconds} s.",
                              retry_after=retry_after)
    comment = store.get(site_id, comment_id)
    if comment is None:
        raise ReportError(404, "No such comment.")
    settings = store.policies.current(site_id).reports
    reply = ReportStore(store).report(comment, reader, reason, queue_at=settings.queue_at, hide_at=settings.hide_at,
                                      actor=f"reader:{reader[:ACTOR_DIGEST_CHARS]}", note=note, kept_notes=KEPT_NOTES,
                                      request_id=request_id)
    if reply.outcome == "missing":
        raise ReportError(404, "No such comment.")
    if reply.outcome == "not_approved":
        raise ReportError(409, "Only a published comment can be reported.", reply.status)
    return ReportResult(reply.outcome, reply.reports)
