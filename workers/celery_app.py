"""The Celery application: configuration, with the reason for every setting.

Why these settings: docs/reliability.md. In short, Celery acks before
running by default (a crash loses the task), the Redis transport re-delivers
unacked messages only after ``visibility_timeout``, and results expire. We ack
late, requeue on a lost worker, cap attempts in our own store, keep results in
our own store, and sweep comments whose message got lost anyway.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import logging

from celery import Celery, signals

from moderation.logs import configure_logging
from moderation.settings import Settings
from moderation.store import connect_redis
from moderation.store.workers import WorkerRegistry
from workers import broker_transport, liveness

QUEUE_NAME = "moderation"
RENDER_COMMENT_TASK = "moderation.render_comment"
SWEEP_STUCK_TASK = "moderation.sweep_stuck_comments"


def make_celery(settings: Settings) -> Celery:
    """A Celery app for ``settings``: the worker's, beat's, and the API's (to enqueue)."""
    app = Celery("moderation", broker=settings.effective_broker_url, include=["workers.tasks"])
    redis_transport_options = {
        # Re-deliver a message unacked this long (its worker died); longer than any task may run.
        "visibility_timeout": settings.visibility_timeout,
        # Fail a connection attempt fast so the API can answer 503 instead of hanging.
        "socket_connect_timeout": settings.redis_socket_timeout,
        # Reads give up eventually; generous because workers block in BRPOP between messages.
        "socket_timeout": max(5.0, settings.redis_socket_timeout),
        # Detect half-dead connections (e.g. after Redis was SIGSTOPped) and reconnect.
        "health_check_interval": 25,
        # Scan for expired unacked messages every few seconds (kombu: every 10 s x throttle 10 = 100 s),
        # so a message whose worker died comes back soon after the visibility timeout, not minutes later.
        "unacked_restore_interval": max(1, min(10, settings.visibility_timeout // 2)),
        "unacked_restore_throttle": 1,
    }
    app.conf.update(
        # kombu's Redis transport with the outage fix (workers/broker_transport.py): without it a
        # worker can exit for good after a broker outage. Other brokers keep kombu's own transport.
        broker_transport=(f"{broker_transport.__name__}:Transport"
                          if urlsplit(settings.effective_broker_url).scheme in broker_transport.SCHEMES
                          else None),
        # rediss:// without ssl_* options in the URL: verify the server's certificate (kombu's
        # own default for a bare rediss:// is no verification at all).
        broker_use_ssl=broker_transport.default_ssl_options(settings.effective_broker_url),
        # Ack after the task returns, not before: a worker crash mid-task leaves the message to re-deliver.
        task_acks_late=True,
        # A killed pool child requeues its message instead of acking it; our attempt cap stops poison loops.
        task_reject_on_worker_lost=True,
        # One message per process at a time: a crashed worker strands at most one in-flight message.
        worker_prefetch_multiplier=1,
        # Pool processes per worker (MODERATION_WORKER_CONCURRENCY); None: one per CPU.
        worker_concurrency=settings.worker_concurrency or None,
        # Outcomes live in our store; Celery's result backend would only add writes that expire.
        task_ignore_result=True,
        # No result backend at all, for the same reason.
        result_backend=None,
        # See redis_transport_options above.
        broker_transport_options=redis_transport_options,
        # Set alike so a result backend on Redis, if ever enabled, would not disagree on redelivery.
        result_backend_transport_options=redis_transport_options,
        # Celery also reads this top-level name in places; keep all three in agreement.
        visibility_timeout=settings.visibility_timeout,
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
        # Kill a runaway render (rendering is linear, this never triggers on sane input). Keep
        # MODERATION_VISIBILITY_TIMEOUT above it, or a live task may be delivered a second time.
        task_time_limit=120,
        # Timestamps in UTC, like the store.
        timezone="UTC",
        enable_utc=True,
        # Beat: re-enqueue comments stuck in queued/processing (a lost message never loses a comment).
        beat_schedule={
            "sweep-stuck-comments": {"task": SWEEP_STUCK_TASK, "schedule": float(settings.sweep_interval)},
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


# The app `celery -A workers worker|beat` runs, configured from MODERATION_* variables.
_settings = Settings.from_env()
celery_app = make_celery(_settings)
setup_logging(_settings)
liveness.connect_signals(lambda: WorkerRegistry(connect_redis(_settings.redis_url, _settings.redis_socket_timeout)),
                         _settings.worker_heartbeat_interval)
