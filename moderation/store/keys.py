"""The Redis key layout: the only module that builds key strings.

Documented in docs/data-model.md; change both together. Every key starts with
``mod:`` so the store can share a Redis with Celery's ``_kombu.*`` and
``celery`` keys without collisions. Callers pass ids that the API validated
(thread ids use a restricted alphabet, comment and site ids are hex).
"""
from __future__ import annotations

import hashlib

PREFIX = "mod:"


def comment_key(comment_id: str) -> str:
    """Hash: one comment (raw body, state, rendered HTML, report, decision, timestamps)."""
    return f"{PREFIX}comment:{comment_id}"


def comment_history_key(comment_id: str) -> str:
    """List (JSON entries, oldest first): every state change of one comment, kept as long as it.

    The service-wide audit stream is capped; a comment's own history is not.
    """
    return f"{PREFIX}comment-history:{comment_id}"


def comment_sequence_key() -> str:
    """Counter: INCR gives each new comment its posting-order number (``seq``)."""
    return f"{PREFIX}seq:comments"


def thread_approved_key(site_id: str, thread: str) -> str:
    """Sorted set: approved comment ids of one thread of one site, scored by ``seq``."""
    return f"{PREFIX}site:{site_id}:thread:{thread}:approved"


def pending_queue_key() -> str:
    """Sorted set: comments held for review (``pending``), scored by ``seq`` (oldest first)."""
    return f"{PREFIX}queue:pending"


def in_flight_key(state: str) -> str:
    """Sorted set: comments in ``state`` (``queued`` or ``processing``), scored by the time they
    entered it or were last re-enqueued by the sweeper (epoch s). Empty when workers keep up."""
    return f"{PREFIX}queue:{state}"


def ready_queue_key(site_id: str) -> str:
    """List: ids of one site's comments waiting for a worker, newest at the head. The intake
    pushes each new comment; drain tasks pop them in batches from the tail (oldest first)."""
    return f"{PREFIX}site:{site_id}:queue:ready"


def drain_batch_key(site_id: str, task_id: str) -> str:
    """String (with TTL): the comment ids one drain task took (comma-separated), so that its
    message, delivered again after its worker died, redoes that batch. Deleted when done."""
    digest = hashlib.sha256(task_id.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{PREFIX}site:{site_id}:drain:{digest}"


def dead_letter_key() -> str:
    """List: ids of comments that ended ``failed`` (newest at the head)."""
    return f"{PREFIX}queue:dead-letter"


def audit_stream_key() -> str:
    """Stream: one entry per state change (comment, from, to, at, actor, detail, request_id),
    trimmed to about MODERATION_AUDIT_STREAM_MAX entries (each comment's history is kept apart)."""
    return f"{PREFIX}audit"


def decision_stats_key(site_id: str) -> str:
    """Hash (counters): decisions of one site by ``outcome`` and by ``outcome|reason code``."""
    return f"{PREFIX}site:{site_id}:stats:decisions"


def latency_stats_key(site_id: str) -> str:
    """Hash (counters): seconds from submission to decision of one site's comments, as histogram
    buckets (``le:<seconds>``, not cumulative), ``count`` and ``sum``."""
    return f"{PREFIX}site:{site_id}:stats:latency"


def workers_key() -> str:
    """Hash (global, single-key commands): worker name -> its heartbeat (JSON: pid, started_at,
    heartbeat_at, last_consumed_at, tasks_received, redis_errors)."""
    return f"{PREFIX}workers"


def sweeper_key() -> str:
    """String (global): when the stuck-comment sweeper last ran (epoch s)."""
    return f"{PREFIX}sweeper:last-run"


def sweeper_lock_key() -> str:
    """String (global, with TTL): the worker standing in for a silent beat holds it while it sweeps."""
    return f"{PREFIX}sweeper:lock"


def site_key(site_id: str) -> str:
    """Hash: one site (name, allowed origins, API key hash, created_at)."""
    return f"{PREFIX}site:{site_id}"


def sites_index_key() -> str:
    """Set: all site ids."""
    return f"{PREFIX}sites"


def site_api_key_index_key(api_key_hash: str) -> str:
    """String: sha256 (hex) of an API key -> the site id it belongs to."""
    return f"{PREFIX}site-key:{api_key_hash}"


def idempotency_key(site_id: str, client_key: str) -> str:
    """String (JSON, with TTL): the first response to a request with this Idempotency-Key.

    The client's key is hashed so arbitrary header text never lands in a key name.
    """
    digest = hashlib.sha256(client_key.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{PREFIX}idem:{site_id}:{digest}"


def rate_limit_key(site_id: str, client: str, window_start: int) -> str:
    """Counter (with TTL): submissions from one client of one site in one fixed window."""
    digest = hashlib.sha256(client.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{PREFIX}rate:{site_id}:{digest}:{window_start}"
