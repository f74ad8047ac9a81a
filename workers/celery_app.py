"""The Celery application: configuration, with the reason for every setting.

How delivery works (docs/reliability.md): the store, not the broker, is the
record of work to do. A comment is written (``queued``) before its message is
sent; a comment left in ``queued`` or ``processing`` longer than
MODERATION_STUCK_AFTER is sent again by the sweeper, whatever happened to its
message (lost in a crash, never published, dropped with a worker). Every step
is a compare-and-set, so a message delivered twice changes nothing twice, and
attempts are counted in the store, so a comment that keeps killing its worker
ends ``failed``. The broker therefore does not need kombu's acknowledgement
emulation for Redis (an ``unacked`` hash restored after a visibility timeout):
it is off, which saves two Redis round trips per message and removes the code
path of the outage crash (workers/broker_transport.py).
"""
from __future__ import annotations

from urllib.parse import urlsplit

import logging

from celery import Celery, signals

from moderation.logs import configure_logging
from moderation.settings import Settings
from moderation.store import store_client
from moderation.store.workers import WorkerRegistry
from workers import broker_transport, liveness

QUEUE_NAME = "moderation"
TASK_TIME_LIMIT = 120  # seconds
RENDER_COMMENT_TASK = "moderation.render_comment"
DRAIN_COMMENTS_TASK = "moderation.drain_comments"
SWEEP_STUCK_TASK = "moderation.sweep_stuck_comments"
DISPATCH_WEBHOOKS_TASK = "moderation.dispatch_webhooks"
DELIVER_WEBHOOK_TASK = "moderation.deliver_webhook"


