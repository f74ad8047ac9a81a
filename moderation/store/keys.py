"""The Redis key layout: the only module that builds key strings.

Documented in docs/data-model.md; change both together. Every key starts with
``mod:`` so the store can share a Redis with Celery's ``_kombu.*`` and
``celery`` keys without collisions.

Every key of a site's data carries the site id as a Redis Cluster hash tag
(``mod:{SITE}:...``): all of them hash to one slot, so every Lua script and
pipeline of the comment path touches one slot, and a Redis Cluster spreads the
sites over its shards. The few global keys (the sites index, the API-key index,
worker heartbeats, the sweeper's marks) are read and written with single-key
commands only. New keys follow the same rule: per-site data goes under
:func:`site_prefix`.

Callers pass ids that the API validated: site and comment ids are hex, thread
ids use a restricted alphabet without braces, so no id can open a hash tag of
its own.
"""
from __future__ import annotations

import hashlib

PREFIX = "mod:"


def site_prefix(site_id: str) -> str:
    """``mod:{SITE}:``: the start of every key of one site (its Redis Cluster hash tag)."""
    return f"{PREFIX}{{{site_id}}}:"


# -- one site's keys (hash tag {site}) ---------------------------------------------------------

def site_key(site_id: str) -> str:
    """Hash: one site (name, allowed origins, API key hash, created_at)."""
    return f"{site_prefix(site_id)}site"


def site_keys_key(site_id: str) -> str:
    """Hash: the site's API keys, key id -> JSON (kind secret|public, sha256 ``hash``, created_at,
    ``expires_at`` while a rotated key lives out its grace period, label). Never a key itself."""
    return f"{site_prefix(site_id)}keys"


def policy_key(site_id: str) -> str:
    """Hash: the site's current moderation policy (``version``, ``settings`` JSON, ``updated_at``,
    ``updated_by``); absent while the site uses the defaults file's."""
    return f"{site_prefix(site_id)}policy"


def policy_history_key(site_id: str) -> str:
    """List: every saved version of the site's policy, newest first (JSON: version, settings,
    updated_at, updated_by), so that any decision's ``policy_version`` can be read back."""
    return f"{site_prefix(site_id)}policy:history"


def near_duplicates_key(day: str) -> str:
    """Hash, GLOBAL (no site: campaigns cross sites), one per UTC day ``YYYYMMDD``, expiring a
    day and an hour after its last write: band key -> the first comment seen with it (``site/id``), and
    ``band#n`` -> how many comments had it. Single-key commands only."""
    return f"{PREFIX}near-dup:{day}"


