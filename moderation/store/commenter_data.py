"""One commenter's data in one site, for data requests (``moderation/data_requests.py``).

Reads a commenter's index of comments (``keys.commenter_comments_key``, written by the intake)
and the comments' hashes; erases comments one script each (``lua/erase_comment.lua``: every
key it touches is the site's, one slot), pipelined; forgets the commenter's recent decisions
(``keys.commenter_history_key``); and writes the site-level audit entry of an export (a stream
entry with an empty ``comment``). Nothing here knows what a policy says: the caller decides the
mode and what an anonymised comment keeps.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import redis

from moderation.store import keys, scripts
from moderation.store.states import PROCESSING, QUEUED, REJECTED, SPAM

ERASURE_OUTCOMES = ("anonymised", "requeued", "removed", "unchanged", "missing", "stale")


@dataclass(frozen=True)
class ErasureTarget:
    """One comment to erase, as the caller read it: ``updated_at`` is compared in the script
    (a comment that changed since is left alone: ``stale``); ``reasons`` is the findings to store
    instead ('' keeps them); ``thread`` and ``idempotency_key`` name its thread's set and its
    stored Idempotency-Key response."""

    comment_id: str
    thread: str = ""
    updated_at: str = ""
    reasons: str = ""
    idempotency_key: str = ""


@dataclass(frozen=True)
class Erased:
    """What the script did to one comment (``ERASURE_OUTCOMES``) and its status before."""

    comment_id: str
    outcome: str
    previous_status: str


class CommenterData:
    """A commenter's comments, recent decisions and erasure, over one Redis client
    (``decode_responses=True``)."""

    def __init__(self, client: redis.Redis, audit_stream_max: int):
        self.redis = client
        self.audit_stream_max = audit_stream_max
        self._erase = scripts.register(client, "erase_comment")

    def comment_ids(self, site_id: str, commenter: str, start: int = 0, count: int = 200) -> list[str]:
        """Ids in the commenter's index, in posting order (oldest first), from ``start``."""
        return self.redis.zrange(keys.commenter_comments_key(site_id, commenter), start, start + count - 1)

    def stored(self, site_id: str, comment_ids: list[str]) -> list[dict[str, str]]:
        """Each comment's hash as stored (one round trip); ``{}`` for one that is gone."""
        pipe = self.redis.pipeline(transaction=False)
        for comment_id in comment_ids:
            pipe.hgetall(keys.comment_key(site_id, comment_id))
        return pipe.execute() if comment_ids else []

    def recent_decisions(self, site_id: str, commenter: str) -> str:
        """The commenter's recent decisions in the site, a letter each, newest first."""
        return "".join(self.redis.lrange(keys.commenter_history_key(site_id, commenter), 0, -1))

    def erase(self, site_id: str, commenter: str, targets: list[ErasureTarget], *, mode: str, actor: str,
              erased_name: str, request_id: str = "", now: float | None = None) -> list[Erased]:
        """Erase each target (``mode`` "anonymise" or "remove"), one script each, in one pipeline."""
        stamp = f"{time.time() if now is None else now:.6f}"
        calls = [self._erase_call(site_id, commenter, target, mode, actor, erased_name, request_id, stamp)
                 for target in targets]
        replies = scripts.run_pipelined(self.redis, self._erase, calls) if calls else []
        return [Erased(target.comment_id, outcome, previous) for target, (outcome, previous) in zip(targets, replies)]

    def _erase_call(self, site_id: str, commenter: str, target: ErasureTarget, mode: str, actor: str,
                    erased_name: str, request_id: str, stamp: str) -> tuple[list[str], list]:
        comment_key = keys.comment_key(site_id, target.comment_id)
        # The thread's set (no thread: a comment that is gone) and the stored response: the
        # comment's own key stands in for an index it cannot be in (same slot).
        approved = keys.thread_approved_key(site_id, target.thread) if target.thread else comment_key
        idempotency = keys.idempotency_key(site_id, target.idempotency_key) if target.idempotency_key else comment_key
        return ([comment_key, keys.audit_stream_key(site_id), keys.commenter_comments_key(site_id, commenter),
                 keys.in_flight_key(site_id, QUEUED), keys.in_flight_key(site_id, PROCESSING), approved,
                 keys.pending_queue_key(site_id), keys.status_queue_key(site_id, REJECTED),
                 keys.status_queue_key(site_id, SPAM), keys.dead_letter_key(site_id), keys.ready_queue_key(site_id),
                 idempotency, keys.reported_queue_key(site_id), keys.comment_reporters_key(site_id, target.comment_id)],
                [target.comment_id, mode, stamp, actor, self.audit_stream_max, target.updated_at, erased_name,
                 target.reasons, request_id])

    def forget(self, site_id: str, commenter: str) -> None:
        """Delete the commenter's recent decisions. Their index empties as their comments are
        erased (a sorted set left empty is gone): one posted meanwhile stays listed, to be found."""
        self.redis.delete(keys.commenter_history_key(site_id, commenter))

    def record_export(self, site_id: str, actor: str, detail: str) -> str:
        """A site-level entry in the site's audit stream (``comment`` empty, ``to`` "exported");
        ``detail`` must hold no personal data. Returns the entry id."""
        return self.redis.xadd(keys.audit_stream_key(site_id),
                               {"comment": "", "from": "", "to": "exported", "actor": actor, "detail": detail},
                               maxlen=self.audit_stream_max, approximate=True)
