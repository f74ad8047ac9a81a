"""Thin Celery tasks over plain functions in :mod:`moderation.processing`.

Tasks take only a comment id. The store (and the MODERATION_* settings) are
built once per worker process, lazily, so prefork children each open their
own Redis connections after the fork.
"""
from __future__ import annotations

import functools

from celery import shared_task
from celery.utils.log import get_task_logger

from moderation.processing import process_comment, sweep_stuck_comments as sweep_stuck
from moderation.settings import Settings
from moderation.store import CommentStore, connect_redis
from workers.celery_app import RENDER_COMMENT_TASK, SWEEP_STUCK_TASK

log = get_task_logger(__name__)  # log lines carry the task name and id


@functools.cache
def worker_settings() -> Settings:
    return Settings.from_env()


@functools.cache
def comment_store() -> CommentStore:
    settings = worker_settings()
    return CommentStore(connect_redis(settings.redis_url, settings.redis_socket_timeout))


@shared_task(name=RENDER_COMMENT_TASK, bind=True, acks_late=True, reject_on_worker_lost=True,
             max_retries=None, ignore_result=True)
def render_comment(self, comment_id: str) -> str:
    """Render and decide one comment. Attempts are capped in the store, not by Celery."""
    settings = worker_settings()
    try:
        result = process_comment(
            comment_store(), comment_id, max_attempts=settings.max_attempts,
            pause_seconds=settings.test_processing_delay, actor=f"worker:{self.request.hostname}",
        )
    except Exception as exc:
        # Store down or a render bug: try again shortly. If even the retry cannot be
        # published, the comment stays queued/processing and the sweeper finds it.
        countdown = min(30, 2 ** self.request.retries)
        log.warning("comment %s: %s; retrying in %ss", comment_id, exc, countdown)
        raise self.retry(exc=exc, countdown=countdown)
    log.info("comment %s: %s (%s, attempt %d)", comment_id, result.outcome, result.status, result.attempts)
    return result.outcome


@shared_task(name=SWEEP_STUCK_TASK, ignore_result=True)
def sweep_stuck_comments() -> int:
    """Re-enqueue comments left in queued/processing longer than MODERATION_STUCK_AFTER."""
    settings = worker_settings()
    swept = sweep_stuck(comment_store(), enqueue=lambda comment_id: render_comment.delay(comment_id),
                        older_than_seconds=settings.stuck_after)
    if swept:
        log.warning("re-enqueued %d stuck comments: %s", len(swept), ", ".join(swept[:10]))
    return len(swept)