def commenter_history_key(site_id: str, commenter: str) -> str:
    """List (TTL 180 days): one commenter's last 20 decisions in the site, newest first, one
    letter each (a approved, p pending, r rejected, s spam); ``commenter`` is
    ``moderation.commenter.commenter_id``. Deleted by a data request's erasure."""
    digest = hashlib.sha256(commenter.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{site_prefix(site_id)}commenter:{digest}"


def commenter_comments_key(site_id: str, commenter: str) -> str:
    """Sorted set: every comment of one commenter in the site (ids scored by ``seq``), written
    by the intake: the dashboard's commenter view and data requests (export, erase) read it; an
    erased comment leaves it (lua/erase_comment.lua)."""
    digest = hashlib.sha256(commenter.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{site_prefix(site_id)}commenter:{digest}:comments"


def spam_counts_key(site_id: str) -> str:
    """Hash: the site's moderators' spam model counts: ``docs:spam``, ``docs:ham``, and per
    token ``spam:<token>`` and ``ham:<token>`` (moderation/policy/spam_model.py)."""
    return f"{site_prefix(site_id)}spam-model"


def comment_key(site_id: str, comment_id: str) -> str:
    """Hash: one comment (raw body, state, rendered HTML, report, decision, timestamps)."""
    return f"{site_prefix(site_id)}comment:{comment_id}"


def comment_sequence_key(site_id: str) -> str:
    """Counter: INCR gives each new comment of the site its posting-order number (``seq``)."""
    return f"{site_prefix(site_id)}seq"


def thread_approved_key(site_id: str, thread: str) -> str:
    """Sorted set: approved comment ids of one thread of one site, scored by ``seq``."""
    return f"{site_prefix(site_id)}thread:{thread}:approved"


def pending_queue_key(site_id: str) -> str:
    """Sorted set: the site's comments held for review (``pending``), scored by ``seq``."""
    return f"{site_prefix(site_id)}queue:pending"


def status_queue_key(site_id: str, state: str) -> str:
    """Sorted set: the site's comments in ``state`` (``rejected`` or ``spam``), scored by ``seq``:
    what moderators review after the fact."""
    return f"{site_prefix(site_id)}queue:{state}"


def reported_queue_key(site_id: str) -> str:
    """Sorted set: the site's approved comments that readers' reports put in the Reported queue
    (``reports.queue_at`` of the policy; lua/report_comment.lua), scored by when they entered it
    (epoch s: oldest report first). A moderator's decision takes a comment out (transition.lua),
    as does an erasure that removes it."""
    return f"{site_prefix(site_id)}queue:reported"


def comment_reporters_key(site_id: str, comment_id: str) -> str:
    """Set: the readers who reported one comment, each as a keyed digest of their reporter id or
    IP (never either itself): one report per reader. Not under ``comment:`` (scans of the comment
    hashes would find it). Deleted by an erasure that removes the comment."""
    return f"{site_prefix(site_id)}reporters:{comment_id}"


def in_flight_key(site_id: str, state: str) -> str:
    """Sorted set: the site's comments in ``state`` (``queued`` or ``processing``), scored by the
    time they entered it or were last re-enqueued by the sweeper (epoch s). Empty when workers
    keep up."""
    return f"{site_prefix(site_id)}queue:{state}"


def ready_queue_key(site_id: str) -> str:
    """List: ids of one site's comments waiting for a worker, newest at the head. The intake
    pushes each new comment; drain tasks pop them in batches from the tail (oldest first)."""
    return f"{site_prefix(site_id)}queue:ready"


def drain_batch_key(site_id: str, task_id: str) -> str:
    """String (with TTL): the comment ids one drain task took (comma-separated), so that its
    message, delivered again after its worker died, redoes that batch. Deleted when done."""
    digest = hashlib.sha256(task_id.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{site_prefix(site_id)}drain:{digest}"


def dead_letter_key(site_id: str) -> str:
    """List: ids of the site's comments that ended ``failed`` (newest at the head)."""
    return f"{site_prefix(site_id)}queue:dead-letter"


def audit_stream_key(site_id: str) -> str:
    """Stream: one entry per state change of the site's comments (comment, from, to, actor; the
    entry id gives the time), trimmed to about MODERATION_AUDIT_STREAM_MAX entries. The details
    (detail, request_id) are in each comment's own history, which is never trimmed. Data
    requests add entries with a ``detail`` (no personal data): a comment erased (to ``erased``)
    and, site-level (``comment`` empty), an export (to ``exported``)."""
    return f"{site_prefix(site_id)}audit"


def decision_stats_key(site_id: str) -> str:
    """Hash (counters): decisions of one site by ``outcome`` and by ``outcome|reason code``."""
    return f"{site_prefix(site_id)}stats:decisions"


def hourly_stats_key(site_id: str, hour: str) -> str:
    """Hash (counters, expiring 8 days after the hour): the site's decisions in one UTC hour
    ``YYYYMMDDHH``, by ``outcome``, ``outcome|reason code`` and, for moderators' actions,
    ``moderator|outcome`` (the dashboard's overview charts)."""
    return f"{site_prefix(site_id)}stats:hour:{hour}"


def latency_stats_key(site_id: str) -> str:
    """Hash (counters): seconds from submission to decision of one site's comments, as histogram
    buckets (``le:<seconds>``, not cumulative), ``count`` and ``sum``."""
    return f"{site_prefix(site_id)}stats:latency"


def idempotency_key(site_id: str, client_key: str) -> str:
    """String (JSON, with TTL): the first response to a request with this Idempotency-Key.

    The client's key is hashed so arbitrary header text never lands in a key name.
    """
    digest = hashlib.sha256(client_key.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{site_prefix(site_id)}idem:{digest}"


def replication_fence_key(site_id: str) -> str:
    """Counter: written only so that WAIT has a write to wait for (MODERATION_WAIT_REPLICAS): a
    replayed 202 is answered once the replicas have everything before it."""
    return f"{site_prefix(site_id)}replication-fence"


def rate_limit_key(site_id: str, client: str, window_start: int) -> str:
    """Counter (with TTL): submissions from one client of one site in one fixed window."""
    digest = hashlib.sha256(client.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{site_prefix(site_id)}rate:{digest}:{window_start}"


def webhook_endpoints_key(site_id: str) -> str:
    """Hash: the site's webhook endpoints, endpoint id (``wh_…``) -> JSON (url, events, enabled,
    secret, previous_secret and previous_expires_at while a rotated secret overlaps, created_at,
    updated_at). The secrets are kept in plain: signing needs them (moderation/webhooks/)."""
    return f"{site_prefix(site_id)}webhooks"


def webhook_cursor_key(site_id: str) -> str:
    """String: the id of the last entry of the site's audit stream that the webhook dispatcher
    turned into deliveries (it reads on after it); only ever moves forward."""
    return f"{site_prefix(site_id)}webhooks:cursor"


def webhook_due_key(site_id: str) -> str:
    """Sorted set: the site's webhook deliveries still to be tried, scored by when (epoch s); a
    delivery being tried is scored at the end of its lease, so one whose worker died is tried again."""
    return f"{site_prefix(site_id)}webhooks:due"


def webhook_log_key(site_id: str, endpoint_id: str) -> str:
    """Sorted set: one endpoint's deliveries (ids) scored by creation (epoch ms), trimmed to
    MODERATION_WEBHOOK_LOG_MAX: the delivery log."""
    return f"{site_prefix(site_id)}webhooks:log:{endpoint_id}"


def webhook_delivery_key(site_id: str, delivery_id: str) -> str:
    """Hash (TTL 30 days, renewed on each write): one delivery of one event to one endpoint: the
    body sent, its state, attempts and the log of each attempt."""
    return f"{site_prefix(site_id)}webhook-delivery:{delivery_id}"


# -- global keys (single-key commands only) ----------------------------------------------------

def sites_index_key() -> str:
    """Set: all site ids (the sweeper, metrics and the CLI walk the sites from it)."""
    return f"{PREFIX}sites"


def site_api_key_index_key(api_key_hash: str) -> str:
    """String: sha256 (hex) of an API key (secret or public) -> the site id it belongs to; with a
    TTL while a rotated key lives out its grace period."""
    return f"{PREFIX}site-key:{api_key_hash}"


def workers_key() -> str:
    """Hash: worker name -> its heartbeat (JSON: pid, started_at, heartbeat_at,
    last_consumed_at, tasks_received, redis_errors)."""
    return f"{PREFIX}workers"


def sweeper_key() -> str:
    """String: when the stuck-comment sweeper last ran (epoch s)."""
    return f"{PREFIX}sweeper:last-run"


def user_key(name: str) -> str:
    """Hash: one dashboard account (name, role, sites JSON, password_hash, created_at, disabled).
    Names are checked against ``accounts.USER_NAME`` (no braces or colons)."""
    return f"{PREFIX}user:{name}"


def users_index_key() -> str:
    """Set: every account name."""
    return f"{PREFIX}users"


def session_key(token_hash: str) -> str:
    """Hash (TTL: the idle timeout, renewed on use): one dashboard session (user, csrf,
    created_at, ip, user_agent); the cookie holds the token, the key only its sha256."""
    return f"{PREFIX}session:{token_hash}"


def user_sessions_key(name: str) -> str:
    """Set: the session hashes of one account, so that they can all be revoked."""
    return f"{PREFIX}user-sessions:{name}"


def login_failures_key(subject: str, window_start: int) -> str:
    """Counter (with TTL): failed logins of one account name or one address in one window."""
    digest = hashlib.sha256(subject.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{PREFIX}login-failures:{digest}:{window_start}"


def sweeper_lock_key() -> str:
    """String (with TTL): the worker standing in for a silent beat holds it while it sweeps."""
    return f"{PREFIX}sweeper:lock"


def webhook_sites_key() -> str:
    """Set: the ids of the sites that have webhook endpoints (the dispatcher walks them)."""
    return f"{PREFIX}webhook-sites"


def webhook_dispatch_mark_key() -> str:
    """String: when the webhook dispatcher last ran (epoch s)."""
    return f"{PREFIX}webhooks:last-dispatch"


def webhook_dispatch_lock_key() -> str:
    """String (with TTL): the worker standing in for a silent beat holds it while it dispatches."""
    return f"{PREFIX}webhooks:dispatch-lock"


def server_secret_key() -> str:
    """String: 32 random bytes (hex), made once by the first API process that needs them, when
    MODERATION_SECRET_KEY is left at its default: the key of the status and form tokens."""
    return f"{PREFIX}server-secret"


def form_token_used_key(site_id: str, nonce: str) -> str:
    """String with a TTL (the token's remaining life): a form token already spent (single use)."""
    return f"{site_prefix(site_id)}form-token:{nonce}"
