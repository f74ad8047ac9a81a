"""Settings: one class, read from environment variables prefixed ``MODERATION_``.

Every setting has a default that works for a local run (``make run``) and a
one-line comment saying what it controls. ``docs/api.md`` lists them too.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

TOPOLOGIES = ("single", "cluster", "sentinel")
SANITIZERS = ("nh3", "bleach")  # moderation/formats/engines.py's ENGINES (a test holds them equal)

PREFIX = "MODERATION_"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def _parse_rate(text: str) -> tuple[int, int]:
    """``"30/minute"`` -> (30, 60): how many requests per how many seconds."""
    count, _, unit = text.partition("/")
    seconds = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}.get(unit.strip() or "minute")
    if seconds is None or not count.strip().isdigit():
        raise ValueError(f"MODERATION_RATE_LIMIT must look like '30/minute', got {text!r}")
    return int(count), seconds


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"not a boolean: {text!r}")


def _parsed(spec, raw: str):
    kind = type(spec.default)
    try:
        return _parse_bool(raw) if kind is bool else kind(raw)
    except ValueError as exc:
        raise ValueError(f"{PREFIX}{spec.name.upper()}: expected {kind.__name__}, got {raw!r}") from exc


_FIELDS_BY_NAME: dict = {}


def _fields_by_name(cls) -> dict:
    found = _FIELDS_BY_NAME.get(cls)
    if found is None:
        found = _FIELDS_BY_NAME[cls] = {spec.name: spec for spec in fields(cls)}
    return found


@dataclass(frozen=True)
class Settings:
    """The service configuration; build it with :meth:`from_env`."""

    # Redis holding comments, threads, queues, sites and the audit stream. With the "cluster" or
    # "sentinel" topology: its nodes or its sentinels, comma-separated (docs/operations.md).
    redis_url: str = DEFAULT_REDIS_URL
    # Where the store lives: "single" (one Redis), "cluster" (a Redis Cluster, sharded by site) or
    # "sentinel" (a primary with replicas, failed over by Redis Sentinel).
    redis_topology: str = "single"
    # Sentinel's name for the store's primary (topology "sentinel").
    redis_sentinel_master: str = ""
    # Celery broker. Empty: the store's Redis ("single"), the same Sentinel-managed primary
    # ("sentinel"); a Redis Cluster cannot be the broker (Celery's Redis transport does not speak
    # Cluster): name a plain or Sentinel-managed Redis (sentinel://host:26379;sentinel://...).
    broker_url: str = ""
    # Sentinel's name for the broker's primary when MODERATION_BROKER_URL is sentinel://...
    # (empty: MODERATION_REDIS_SENTINEL_MASTER).
    broker_sentinel_master: str = ""
    # Replicas that must hold an accepted comment before the API answers 202 (Redis WAIT on the
    # write's own connection); 0: answer once the primary has it. With one replica under Sentinel,
    # a failover then loses no acknowledged comment; it costs a replication round trip per POST.
    # On a cluster, the replicas of the comment's shard.
    wait_replicas: int = 0
    # Milliseconds to wait for those replicas; past it the API answers 503 with Retry-After (the
    # comment is kept, and a retry with the same Idempotency-Key gets its 202).
    wait_timeout_ms: int = 500
    # Largest accepted request body in bytes (413 above it).
    max_body_bytes: int = 65536
    # Largest comment body in characters (422 above it), checked after decoding.
    max_comment_chars: int = 20000
    # Redis socket connect/read timeout in seconds: the API answers 503 about this fast when Redis is down.
    redis_socket_timeout: float = 1.0
    # Processing attempts per comment before it is marked failed and dead-lettered.
    max_attempts: int = 5
    # Seconds between two runs of the stuck-comment sweeper (Celery beat; workers stand in for a
    # silent beat).
    sweep_interval: int = 30
    # Seconds a comment may sit in queued/processing before the sweeper sends it again: how long a
    # comment whose worker died (or whose message was lost) waits. Keep it above the task time
    # limit (120 s).
    stuck_after: int = 180
    # Flood control (sliding windows, moderation/store/ratelimit.py), as "N/second|minute|hour|day":
    # submissions per commenter, counted by the IP the site reports (client.ip) and by e-mail,
    # each; and all of one site's submissions ("0/minute": no site ceiling). 600 a minute
    # is 17 times a large newsroom's average (50,000 a day), room for breaking news.
    rate_limit: str = "30/minute"
    site_rate_limit: str = "600/minute"
    # Readers' reports per reader IP (a browser's connection, or the client.ip a server sends),
    # same format; "0/hour": no limit. One report per reader per comment is counted anyway; this
    # stops one address from walking a whole site's comments into the Reported queue.
    report_rate_limit: str = "20/hour"
    # Seconds an Idempotency-Key and its first response are remembered.
    idempotency_ttl: int = 86400
    # Format used when a submission names none; empty means the formats file's default.
    default_format: str = ""
    # The text formats file (each format's filters and settings); empty: config/formats.toml.
    # Read once per process: restart to apply a change.
    formats_file: str = ""
    # The sanitizer under filter_html: "nh3" (the default, ~24x faster) or "bleach" (end of life,
    # kept as an alternative). Same output either way (tests/formats prove it).
    sanitizer: str = "nh3"
    # Fixed API key for the demo site created by `flask --app moderation demo` (random when empty).
    demo_api_key: str = ""
    # Public key of the demo site (`make run` keeps one beside the data). When set, GET /demo/
    # serves a sample article with the embed script on it, and `demo` makes it the site's key.
    demo_public_key: str = ""
    # Password of the dashboard account demo-admin that `flask --app moderation demo` creates or
    # resets (random when empty; at least 10 characters).
    demo_password: str = ""
    # Flask secret key. The dashboard's sessions do not depend on it (they live in Redis, the
    # cookie holds a random token); set it in production all the same.
    secret_key: str = "dev-only-not-secret"
    # Dashboard sessions (/admin): minutes without a request before a session ends.
    session_idle_minutes: int = 720
    # Failed dashboard logins per account name in 15 minutes before its logins are refused for
    # the rest of the window (per address: three times as many).
    login_failure_limit: int = 10
    # The session cookie's Secure flag: "auto" (when the request came over HTTPS, as seen through
    # MODERATION_PROXY_HOPS), "always" or "never".
    cookie_secure: str = "auto"
    # Reverse proxies in front of the app that set X-Forwarded-For and X-Forwarded-Proto
    # (werkzeug's ProxyFix trusts that many hops); 0: none, the connection's own address and scheme.
    proxy_hops: int = 0
    # Seconds within which a moderator may undo their own last action on a comment.
    undo_seconds: int = 30
    # Public base URL used in links returned by the API; empty means "the request's own host".
    public_url: str = ""
    # Seconds an API process may reuse a site's record (origins, key hash) before reading it again.
    # The API-key index itself is read on every request, so a replaced key stops working at once.
    site_cache_seconds: float = 5.0
    # Entries kept in the service-wide audit stream (approximately; each comment's history is kept
    # in full with the comment). About 200 bytes of Redis memory each.
    audit_stream_max: int = 1_000_000
    # The moderation policy of every site that has not saved its own (docs/moderation.md);
    # empty: config/policy.toml.
    policy_file: str = ""
    # An outside spam service for the whole deployment: "" (none) or "akismet" (Akismet's API,
    # or a service that speaks it at MODERATION_AKISMET_ENDPOINT); sites turn it on in their
    # policy (spam_provider.enabled). The key is a secret; the blog is the site URL it reports.
    spam_provider: str = ""
    akismet_key: str = ""
    akismet_endpoint: str = ""
    akismet_blog: str = ""
    # Seconds the spam service may take to answer (then the comment is held, never approved).
    spam_provider_timeout: float = 2.0
    # Webhooks (docs/webhooks.md). Seconds between two runs of the dispatcher (Celery beat), which
    # turns the audit streams of the sites with endpoints into deliveries and sends those due: the
    # delay of an event and the precision of the retries.
    webhook_dispatch_interval: float = 1.0
    # Seconds to connect to an endpoint, and to wait for its answer (each read); no redirect is
    # followed.
    webhook_connect_timeout: float = 3.0
    webhook_read_timeout: float = 10.0
    # Tries of one delivery before it is given up, and the wait after its first failed try, doubled
    # after each (with +-20% jitter), never more than webhook_retry_max.
    webhook_max_attempts: int = 8
    webhook_retry_base: float = 10.0
    webhook_retry_max: float = 3600.0
    # Deliveries kept in each endpoint's log (older ones are dropped).
    webhook_log_max: int = 200
    # Seconds between two heartbeats of a worker (its entry in Redis: alive, last task taken).
    worker_heartbeat_interval: float = 5.0
    # Seconds without a heartbeat (or without a task taken while comments wait) before /readyz,
    # /metrics and the doctor report the workers as not working.
    worker_stale_after: float = 60.0
    # Celery pool of `celery -A workers worker`: "solo" (tasks run in the worker process: fastest
    # per process; run one worker per CPU), "prefork" (children: crash isolation, hard time limit),
    # or "threads". It wins over celery's own --pool flag (Celery prefers its configuration).
    worker_pool: str = "solo"
    # Pool size for prefork/threads; 0: one per CPU. Ignored by solo.
    worker_concurrency: int = 0
    # Messages a worker takes ahead per pool slot (Celery's prefetch multiplier). A message is a
    # batch of comments, so taking more ahead gains little; each one taken ahead waits behind the
    # running task (and, if the worker dies, for the sweeper) while another worker may be idle.
    worker_prefetch: int = 1
    # Comments a worker takes from a site's ready list at a time (one drain task): each batch
    # costs one broker message and three Redis round trips, whatever its size. While comments
    # remain, the batch sends another drain task at once, so idle workers join in. 128 rather than
    # 32: 15% less worker CPU per comment, and two workers 1.54x one instead of 1.34x
    # (bench/topologies.py); a batch of 128 takes about 25 ms, the wait of its first comment.
    worker_batch: int = 128
    # Bearer token that GET /metrics requires; empty: /metrics is open (keep it off the public
    # internet, e.g. at the proxy).
    metrics_token: str = ""
    # The admin API's Bearer token (/api/v1/admin/...): moderators' and admins' tools. Give it
    # as its SHA-256 in hex (MODERATION_ADMIN_TOKEN_SHA256, so the plain token is in no
    # environment) or plain (MODERATION_ADMIN_TOKEN, e.g. for `make run`). Neither: the admin API
    # refuses every request.
    admin_token: str = ""
    admin_token_sha256: str = ""
    # Log lines: "json" (one object per line, with request ids) or "text" (for a terminal).
    log_format: str = "json"
    # One log line per HTTP request (method, path, status, duration, request id).
    access_log: bool = True
    # TEST ONLY: seconds the worker sleeps between marking a comment processing and storing
    # its result, so fault tests can kill it mid-task. Leave 0 in any real deployment.
    test_processing_delay: float = 0.0

    @classmethod
    def value_from_env(cls, name: str, environ: Mapping[str, str] | None = None):
        """One setting as :meth:`from_env` reads it, for code that runs outside the app and
        must not pay for reading them all (the text formats, on every render)."""
        spec = _fields_by_name(cls)[name]
        raw = (os.environ if environ is None else environ).get(PREFIX + name.upper())
        return spec.default if raw is None or raw == "" else _parsed(spec, raw)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """Read ``MODERATION_<FIELD>`` variables (defaults for those missing)."""
        environ = os.environ if environ is None else environ
        values = {}
        for spec in fields(cls):
            raw = environ.get(PREFIX + spec.name.upper())
            if raw is None or raw == "":
                continue
            values[spec.name] = _parsed(spec, raw)
        settings = cls(**values)
        settings.rate_limit_window  # validate the rate formats early
        settings.site_rate_limit_window
        settings.report_rate_limit_window
        if settings.worker_pool not in ("solo", "prefork", "threads"):
            raise ValueError(f"{PREFIX}WORKER_POOL must be solo, prefork or threads, got {settings.worker_pool!r}")
        for name in ("worker_prefetch", "worker_batch"):
            if getattr(settings, name) < 1:
                raise ValueError(f"{PREFIX}{name.upper()} must be at least 1, got {getattr(settings, name)}")
        if settings.redis_topology not in TOPOLOGIES:
            raise ValueError(f"{PREFIX}REDIS_TOPOLOGY must be one of {', '.join(TOPOLOGIES)}, "
                             f"got {settings.redis_topology!r}")
        if settings.redis_topology == "cluster" and not settings.broker_url:
            raise ValueError(f"{PREFIX}BROKER_URL must name a plain or Sentinel-managed Redis when the store is a "
                             "Redis Cluster (Celery's Redis transport does not speak Cluster)")
        if settings.redis_topology == "sentinel" and not settings.redis_sentinel_master:
            raise ValueError(f"{PREFIX}REDIS_SENTINEL_MASTER must name the store's primary (topology 'sentinel')")
        if settings.wait_replicas and settings.wait_timeout_ms >= settings.redis_socket_timeout * 1000:
            raise ValueError(f"{PREFIX}WAIT_TIMEOUT_MS must be shorter than MODERATION_REDIS_SOCKET_TIMEOUT")
        if settings.cookie_secure not in ("auto", "always", "never"):
            raise ValueError(f"{PREFIX}COOKIE_SECURE must be auto, always or never, got {settings.cookie_secure!r}")
        for name in ("webhook_dispatch_interval", "webhook_connect_timeout", "webhook_read_timeout",
                     "webhook_max_attempts", "webhook_retry_base", "webhook_retry_max", "webhook_log_max"):
            if getattr(settings, name) <= 0:
                raise ValueError(f"{PREFIX}{name.upper()} must be above 0, got {getattr(settings, name)}")
        if settings.sanitizer.strip().lower() not in SANITIZERS:
            raise ValueError(f"{PREFIX}SANITIZER must be one of {', '.join(SANITIZERS)}, got {settings.sanitizer!r}")
        if settings.log_format not in ("json", "text"):
            raise ValueError(f"{PREFIX}LOG_FORMAT must be 'json' or 'text', got {settings.log_format!r}")
        return settings

    @property
    def effective_broker_url(self) -> str:
        """The broker URL, falling back to the store's Redis (its sentinels with "sentinel")."""
        if self.broker_url:
            return self.broker_url
        if self.redis_topology == "sentinel":
            return ";".join(f"sentinel://{node.strip().split('://', 1)[-1]}" for node in self.redis_url.split(",")
                            if node.strip())
        return self.redis_url

    @property
    def broker_sentinel_name(self) -> str:
        """Sentinel's name for the broker's primary (a sentinel:// broker)."""
        return self.broker_sentinel_master or self.redis_sentinel_master

    @property
    def broker_is_store(self) -> bool:
        """Whether the broker's queue lives in the store's Redis (same server, same database), so
        that a store script may push a task message onto it (workers/task_messages.py)."""
        if self.redis_topology == "sentinel":
            return not self.broker_url
        return self.redis_topology == "single" and self.effective_broker_url == self.redis_url

    @property
    def rate_limit_window(self) -> tuple[int, int]:
        """(requests allowed, window seconds) parsed from :attr:`rate_limit`."""
        return _parse_rate(self.rate_limit)

    @property
    def report_rate_limit_window(self) -> tuple[int, int] | None:
        """(reports allowed, window seconds) per reader IP; None: no limit."""
        limit, window = _parse_rate(self.report_rate_limit) if self.report_rate_limit.strip() else (0, 0)
        return (limit, window) if limit else None

    @property
    def site_rate_limit_window(self) -> tuple[int, int] | None:
        """(requests allowed, window seconds) of :attr:`site_rate_limit`; None: no ceiling."""
        if not self.site_rate_limit.strip():
            return None
        limit, window = _parse_rate(self.site_rate_limit)
        return (limit, window) if limit else None
