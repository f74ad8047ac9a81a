"""Readers' reports in Redis: one script per report, and the site's Reported queue.

``lua/report_comment.lua`` checks, de-duplicates, counts and, past the site's thresholds, queues
and hides a comment in one step; every key it touches is the site's (one slot). A moderator's
decision takes a comment out of the queue in its own transition (``lua/transition.lua``); an
erasure that removes a comment takes it out too (``lua/erase_comment.lua``). The rules (who a
reader is, which reasons, the thresholds) are ``moderation/reader_reports.py``'s.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from moderation.store import keys, scripts
from moderation.store.comments import Comment, CommentStore, ThreadPage
from moderation.store.ratelimit import RateLimit


@dataclass(frozen=True)
class ReportReply:
    """What the script did: ``outcome`` "counted", "duplicate" (nothing written), "missing" or
    "not_approved" (nothing written; ``status`` says its state); ``reports``: the count."""

    outcome: str
    reports: int
    status: str


class ReportStore:
    """The reports of one comment store's comments (same Redis client)."""

    def __init__(self, comments: CommentStore):
        self.comments = comments
        self.redis = comments.redis

    def count_reader(self, site_id: str, reader_ip: str, limit: RateLimit, now: float | None = None) -> int:
        """Counts one report from ``reader_ip`` against ``limit``; 0 when within it, else the
        seconds until the reader may report again. Refused tries count too (a flood keeps itself
        refused); both counters are the site's keys, one round trip."""
        window = limit.window(site_id, "report-ip", reader_ip, now)
        pipe = self.redis.pipeline(transaction=True)
        pipe.incr(window.key)
        pipe.expire(window.key, window.expire_seconds)
        pipe.get(window.previous_key)
        current, _expired, previous = pipe.execute()
        estimate = int(current) + int(previous or 0) * window.previous_weight
        return window.retry_after_seconds if estimate > window.limit else 0

    def report(self, comment: Comment, reader: str, reason: str, *, queue_at: int, hide_at: int, actor: str,
               note: str = "", kept_notes: int = 5, request_id: str = "", now: float | None = None) -> ReportReply:
        """One report of ``comment`` (as read: its site and thread place it) by ``reader`` (a digest)."""
        site_id = comment.site_id
        script = scripts.register(self.redis, "report_comment")
        outcome, reports, status = script(
            keys=[keys.comment_key(site_id, comment.id), keys.comment_reporters_key(site_id, comment.id),
                  keys.reported_queue_key(site_id), keys.thread_approved_key(site_id, comment.thread),
                  keys.audit_stream_key(site_id)],
            args=[comment.id, reader, reason, f"{time.time() if now is None else now:.6f}", queue_at, hide_at,
                  actor, self.comments.audit_stream_max, request_id, note, kept_notes])
        return ReportReply(outcome, int(reports), status)

    def page(self, site_id: str, after: str | None = None, limit: int = 50) -> ThreadPage:
        """The Reported queue, oldest report first, after the comment ``after`` (a cursor: one that
        left the queue since starts the listing again from the oldest)."""
        index = keys.reported_queue_key(site_id)
        since = "-inf"
        if after is not None:
            score = self.redis.zscore(index, after)
            since = f"({score}" if score is not None else "-inf"
        ids = self.redis.zrange(index, since, "+inf", byscore=True, offset=0, num=limit + 1)
        comments = self.comments._get_many(site_id, ids[:limit])
        return ThreadPage(comments, comments[-1].id if len(ids) > limit and comments else None)

    def count(self, site_id: str) -> int:
        """How many comments wait in the site's Reported queue."""
        return self.redis.zcard(keys.reported_queue_key(site_id))

