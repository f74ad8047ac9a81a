"""Thin Celery tasks over plain functions in :mod:`moderation.processing`.

Tasks take the comment id (plus its site, which saves a round trip, and the
API's request id, for the logs). The store (and the MODERATION_* settings) are
built once per worker process, lazily, so prefork children each open their own
Redis connections after the fork.
"""
from __future__ import annotations

import functools
import logging
import os
import socket
import time

import redis
from celery import shared_task

from moderation.logs import current_request_id
from moderation.processing import process_comment, sweep_stuck_comments as sweep_stuck
from moderation.settings import Settings
from moderation.store import CommentStore, connect_redis
from moderation.store.workers import claim_sweep, last_sweep, record_sweep
from workers.celery_app import RENDER_COMMENT_TASK, SWEEP_STUCK_TASK
from workers.liveness import count_redis_error

log = logging.getLogger("moderation.worker")


@functools.cache
def worker_settings() -> Settings:
    return Settings.from_env()


@functools.cache
def comment_store() -> CommentStore:
    settings = worker_settings()
    return CommentStore(connect_redis(settings.redis_url, settings.redis_socket_timeout),
                        settings.audit_stream_max)


@shared_task(name=RENDER_COMMENT_TASK, bind=True, acks_late=True, reject_on_worker_lost=True,
             max_retries=None, ignore_result=True)
def render_comment(self, comment_id: str, site_id: str | None = None, request_id: str = "") -> str:
    """Render and decide one comment. Attempts are capped in the store, not by Celery."""
    settings = worker_settings()
    token = current_request_id.set(request_id or "")
    started = time.perf_counter()
    try:
        result = process_comment(
            comment_store(), comment_id, max_attempts=settings.max_attempts, site_id=site_id,
            pause_seconds=settings.test_processing_delay, actor=f"worker:{self.request.hostname}",
            request_id=request_id,
        )
    except Exception as exc:
        # Store down or a render bug: try again shortly. If even the retry cannot be
        # published, the comment stays queued/processing and the sweeper finds it.
        if isinstance(exc, redis.RedisError):
            count_redis_error()
        countdown = min(30, 2 ** self.request.retries)
        log.warning("comment %s: %s; retrying in %ss", comment_id, exc, countdown,
                    extra={"comment_id": comment_id, "retry_in": countdown})
        raise self.retry(exc=exc, countdown=countdown, kwargs={"site_id": site_id, "request_id": request_id})
    finally:
        current_request_id.reset(token)
    log.info("comment %s: %s (%s)", comment_id, result.outcome, result.status, extra={
        "comment_id": comment_id, "site_id": site_id, "outcome": result.outcome, "status": result.status,
        "reasons": list(result.reasons), "attempt": result.attempts, "request_id": request_id or "-",
        "duration_ms": round((time.perf_counter() - started) * 1000, 2)})
    return result.outcome


@shared_task(name=SWEEP_STUCK_TASK, ignore_result=True)
def sweep_stuck_comments() -> int:
    """Re-enqueue comments left in queued/processing longer than MODERATION_STUCK_AFTER."""
    settings = worker_settings()
    store = comment_store()
    swept = sweep_stuck(store, older_than_seconds=settings.stuck_after,
                        enqueue=lambda comment_id, site_id: render_comment.apply_async(
                            args=[comment_id], kwargs={"site_id": site_id or None}))
    record_sweep(store.redis)
    if swept:
        log.warning("re-enqueued %d stuck comments: %s", len(swept), ", ".join(swept[:10]))
    return len(swept)


def sweep_if_beat_is_silent() -> int:
    """The sweeper, run by a worker when beat has not run it for three intervals.

    Re-delivery rests on the sweeper (workers/celery_app.py), so it must not
    depend on beat alone: each worker's heartbeat thread calls this, and one at
    a time (a lock) stands in while beat is down or was never started.
    """
    settings = worker_settings()
    store = comment_store()
    last = last_sweep(store.redis)
    if last is not None and time.time() - last < 3 * settings.sweep_interval + 10:
        return 0
    if not claim_sweep(store.redis, f"{socket.gethostname()}:{os.getpid()}", settings.sweep_interval):
        return 0
    log.warning("beat has not swept for %s; this worker sweeps instead",
                "ever" if last is None else f"{time.time() - last:.0f}s")
    return sweep_stuck_comments()
