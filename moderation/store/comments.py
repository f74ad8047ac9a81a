"""Comments in Redis: creation, compare-and-set state changes, listings.

Every state change runs as one Lua script, so it is atomic: the status moves
only from an expected state, and the same script writes exactly one audit
event and exactly one queue membership (thread, pending or dead-letter). A task
that runs twice therefore changes nothing the second time.
"""
from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field

import redis

from moderation.store import keys
from moderation.store.idempotency import CreateGuard

QUEUED, PROCESSING = "queued", "processing"
APPROVED, PENDING, REJECTED, SPAM, FAILED = "approved", "pending", "rejected", "spam", "failed"
IN_FLIGHT_STATES = frozenset({QUEUED, PROCESSING})
FINAL_STATES = frozenset({APPROVED, PENDING, REJECTED, SPAM, FAILED})
ALL_STATES = IN_FLIGHT_STATES | FINAL_STATES

# KEYS: comment hash, sequence counter, audit stream, in-flight set[, idempotency key].
# ARGV: comment id, now, claim token, stored response (JSON), its TTL, then field/value
#       pairs of the new comment. With an idempotency key the comment is created only
#       while the key holds this request's claim (or nothing), and the response is
#       stored in the same step; a re-run of the same call (client retry) is a no-op.
_CREATE = """
if #KEYS > 4 then
  local held = redis.call('GET', KEYS[5])
  if held then
    local record = cjson.decode(held)
    if record['state'] == 'done' and type(record['body']) == 'table' and record['body']['id'] == ARGV[1] then
      return {'exists', tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')}
    end
    if record['state'] ~= 'in-progress' or record['token'] ~= ARGV[3] then
      return {'conflict', 0}
    end
  end
end
local seq = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'seq', seq, 'status', 'queued', 'attempts', 0,
           'created_at', ARGV[2], 'updated_at', ARGV[2], unpack(ARGV, 6))
redis.call('XADD', KEYS[3], '*', 'comment', ARGV[1], 'from', '', 'to', 'queued',
           'at', ARGV[2], 'actor', 'api', 'detail', 'submitted')
redis.call('ZADD', KEYS[4], ARGV[2], ARGV[1])
if #KEYS > 4 then redis.call('SET', KEYS[5], ARGV[4], 'EX', ARGV[5]) end
return {'created', seq}
"""

# KEYS: comment hash, audit stream, in-flight set, target set/list, pending queue.
# ARGV: comment id, allowed from-states (comma-separated), to-state, now, actor, detail,
#       target kind ('zset' | 'list' | 'none'), target score, then field/value pairs to store.
_TRANSITION = """
local current = redis.call('HGET', KEYS[1], 'status')
if not current then return {'missing', ''} end
local allowed = false
for state in string.gmatch(ARGV[2], '[^,]+') do
  if state == current then allowed = true end
end
if not allowed then return {'skipped', current} end
redis.call('HSET', KEYS[1], 'status', ARGV[3], 'updated_at', ARGV[4])
if #ARGV > 8 then redis.call('HSET', KEYS[1], unpack(ARGV, 9)) end
redis.call('XADD', KEYS[2], '*', 'comment', ARGV[1], 'from', current, 'to', ARGV[3],
           'at', ARGV[4], 'actor', ARGV[5], 'detail', ARGV[6])
if ARGV[3] == 'queued' or ARGV[3] == 'processing' then
  redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
else
  redis.call('ZREM', KEYS[3], ARGV[1])
end
if current == 'pending' then redis.call('ZREM', KEYS[5], ARGV[1]) end
if ARGV[7] == 'zset' then
  redis.call('ZADD', KEYS[4], ARGV[8], ARGV[1])
elseif ARGV[7] == 'list' then
  redis.call('LPUSH', KEYS[4], ARGV[1])
end
return {'changed', current}
"""

# KEYS: comment hash, audit stream, in-flight set, dead-letter list.
# ARGV: comment id, now, max attempts, actor.
# Counts an attempt; queued -> processing (one audit event); a comment already
# processing (a redelivered or swept task) is resumed without a new event; past
# the cap it becomes failed and is dead-lettered.
_BEGIN_ATTEMPT = """
local current = redis.call('HGET', KEYS[1], 'status')
if not current then return {'missing', '', 0} end
if current ~= 'queued' and current ~= 'processing' then
  return {'final', current, tonumber(redis.call('HGET', KEYS[1], 'attempts') or '0')}
end
local attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
if attempts > tonumber(ARGV[3]) then
  local detail = 'gave up after ' .. (attempts - 1) .. ' attempts'
  redis.call('HSET', KEYS[1], 'status', 'failed', 'updated_at', ARGV[2], 'failure', detail)
  redis.call('XADD', KEYS[2], '*', 'comment', ARGV[1], 'from', current, 'to', 'failed',
             'at', ARGV[2], 'actor', ARGV[4], 'detail', detail)
  redis.call('ZREM', KEYS[3], ARGV[1])
  redis.call('LPUSH', KEYS[4], ARGV[1])
  return {'failed', current, attempts}
end
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[1], 'attempt_started_at', ARGV[2])
if current == 'queued' then
  redis.call('HSET', KEYS[1], 'status', 'processing', 'updated_at', ARGV[2])
  redis.call('XADD', KEYS[2], '*', 'comment', ARGV[1], 'from', 'queued', 'to', 'processing',
             'at', ARGV[2], 'actor', ARGV[4], 'detail', 'attempt ' .. attempts)
  return {'started', current, attempts}
end
return {'resumed', current, attempts}
"""

