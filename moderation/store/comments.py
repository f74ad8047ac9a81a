"""Comments in Redis: creation, compare-and-set state changes, listings.

Every state change runs as one Lua script (``lua/``), so it is atomic: the
status moves only from an expected state, and the same script writes exactly
one audit event (in the site's capped audit stream and in the comment's own
history) and the one queue membership that goes with the new state (queued or
processing set, thread set, pending queue or dead-letter list). A task that
runs twice therefore changes nothing the second time.

Every key a script or pipeline touches belongs to the comment's site, so it
all lies in one Redis Cluster slot (``keys.site_prefix``). The one exception is
opt-in: the drain message a script may push onto the broker's queue when the
broker is this same, unclustered Redis (:class:`QueuedTask`).

Round trips: creating a comment is one script (idempotency, parent, rate limit
and the write together). A worker takes a batch of a site's comments from its
ready list (``take_ready``), then starts and decides them with one pipeline
each (``begin_attempts``, ``transitions``): three round trips per batch; a
comment sent alone takes two (``begin_attempt``, ``transition``).
"""
from __future__ import annotations

import dataclasses
import json
import time
import uuid
from pathlib import Path
from dataclasses import dataclass, field

import redis

from moderation.commenter import commenter_id
from moderation.store import body_packing, keys, scripts
from moderation.store.idempotency import CreateGuard
from moderation.store.policies import PolicyStore
from moderation.store.spam_feedback import SpamFeedbackStore
from moderation.store.near_duplicates import NearDuplicateIndex
from moderation.store.commenters import CommenterHistory
from moderation.store.ratelimit import RateWindow
from moderation.store.states import (  # noqa: F401 - re-exported: callers import states from here
    ALL_STATES, APPROVED, FAILED, FINAL_STATES, IN_FLIGHT_STATES, PENDING, PROCESSING, QUEUED, REJECTED, SPAM,
)

# Trimming target of each site's audit stream (MODERATION_AUDIT_STREAM_MAX).
DEFAULT_AUDIT_STREAM_MAX = 1_000_000

# The entries of a comment's history (its hash field ``history``, written by lua/prelude.lua).
HISTORY_FIELDS = ("at", "from", "to", "actor", "detail", "request_id")

# Fields of a comment that the intake writes; the rest are written by the store and processing.
SUBMISSION_FIELDS = (
    "site_id", "thread", "thread_url", "thread_title", "parent", "author_name",
    "author_email", "body", "format", "client_ip", "client_user_agent", "client_referrer",
    "idempotency_key",
)


@dataclass(frozen=True)
class Comment:
    """One stored comment, as read back from its hash (``docs/data-model.md`` lists the fields)."""

    id: str
    seq: int
    status: str
    site_id: str
    thread: str
    body: str
    format: str
    attempts: int
    created_at: float
    updated_at: float
    parent: str = ""
    thread_url: str = ""
    thread_title: str = ""
    author_name: str = ""
    author_email: str = ""
    client_ip: str = ""
    client_user_agent: str = ""
    client_referrer: str = ""
    idempotency_key: str = ""
    request_id: str = ""
    html: str = ""
    report: dict = field(default_factory=dict)
    reasons: list = field(default_factory=list)
    format_version: str = ""
    policy_version: str = ""
    score: float | None = None  # the offensive-language score, when the policy ran a classifier
    classifier: str = ""        # which classifier (provider and model version)
    decided_at: float | None = None
    failure: str = ""
    moderated_by: str = ""       # the last moderator who acted on it (moderator_actions)
    moderation_reason: str = ""  # their reason code, for a rejection
    moderated_at: float | None = None
    # Readers' reports (moderation/reader_reports.py, lua/report_comment.lua): one per reader.
    reports: int = 0                 # reports counted
    report_reasons: dict = field(default_factory=dict)  # reason -> reports
    report_notes: list = field(default_factory=list)    # the latest readers' notes: {"reason", "note", "at"}
    reports_reviewed: int = 0        # reports a moderator's decision already dealt with (the thresholds count the rest)
    reported_at: float | None = None  # in the site's Reported queue since (None: not in it)
    hidden_at: float | None = None    # hidden from its thread by reports since (until a moderator decides)

    @classmethod
    def from_hash(cls, data: dict[str, str]) -> "Comment":
        """Each field from its hash field, converted by its declared type; absent ones default.
        A packed body (``body_z``, see body_packing) is unpacked against the stored HTML."""
        if body_packing.PACKED_FIELD in data:
            data = {**data, "body": body_packing.unpack(data[body_packing.PACKED_FIELD], data.get("html", ""))}
        values = {}
        for spec in dataclasses.fields(cls):
            raw = data.get(spec.name)
            if raw is None or (raw == "" and spec.type != "str"):
                continue
            values[spec.name] = _FROM_TEXT[spec.type](raw)
        return cls(**values)