def make_celery(settings: Settings) -> Celery:
    """A Celery app for ``settings``: the worker's, beat's, and the API's (to enqueue)."""
    app = Celery("moderation", broker=settings.effective_broker_url, include=["workers.tasks", "workers.webhook_tasks"])
    redis_transport_options = {
        # No acknowledgement emulation (see the module doc): the sweeper re-delivers from the store.
        "ack_emulation": False,
        # Fail a connection attempt fast so the API can answer 503 instead of hanging.
        "socket_connect_timeout": settings.redis_socket_timeout,
        # Reads give up eventually; generous because workers block in BRPOP between messages.
        "socket_timeout": max(5.0, settings.redis_socket_timeout),
        # Detect half-dead connections (e.g. after Redis was SIGSTOPped) and reconnect.
        "health_check_interval": 25,
    }
    if urlsplit(settings.effective_broker_url).scheme == "sentinel":
        # The primary that Sentinel names (MODERATION_BROKER_SENTINEL_MASTER or the store's).
        redis_transport_options["master_name"] = settings.broker_sentinel_name
    app.conf.update(
        # kombu's Redis transport with the outage fix (workers/broker_transport.py): without it a
        # worker can exit for good after a broker outage. Other brokers keep kombu's own transport.
        broker_transport=broker_transport.transport_for(settings.effective_broker_url),
        # rediss:// without ssl_* options in the URL: verify the server's certificate (kombu's
        # own default for a bare rediss:// is no verification at all).
        broker_use_ssl=broker_transport.default_ssl_options(settings.effective_broker_url),
        # Ack after the task returns: a prefork child killed mid-task gives its message back
        # (with the next setting) instead of dropping it. Redelivery does not rest on it.
        task_acks_late=True,
        # A killed pool child requeues its message at once; our attempt cap stops poison loops.
        task_reject_on_worker_lost=True,
        # Messages taken ahead (MODERATION_WORKER_PREFETCH, default 1): each is a batch, so one
        # at a time keeps the next for whichever worker is free. A crash strands those taken;
        # the sweeper sends their comments again.
        worker_prefetch_multiplier=settings.worker_prefetch,
        # The pool (MODERATION_WORKER_POOL): "solo" runs tasks in the worker process itself, the
        # fastest per process (no hand-over to a child); scale by running more worker processes.
        # "prefork" isolates each task in a child and enforces task_time_limit.
        worker_pool=settings.worker_pool,
        # Pool processes per worker for prefork/threads (MODERATION_WORKER_CONCURRENCY); None: one per CPU.
        worker_concurrency=settings.worker_concurrency or None,
        # Outcomes live in our store; Celery's result backend would only add writes that expire.
        task_ignore_result=True,
        # No result backend at all, for the same reason.
        result_backend=None,
        # See redis_transport_options above.
        broker_transport_options=redis_transport_options,
        # Wait for Redis at worker start instead of exiting (services may start in any order).
        broker_connection_retry_on_startup=True,
        # Keep reconnecting after a broker outage; workers recover by themselves.
        broker_connection_retry=True,
        # ...forever: a worker that gave up would need a human to restart it.
        broker_connection_max_retries=None,
        # Connecting to the broker fails fast (seconds) rather than stalling a request.
        broker_connection_timeout=max(1.0, settings.redis_socket_timeout * 2),
        # Publishing retries a brief blip, then fails fast; a persisted comment is swept later anyway.
        task_publish_retry=True,
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0,
                                   "interval_step": 0.2, "interval_max": 0.5},
        # A late-acked task cut off by a lost broker connection will be re-delivered anyway:
        # cancel it rather than let it finish twice (it is idempotent, this only saves work).
        worker_cancel_long_running_tasks_on_connection_loss=True,
        # Messages carry only a comment id: JSON everywhere, never pickle.
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        # One named queue; `celery -A workers worker` consumes the default queue.
        task_default_queue=QUEUE_NAME,
        # Kill a runaway render (rendering is linear, this never triggers on sane input): prefork
        # enforces it on its children; with the solo pool the worker's watchdog exits the process
        # (workers/liveness.py) and its supervisor starts it again. Keep MODERATION_STUCK_AFTER above
        # it, or the sweeper may re-send a task that is still running (harmless, but wasted).
        task_time_limit=TASK_TIME_LIMIT,
        # Timestamps in UTC, like the store.
        timezone="UTC",
        enable_utc=True,
        # Beat: re-enqueue comments stuck in queued/processing (a lost message never loses a comment).
        beat_schedule={
            "sweep-stuck-comments": {"task": SWEEP_STUCK_TASK, "schedule": float(settings.sweep_interval)},
            # Webhooks (docs/webhooks.md): new audit entries -> deliveries, due deliveries -> tasks.
            # Dropped when stale: the next run does the same work.
            "dispatch-webhooks": {"task": DISPATCH_WEBHOOKS_TASK, "schedule": settings.webhook_dispatch_interval,
                                  "options": {"expires": max(5.0, 5 * settings.webhook_dispatch_interval)}},
        },
    )
    return app


def setup_logging(settings: Settings) -> None:
    """Our JSON (or text) log lines in workers and beat, instead of Celery's own setup."""

    @signals.setup_logging.connect(weak=False)
    def configure(loglevel=None, **_kwargs) -> None:
        configure_logging(settings.log_format, loglevel or logging.INFO)
        # Celery's two INFO lines per task ("received", "succeeded in") cost more than the task's
        # own work on short comments; our task logs one line per comment with what was decided.
        for name in ("celery.worker.strategy", "celery.app.trace"):
            logging.getLogger(name).setLevel(logging.WARNING)
        # Beat sends the webhook dispatcher every second or so: not a line each time.
        logging.getLogger("celery.beat").addFilter(
            lambda record: DISPATCH_WEBHOOKS_TASK not in record.getMessage())


# The app `celery -A workers worker|beat` runs, configured from MODERATION_* variables.
_settings = Settings.from_env()
celery_app = make_celery(_settings)
setup_logging(_settings)


def _sweep_if_beat_is_silent() -> None:
    from workers.tasks import sweep_if_beat_is_silent  # the tasks module imports this one
    from workers.webhook_tasks import dispatch_if_beat_is_silent

    sweep_if_beat_is_silent()
    dispatch_if_beat_is_silent()


liveness.connect_signals(
    lambda: WorkerRegistry(store_client(_settings)),
    _settings.worker_heartbeat_interval,
    time_limit=TASK_TIME_LIMIT if _settings.worker_pool != "prefork" else None,  # prefork enforces its own
    on_beat=_sweep_if_beat_is_silent,
)