# Fields of a comment that the intake writes; the rest are written by processing.
SUBMISSION_FIELDS = (
    "site_id", "thread", "thread_url", "thread_title", "parent", "author_name",
    "author_email", "body", "format", "client_ip", "client_user_agent", "client_referrer",
    "idempotency_key",
)


@dataclass(frozen=True)
class Comment:
    """One stored comment, as read back from its hash."""

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
    html: str = ""
    report: dict = field(default_factory=dict)
    reasons: list = field(default_factory=list)
    format_version: str = ""
    policy_version: str = ""
    decided_at: float | None = None
    failure: str = ""

    @classmethod
    def from_hash(cls, data: dict[str, str]) -> "Comment":
        return cls(
            id=data["id"], seq=int(data["seq"]), status=data["status"],
            site_id=data.get("site_id", ""), thread=data.get("thread", ""),
            body=data.get("body", ""), format=data.get("format", ""),
            attempts=int(data.get("attempts", 0)),
            created_at=float(data["created_at"]), updated_at=float(data["updated_at"]),
            parent=data.get("parent", ""), thread_url=data.get("thread_url", ""),
            thread_title=data.get("thread_title", ""), author_name=data.get("author_name", ""),
            author_email=data.get("author_email", ""), client_ip=data.get("client_ip", ""),
            client_user_agent=data.get("client_user_agent", ""),
            client_referrer=data.get("client_referrer", ""), html=data.get("html", ""),
            report=json.loads(data.get("report") or "{}"),
            reasons=json.loads(data.get("reasons") or "[]"),
            format_version=data.get("format_version", ""),
            policy_version=data.get("policy_version", ""),
            decided_at=float(data["decided_at"]) if data.get("decided_at") else None,
            failure=data.get("failure", ""),
        )


@dataclass(frozen=True)
class AttemptStart:
    """What :meth:`CommentStore.begin_attempt` found: outcome, previous state, attempt number."""

    outcome: str  # "started" | "resumed" | "final" | "failed" | "missing"
    previous_status: str
    attempts: int

    @property
    def should_process(self) -> bool:
        return self.outcome in ("started", "resumed")


class IdempotencyConflict(Exception):
    """The Idempotency-Key no longer holds this request's claim (another request took it over)."""


@dataclass(frozen=True)
class ThreadPage:
    """One page of a thread's approved comments and the cursor for the next one."""

    comments: list[Comment]
    next_cursor: str | None