_FROM_TEXT = {"str": str, "int": int, "float": float, "float | None": float, "dict": json.loads, "list": json.loads}


@dataclass(frozen=True)
class QueuedTask:
    """A broker message that a store script pushes onto ``queue_key`` (a list in this Redis).

    Only when the broker is the store's own unclustered Redis: the queue is not in the site's
    slot (``same_redis_broker`` in workers/tasks.py and the API's wake decide).
    """

    queue_key: str
    message: str


@dataclass(frozen=True)
class CreateResult:
    """What :meth:`CommentStore.create` did.

    ``outcome``: ``created``; ``exists`` (an Idempotency-Key retry of this very comment);
    ``limited`` (over the rate limit: ``retry_after`` seconds); ``no_parent`` (the parent is not
    a comment of the same site and thread). Nothing is written unless ``created``.
    ``wake``: the comment found its site's ready list empty, so no drain task is on its way:
    the caller must send one unless the store pushed the ``wake`` message it was given.
    """

    outcome: str
    comment_id: str
    seq: int = 0
    retry_after: int = 0
    wake: bool = False
    replicated: bool = True  # False: fewer replicas than ``wait_replicas`` acknowledged it in time
    limited_by: str = ""     # ``limited``: which limit ("ip", "email", "site")


@dataclass(frozen=True)
class AttemptStart:
    """What :meth:`CommentStore.begin_attempt` found: outcome, previous state, attempt number,
    and the comment itself when it is to be processed."""

    outcome: str  # "started" | "resumed" | "final" | "failed" | "missing"
    previous_status: str
    attempts: int
    comment: Comment | None = None

    @property
    def should_process(self) -> bool:
        return self.outcome in ("started", "resumed")


@dataclass(frozen=True)
class ReadyBatch:
    """What :meth:`CommentStore.take_ready` popped: ids (oldest first), and whether more wait."""

    comment_ids: list[str]
    more: bool


@dataclass(frozen=True)
class StateChange:
    """One compare-and-set of :meth:`CommentStore.transition` (see there for the fields)."""

    comment: Comment
    allowed_from: frozenset[str] | set[str]
    to: str
    actor: str
    detail: str = ""
    extra: dict[str, str | None] | None = None  # fields to store with the new state; None deletes one
    now: float | None = None
    request_id: str = ""
    decision_reasons: list[str] | None = None
    by_moderator: bool = False  # a moderator's action: counted in the hour's statistics


class IdempotencyConflict(Exception):
    """The Idempotency-Key no longer holds this request's claim (another request took it over)."""


@dataclass(frozen=True)
class ThreadPage:
    """One page of a thread's approved comments; ``next_cursor`` is the last one's id (or None)."""

    comments: list[Comment]
    next_cursor: str | None


class InvalidCursor(ValueError):
    """A thread cursor that names no comment of that thread."""


@dataclass(frozen=True)
class QueueState:
    """How many comments are in one state's queue and how long the oldest has waited (s)."""

    count: int
    oldest_age: float | None