class CommentStore:
    """Comment persistence over one Redis client (``decode_responses=True``)."""

    def __init__(self, client: redis.Redis):
        self.redis = client
        self._create = client.register_script(_CREATE)
        self._transition = client.register_script(_TRANSITION)
        self._begin_attempt = client.register_script(_BEGIN_ATTEMPT)

    # -- intake ---------------------------------------------------------------
    def create(self, fields_by_name: dict[str, str], now: float | None = None, *,
               comment_id: str | None = None, guard: CreateGuard | None = None) -> Comment:
        """Persist a new comment in state ``queued`` (one audit event) and return it.

        With ``guard`` (an Idempotency-Key claim) the comment and the response
        stored under the key are written in one script, only while the key still
        holds that claim: otherwise :class:`IdempotencyConflict`. Pass the
        ``comment_id`` the guarded response names (see :func:`new_comment_id`).
        """
        comment_id = comment_id or new_comment_id()
        now_text = _timestamp(now)
        pairs: list[str] = []
        for name in SUBMISSION_FIELDS:
            pairs += [name, fields_by_name.get(name) or ""]
        script_keys = [keys.comment_key(comment_id), keys.comment_sequence_key(),
                       keys.audit_stream_key(), keys.in_flight_key()]
        guard_args = ["", "", 0]
        if guard is not None:
            script_keys.append(guard.key)
            guard_args = [guard.token, guard.record, guard.ttl_seconds]
        outcome, _seq = self._create(keys=script_keys, args=[comment_id, now_text, *guard_args, *pairs])
        if outcome == "conflict":
            raise IdempotencyConflict(comment_id)
        return self.get(comment_id)

    def get(self, comment_id: str) -> Comment | None:
        data = self.redis.hgetall(keys.comment_key(comment_id))
        return Comment.from_hash(data) if data else None

    # -- processing -----------------------------------------------------------
    def begin_attempt(self, comment_id: str, max_attempts: int, actor: str = "worker",
                      now: float | None = None) -> AttemptStart:
        """Count an attempt and move ``queued`` -> ``processing`` (or fail past the cap)."""
        outcome, previous, attempts = self._begin_attempt(
            keys=[keys.comment_key(comment_id), keys.audit_stream_key(),
                  keys.in_flight_key(), keys.dead_letter_key()],
            args=[comment_id, _timestamp(now), max_attempts, actor],
        )
        return AttemptStart(outcome, previous, int(attempts))

    def transition(self, comment_id: str, *, allowed_from: frozenset[str] | set[str], to: str,
                   actor: str, detail: str = "", extra: dict[str, str] | None = None,
                   now: float | None = None) -> bool:
        """Compare-and-set the status; True when this call made the change.

        The target membership follows the new state: approved -> its thread's
        set, pending -> the moderation queue, failed -> the dead-letter list.
        """
        comment = self.get(comment_id)
        if comment is None:
            return False
        target, kind, score = self._membership_for(comment, to)
        pairs: list[str] = []
        for name, value in (extra or {}).items():
            pairs += [name, value]
        result, _previous = self._transition(
            keys=[keys.comment_key(comment_id), keys.audit_stream_key(), keys.in_flight_key(),
                  target, keys.pending_queue_key()],
            args=[comment_id, ",".join(sorted(allowed_from)), to, _timestamp(now), actor,
                  detail, kind, score, *pairs],
        )
        return result == "changed"

    @staticmethod
    def _membership_for(comment: Comment, status: str) -> tuple[str, str, int]:
        if status == APPROVED:
            return keys.thread_approved_key(comment.site_id, comment.thread), "zset", comment.seq
        if status == PENDING:
            return keys.pending_queue_key(), "zset", comment.seq
        if status == FAILED:
            return keys.dead_letter_key(), "list", 0
        return keys.pending_queue_key(), "none", 0  # a key in the same slot; not written

    # -- sweeper --------------------------------------------------------------
    def claim_stuck(self, older_than_seconds: float, limit: int = 100,
                    now: float | None = None) -> list[str]:
        """Ids in queued/processing unchanged for ``older_than_seconds``; restarts their clock.

        Restarting the clock (ZADD XX) means the next sweep leaves them alone
        for another ``older_than_seconds`` while the re-enqueued task runs.
        """
        now = time.time() if now is None else now
        stuck = self.redis.zrange(keys.in_flight_key(), "-inf", now - older_than_seconds,
                                  byscore=True, offset=0, num=limit)
        if stuck:
            self.redis.zadd(keys.in_flight_key(), {comment_id: now for comment_id in stuck}, xx=True)
        return stuck

    # -- listings -------------------------------------------------------------
    def thread_page(self, site_id: str, thread: str, after_seq: int = 0,
                    limit: int = 50) -> ThreadPage:
        """Approved comments of a thread in posting order, after the ``after_seq`` cursor."""
        ids = self.redis.zrange(keys.thread_approved_key(site_id, thread), f"({after_seq}", "+inf",
                                byscore=True, offset=0, num=limit + 1)
        comments = self._get_many(ids[:limit])
        has_more = len(ids) > limit
        next_cursor = str(comments[-1].seq) if has_more and comments else None
        return ThreadPage(comments, next_cursor)

    def pending_ids(self, limit: int = 100) -> list[str]:
        """The moderation queue, oldest first."""
        return self.redis.zrange(keys.pending_queue_key(), 0, limit - 1)

    def dead_letter_ids(self, limit: int = 100) -> list[str]:
        return self.redis.lrange(keys.dead_letter_key(), 0, limit - 1)

    def audit_events(self, comment_id: str | None = None, count: int = 10000) -> list[dict]:
        """Audit entries (oldest first), optionally only those of one comment."""
        entries = self.redis.xrange(keys.audit_stream_key(), count=count)
        events = [dict(fields, id=entry_id) for entry_id, fields in entries]
        if comment_id is not None:
            events = [event for event in events if event.get("comment") == comment_id]
        return events

    def _get_many(self, comment_ids: list[str]) -> list[Comment]:
        pipe = self.redis.pipeline(transaction=False)
        for comment_id in comment_ids:
            pipe.hgetall(keys.comment_key(comment_id))
        return [Comment.from_hash(data) for data in pipe.execute() if data]


def new_comment_id() -> str:
    """A fresh comment id (32 hex digits)."""
    return uuid.uuid4().hex


def _timestamp(now: float | None) -> str:
    """Epoch seconds as text with microseconds (what the store keeps)."""
    return f"{time.time() if now is None else now:.6f}"