class CommentStore:
    """Comment persistence over one Redis client (``decode_responses=True``)."""

    def __init__(self, client: redis.Redis, audit_stream_max: int = DEFAULT_AUDIT_STREAM_MAX,
                 wait_replicas: int = 0, wait_timeout_ms: int = 500, policy_file: str = ""):
        self.redis = client
        # The sites' moderation policies, which decide the comments (moderation.policy).
        self.policies = PolicyStore(client, Path(policy_file) if policy_file else None)
        # The sites' moderators' spam decisions, which the spam model learns from.
        self.spam_feedback = SpamFeedbackStore(client)
        # Recent comments' texts, to find copy-paste campaigns (global: they cross sites).
        self.near_duplicates = NearDuplicateIndex(client)
        # Commenters' recent decisions (the policy's pre_new and recent-history rules).
        self.commenters = CommenterHistory(client)
        self.audit_stream_max = audit_stream_max
        self.wait_replicas = wait_replicas  # MODERATION_WAIT_REPLICAS: see create()
        self.wait_timeout_ms = wait_timeout_ms
        self._create = scripts.register(client, "create_comment")
        self._begin_attempt = scripts.register(client, "begin_attempt")
        self._transition = scripts.register(client, "transition")
        self._take_ready = scripts.register(client, "take_ready")

    # -- intake ---------------------------------------------------------------
    def create(self, fields_by_name: dict[str, str], *, comment_id: str | None = None,
               now: float | None = None, request_id: str = "", rate: list[RateWindow] | RateWindow | None = None,
               guard: CreateGuard | None = None, wake: QueuedTask | None = None) -> CreateResult:
        """Persist a new comment in state ``queued`` (one audit event), in one round trip.

        ``rate``: the flood-control windows (``ratelimit.FloodControl.windows``), checked and
        counted in the same step; over any of them, nothing is written (``limited``). ``guard``: an
        Idempotency-Key claim; the comment and the response stored under the key are written
        together, only while the key still holds that claim (else :class:`IdempotencyConflict`).
        Pass the ``comment_id`` the guarded response names (see :func:`new_comment_id`).
        ``wake``: the drain message pushed in the same step when the comment finds its site's
        ready list empty (the broker being this Redis); see :attr:`CreateResult.wake`.
        With ``wait_replicas``, WAIT follows the script on its connection, in the same round trip
        (:attr:`CreateResult.replicated`).
        """
        comment_id = comment_id or new_comment_id()
        site_id, thread = fields_by_name.get("site_id") or "", fields_by_name.get("thread") or ""
        parent = fields_by_name.get("parent") or ""
        comment_key = keys.comment_key(site_id, comment_id)
        # One JSON argument rather than ~26: packing each argument costs more than decoding in Lua.
        # Empty fields are left out of the hash (Comment.from_hash reads them as empty): ~15 bytes each.
        submission = json.dumps({name: fields_by_name[name] for name in SUBMISSION_FIELDS if fields_by_name.get(name)},
                                ensure_ascii=False)
        windows = [rate] if isinstance(rate, RateWindow) else list(rate or ())
        script_keys = [comment_key, keys.comment_sequence_key(site_id), keys.audit_stream_key(site_id),
                       keys.in_flight_key(site_id, QUEUED),
                       self._commenter_index(site_id, fields_by_name) or comment_key,
                       # unused keys (no parent, guard or wake) repeat the comment's (same slot)
                       keys.comment_key(site_id, parent) if parent else comment_key,
                       guard.key if guard else comment_key,
                       wake.queue_key if wake else comment_key, keys.ready_queue_key(site_id)]
        args = [comment_id, _timestamp(now), request_id, self.audit_stream_max,
                len(windows), 0, parent, site_id, thread,
                guard.token if guard else "", guard.record if guard else "", guard.ttl_seconds if guard else 0,
                wake.message if wake else "", submission]
        for window in windows:
            script_keys += [window.key, window.previous_key]
            args += [window.limit, f"{window.previous_weight:.6f}", window.expire_seconds, window.retry_after_seconds]
        replicated = True
        if self.wait_replicas:
            reply, acknowledged = scripts.run_then_wait(self.redis, self._create, script_keys, args,
                                                        self.wait_replicas, self.wait_timeout_ms)
            replicated = acknowledged >= self.wait_replicas
        else:
            reply = self._create(keys=script_keys, args=args)
        outcome, number, woke = reply
        if outcome == "conflict":
            raise IdempotencyConflict(comment_id)
        if outcome == "limited":
            return CreateResult(outcome, comment_id, retry_after=max(1, int(number)), limited_by=windows[int(woke)].scope)
        return CreateResult(outcome, comment_id, seq=int(number), wake=woke == 1, replicated=replicated)

    @staticmethod
    def _commenter_index(site_id: str, fields_by_name: dict[str, str]) -> str:
        commenter = commenter_id(fields_by_name.get("author_email") or "", fields_by_name.get("client_ip") or "")
        return keys.commenter_comments_key(site_id, commenter) if commenter else ""

    def commenter_comments(self, site_id: str, commenter: str, limit: int = 1000) -> list[Comment]:
        """One commenter's comments in the site (``commenter_id``), newest first."""
        ids = self.redis.zrevrange(keys.commenter_comments_key(site_id, commenter), 0, limit - 1)
        return self._get_many(site_id, ids)

    def replicated_so_far(self, site_id: str) -> bool:
        """True once ``wait_replicas`` replicas hold every write made before this call: one
        write of the site's replication fence, then WAIT on its connection (one round trip).
        Replication is ordered, so a replica that has the fence has what came before it."""
        fence = keys.replication_fence_key(site_id)
        pipe = scripts.node_for(self.redis, fence).pipeline(transaction=False)
        pipe.incr(fence)
        pipe.execute_command("WAIT", self.wait_replicas, self.wait_timeout_ms)
        _fence, acknowledged = pipe.execute()
        return int(acknowledged) >= self.wait_replicas

    def get(self, site_id: str, comment_id: str) -> Comment | None:
        data = self.redis.hgetall(keys.comment_key(site_id, comment_id))
        return Comment.from_hash(data) if data else None

    # -- processing -----------------------------------------------------------
    def take_ready(self, site_id: str, limit: int, task_id: str, remember_seconds: int,
                   continuation: QueuedTask | None = None) -> ReadyBatch:
        """Pop up to ``limit`` of the site's waiting comments (oldest first), in one round trip.

        The batch is remembered under ``task_id`` for ``remember_seconds``: the same task run
        again (its message redelivered) gets the same ids back; :meth:`forget_batch` when done.
        When more wait, ``continuation`` (a drain message, the broker being this Redis) is pushed
        in the same step; without one, the caller sends it when ``more`` says so.
        """
        ready = keys.ready_queue_key(site_id)
        more, *ids = self._take_ready(
            keys=[ready, continuation.queue_key if continuation else ready, keys.drain_batch_key(site_id, task_id)],
            args=[limit, continuation.message if continuation else "", max(1, int(remember_seconds))])
        return ReadyBatch(ids, more == 1)

    def forget_batch(self, site_id: str, task_id: str) -> None:
        self.redis.delete(keys.drain_batch_key(site_id, task_id))

    def begin_attempt(self, site_id: str, comment_id: str, max_attempts: int, actor: str = "worker",
                      now: float | None = None, request_id: str = "") -> AttemptStart:
        """Count an attempt and move ``queued`` -> ``processing`` (or fail past the cap).

        One round trip. Without a ``request_id``, the audit events carry the one that submitted
        the comment.
        """
        script_keys, args = self._begin_attempt_call(comment_id, site_id, max_attempts, actor, now, request_id)
        return _attempt_start(self._begin_attempt(keys=script_keys, args=args))

    def begin_attempts(self, comment_ids: list[str], site_id: str, max_attempts: int, actor: str = "worker",
                       now: float | None = None) -> list[AttemptStart]:
        """:meth:`begin_attempt` for each comment of one site, in one pipeline."""
        calls = [self._begin_attempt_call(comment_id, site_id, max_attempts, actor, now, "")
                 for comment_id in comment_ids]
        return [_attempt_start(reply) for reply in scripts.run_pipelined(self.redis, self._begin_attempt, calls)]

    def _begin_attempt_call(self, comment_id: str, site_id: str, max_attempts: int, actor: str,
                            now: float | None, request_id: str) -> tuple[list[str], list]:
        return ([keys.comment_key(site_id, comment_id), keys.audit_stream_key(site_id),
                 keys.in_flight_key(site_id, QUEUED), keys.in_flight_key(site_id, PROCESSING),
                 keys.dead_letter_key(site_id),
                 keys.decision_stats_key(site_id), keys.latency_stats_key(site_id),
                 keys.hourly_stats_key(site_id, stats_hour(now))],
                [comment_id, _timestamp(now), max_attempts, actor, request_id, self.audit_stream_max])

    def transition(self, comment: Comment, *, allowed_from: frozenset[str] | set[str], to: str,
                   actor: str, detail: str = "", extra: dict[str, str | None] | None = None,
                   now: float | None = None, request_id: str = "",
                   decision_reasons: list[str] | None = None, by_moderator: bool = False) -> bool:
        """Compare-and-set the status; True when this call made the change.

        ``comment``: the comment as read (its site, thread and seq place it). The membership
        follows the new state: approved -> its thread's set, pending -> the moderation queue,
        failed -> the dead-letter list. ``decision_reasons`` (reason codes) marks a decision: it
        is counted in the site's decision and latency statistics. ``extra``: fields written with
        the new state, a None value deleting that field; with ``html``, the raw body is stored
        packed against it (body_packing).
        """
        change = StateChange(comment, allowed_from, to, actor, detail, extra, now, request_id, decision_reasons,
                             by_moderator)
        script_keys, args = self._transition_call(change)
        result, _previous = self._transition(keys=script_keys, args=args)
        return result == "changed"

    def transitions(self, changes: list[StateChange]) -> list[bool]:
        """:meth:`transition` for each change, in one pipeline; True where that change was made."""
        replies = scripts.run_pipelined(self.redis, self._transition, [self._transition_call(c) for c in changes])
        return [result == "changed" for result, _previous in replies]

    def _transition_call(self, change: StateChange) -> tuple[list[str], list]:
        comment = change.comment
        extra = dict(change.extra or {})
        if extra.get("html") is not None:  # a body packed against the previous HTML is packed again
            packed = body_packing.pack(comment.body, extra["html"])
            extra.update({body_packing.PACKED_FIELD: packed, "body": None} if packed
                         else {body_packing.PACKED_FIELD: None, "body": comment.body})
        pairs: list[str] = []
        for name, value in extra.items():
            if value is not None:
                pairs += [name, value]
        dropped = ",".join(name for name, value in extra.items() if value is None)
        reasons = change.decision_reasons
        site_id = comment.site_id
        return ([keys.comment_key(site_id, comment.id), keys.audit_stream_key(site_id),
                 keys.decision_stats_key(site_id), keys.latency_stats_key(site_id),
                 *self._state_indexes(site_id, comment.thread), keys.hourly_stats_key(site_id, stats_hour(change.now)),
                 keys.reported_queue_key(site_id)],  # KEYS[13]: a moderator's decision ends its reports' review
                [comment.id, ",".join(sorted(change.allowed_from)), change.to, _timestamp(change.now), change.actor,
                 change.detail, change.request_id, self.audit_stream_max,
                 "1" if reasons is not None else "m" if change.by_moderator else "0", ",".join(reasons or ()), dropped, *pairs])

    @staticmethod
    def _state_indexes(site_id: str, thread: str) -> list[str]:
        """The index of each state, in transition.lua's order: queued, processing, approved (the
        thread's), pending, rejected, spam, failed (the dead-letter list)."""
        return [keys.in_flight_key(site_id, QUEUED), keys.in_flight_key(site_id, PROCESSING),
                keys.thread_approved_key(site_id, thread), keys.pending_queue_key(site_id),
                keys.status_queue_key(site_id, REJECTED), keys.status_queue_key(site_id, SPAM),
                keys.dead_letter_key(site_id)]

    # -- sweeper --------------------------------------------------------------
    def site_ids(self) -> list[str]:
        """Every site of the (global) sites index, sorted."""
        return sorted(self.redis.smembers(keys.sites_index_key()))

    def claim_stuck(self, older_than_seconds: float, limit: int = 100,
                    now: float | None = None) -> list[tuple[str, str]]:
        """(site, comment id) of comments in queued/processing unchanged for ``older_than_seconds``,
        walking every site; restarts their clock.

        Restarting the clock (ZADD XX) means the next sweep leaves them alone
        for another ``older_than_seconds`` while the re-enqueued task runs.
        """
        now = time.time() if now is None else now
        site_ids = self.site_ids()
        pipe = self.redis.pipeline(transaction=False)
        for site_id in site_ids:
            for state in IN_FLIGHT_STATES:
                pipe.zrange(keys.in_flight_key(site_id, state), "-inf", now - older_than_seconds,
                            byscore=True, offset=0, num=limit)
        found = iter(pipe.execute())
        stuck: list[tuple[str, str]] = []
        for site_id in site_ids:
            for state in IN_FLIGHT_STATES:
                ids = next(found)[:limit - len(stuck)]
                if ids:
                    pipe.zadd(keys.in_flight_key(site_id, state), {comment_id: now for comment_id in ids}, xx=True)
                stuck += [(site_id, comment_id) for comment_id in ids]
        pipe.execute()
        return stuck

    def sites_with_ready_comments(self) -> list[str]:
        """Sites (of the sites index) whose ready list holds comments waiting for a worker."""
        site_ids = self.site_ids()
        pipe = self.redis.pipeline(transaction=False)
        for site_id in site_ids:
            pipe.llen(keys.ready_queue_key(site_id))
        return [site_id for site_id, length in zip(site_ids, pipe.execute()) if length]

    # -- listings -------------------------------------------------------------
    def thread_page(self, site_id: str, thread: str, after: str | None = None,
                    limit: int = 50) -> ThreadPage:
        """Approved comments of a thread in posting order, after the comment ``after`` (a cursor)."""
        thread_key = keys.thread_approved_key(site_id, thread)
        after_seq = 0 if after is None else self._cursor_seq(thread_key, site_id, thread, after)
        ids = self.redis.zrange(thread_key, f"({after_seq}", "+inf", byscore=True, offset=0, num=limit + 1)
        comments = self._get_many(site_id, ids[:limit])
        has_more = len(ids) > limit
        return ThreadPage(comments, comments[-1].id if has_more and comments else None)

    def thread_count(self, site_id: str, thread: str) -> int:
        """How many approved comments the thread lists."""
        return self.redis.zcard(keys.thread_approved_key(site_id, thread))

    def _cursor_seq(self, thread_key: str, site_id: str, thread: str, cursor: str) -> float:
        """The posting number of the cursor comment (still listed, or taken down since)."""
        score = self.redis.zscore(thread_key, cursor)
        if score is not None:
            return score
        found_site, found_thread, seq = self.redis.hmget(keys.comment_key(site_id, cursor), "site_id", "thread", "seq")
        if (found_site, found_thread) != (site_id, thread) or not seq:
            raise InvalidCursor(cursor)
        return int(seq)

    def status_page(self, site_id: str, status: str, *, thread: str = "", after: str | None = None,
                    limit: int = 50, after_seq: float = 0) -> ThreadPage:
        """Comments of the site in ``status``, oldest first (posting order), after the comment
        ``after``: pending, rejected or spam (site-wide queues), approved (one ``thread``'s),
        failed (the dead-letter list, newest first, no cursor). ``after_seq``: only comments posted
        after that sequence number (when no ``after`` is given)."""
        if status == FAILED:
            ids = self.redis.lrange(keys.dead_letter_key(site_id), 0, limit - 1)
            return ThreadPage(self._get_many(site_id, ids), None)
        if status == APPROVED:
            index = keys.thread_approved_key(site_id, thread)
        elif status == PENDING:
            index = keys.pending_queue_key(site_id)
        elif status in (REJECTED, SPAM):
            index = keys.status_queue_key(site_id, status)
        else:
            raise ValueError(f"no listing of {status!r} comments")
        if after is not None:
            score = self.redis.zscore(index, after)
            seq = score if score is not None else self.redis.hget(keys.comment_key(site_id, after), "seq")
            if seq is None:
                raise InvalidCursor(after)
            after_seq = float(seq)
        ids = self.redis.zrange(index, f"({after_seq}", "+inf", byscore=True, offset=0, num=limit + 1)
        comments = self._get_many(site_id, ids[:limit])
        return ThreadPage(comments, comments[-1].id if len(ids) > limit and comments else None)

    def status_counts(self, site_id: str) -> dict[str, int]:
        """How many comments wait in each reviewable queue: pending, rejected, spam, failed."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.zcard(keys.pending_queue_key(site_id))
        pipe.zcard(keys.status_queue_key(site_id, REJECTED))
        pipe.zcard(keys.status_queue_key(site_id, SPAM))
        pipe.llen(keys.dead_letter_key(site_id))
        return dict(zip((PENDING, REJECTED, SPAM, FAILED), pipe.execute()))

    def pending_ids(self, site_id: str, limit: int = 100) -> list[str]:
        """The site's moderation queue, oldest first."""
        return self.redis.zrange(keys.pending_queue_key(site_id), 0, limit - 1)

    def dead_letter_ids(self, site_id: str, limit: int = 100) -> list[str]:
        return self.redis.lrange(keys.dead_letter_key(site_id), 0, limit - 1)

    def history(self, site_id: str, comment_id: str) -> list[dict]:
        """Every state change of one comment, oldest first (kept as long as the comment): dicts
        of at, from, to, actor, detail, request_id."""
        history, request_id = self.redis.hmget(keys.comment_key(site_id, comment_id), "history", "request_id")
        return [dict(zip(HISTORY_FIELDS, entry), request_id=entry[5] or request_id or "")
                for entry in json.loads(history or "[]")]

    def audit_events(self, site_id: str, comment_id: str | None = None, count: int = 10000) -> list[dict]:
        """The site's audit stream, oldest first (capped): comment, from, to, actor, and ``id``
        (the stream entry's, whose first part is the time in ms); or one comment's full history."""
        if comment_id is not None:
            return [dict(event, comment=comment_id) for event in self.history(site_id, comment_id)]
        entries = self.redis.xrange(keys.audit_stream_key(site_id), count=count)
        return [dict(fields, id=entry_id) for entry_id, fields in entries]

    def audit_page(self, site_id: str, before: str | None = None, count: int = 100) -> list[dict]:
        """The site's audit stream newest first: ``count`` events older than the entry ``before``."""
        end = f"({before}" if before else "+"
        entries = self.redis.xrevrange(keys.audit_stream_key(site_id), max=end, min="-", count=count)
        return [dict(fields, id=entry_id) for entry_id, fields in entries]

    def recently_moved_to(self, site_id: str, status: str, limit: int = 50, scan: int = 5000) -> list[Comment]:
        """The comments most recently moved to ``status`` (newest first) that are still in it,
        read from the last ``scan`` events of the audit stream: the site-wide view of a state
        without a site-wide index (approved comments are indexed per thread)."""
        seen: list[str] = []
        for _entry_id, fields in self.redis.xrevrange(keys.audit_stream_key(site_id), count=scan):
            comment_id = fields.get("comment", "")
            if fields.get("to") == status and comment_id and comment_id not in seen:
                seen.append(comment_id)
                if len(seen) >= limit * 2:
                    break
        return [comment for comment in self._get_many(site_id, seen) if comment.status == status][:limit]

    def queue_states(self, now: float | None = None, site_ids: list[str] | None = None) -> dict[str, QueueState]:
        """Depth and oldest age of the queued, processing, pending and failed (dead-letter) queues,
        summed over ``site_ids`` (default: every site); the age is the oldest of any site's."""
        now = time.time() if now is None else now
        site_ids = self.site_ids() if site_ids is None else site_ids
        pipe = self.redis.pipeline(transaction=False)
        for site_id in site_ids:
            for state in IN_FLIGHT_STATES:
                pipe.zcard(keys.in_flight_key(site_id, state))
                pipe.zrange(keys.in_flight_key(site_id, state), 0, 0, withscores=True)
            pipe.zcard(keys.pending_queue_key(site_id))
            pipe.zrange(keys.pending_queue_key(site_id), 0, 0)
            pipe.llen(keys.dead_letter_key(site_id))
            pipe.lindex(keys.dead_letter_key(site_id), -1)
        replies = iter(pipe.execute())
        counts = dict.fromkeys((*IN_FLIGHT_STATES, PENDING, FAILED), 0)
        oldest_at: dict[str, float] = {}
        oldest_decided: list[tuple[str, str, str]] = []  # (state, site, comment) to read decided_at of
        for site_id in site_ids:
            for state in (*IN_FLIGHT_STATES, PENDING, FAILED):
                count, oldest = next(replies), next(replies)
                counts[state] += count
                if state in IN_FLIGHT_STATES and oldest:
                    oldest_at[state] = min(oldest_at.get(state, now), oldest[0][1])
                elif state not in IN_FLIGHT_STATES and oldest:
                    # Pending and dead-letter entries are ordered by posting, not by time: their
                    # age is read from the oldest comment (when it was decided).
                    oldest_decided.append((state, site_id, oldest[0] if isinstance(oldest, list) else oldest))
        for (state, site_id, comment_id) in oldest_decided:
            pipe.hget(keys.comment_key(site_id, comment_id), "decided_at")
        for (state, _site, _comment), decided in zip(oldest_decided, pipe.execute() if oldest_decided else ()):
            if decided:
                oldest_at[state] = min(oldest_at.get(state, now), float(decided))
        return {state: QueueState(count, now - oldest_at[state] if state in oldest_at else None)
                for state, count in counts.items()}

    def _get_many(self, site_id: str, comment_ids: list[str]) -> list[Comment]:
        pipe = self.redis.pipeline(transaction=False)
        for comment_id in comment_ids:
            pipe.hgetall(keys.comment_key(site_id, comment_id))
        return [Comment.from_hash(data) for data in pipe.execute() if data]


def _attempt_start(reply: list) -> AttemptStart:
    outcome, previous, attempts, *fields = reply
    comment = Comment.from_hash(dict(zip(fields[::2], fields[1::2]))) if fields else None
    return AttemptStart(outcome, previous, int(attempts), comment)


def stats_hour(now: float | None = None) -> str:
    """The UTC hour ``YYYYMMDDHH`` whose statistics a change at ``now`` counts in."""
    return time.strftime("%Y%m%d%H", time.gmtime(time.time() if now is None else now))


def new_comment_id() -> str:
    """A fresh comment id (32 hex digits)."""
    return uuid.uuid4().hex


def _timestamp(now: float | None) -> str:
    """Epoch seconds as text with microseconds (what the store keeps)."""
    return f"{time.time() if now is None else now:.6f}"
