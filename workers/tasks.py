"""Thin Celery tasks over plain functions in :mod:`moderation.processing`.

``drain_comments(site_id)`` is the usual task: it takes a batch of the site's
waiting comments from the store (the intake wakes it when a site's ready list
was empty; a batch that leaves comments behind sends the next). One message
per batch rather than per comment: Celery's cost per message (a BRPOP round
trip, decoding, dispatch) was larger than the rest of a comment's processing
(docs/benchmarks.md). ``render_comment(comment_id)`` handles one comment: the
sweeper's re-sends and retries after a rendering error.

The store (and the MODERATION_* settings) are built once per worker process,
lazily, so prefork children each open their own Redis connections after the fork.
"""
from __future__ import annotations

import functools
import logging
import os
import socket
import time

from celery import shared_task, signals

from moderation.logs import current_request_id
from moderation.policy import spam_providers
from moderation.policy.engine import warm_up
from moderation.processing import (
    ProcessingResult, process_batch, process_comment, sweep_stuck_comments as sweep_stuck,
    wake_sites_with_waiting_comments,
)
from moderation.settings import Settings
from moderation.store import CommentStore, store_client
from moderation.store.connection import STORE_ERRORS
from moderation.store.comments import QueuedTask
from moderation.store.workers import claim_sweep, last_sweep, record_sweep
from workers.celery_app import DRAIN_COMMENTS_TASK, RENDER_COMMENT_TASK, SWEEP_STUCK_TASK
from workers.liveness import count_redis_error
from workers.task_messages import TaskMessages

log = logging.getLogger("moderation.worker")


@functools.cache
def worker_settings() -> Settings:
    return Settings.from_env()


@functools.cache
def comment_store() -> CommentStore:
    settings = worker_settings()
    return CommentStore(store_client(settings), settings.audit_stream_max, policy_file=settings.policy_file)


@signals.worker_init.connect(weak=False)
def warm_up_policy(**_kwargs) -> None:
    """Word lists, the classifier's model and the spam model are loaded before the worker takes
    its first comment (about a second, once), not while that comment waits."""
    spam_providers.configure(worker_settings())  # a wrong setting stops the worker here
    try:
        warm_up(comment_store().policies.defaults())
    except Exception:  # the first comment will try again, and its failure is handled there
        log.exception("loading the default moderation policy failed")


def retry_delay(retries: int) -> int:
    """Seconds before the next try of a task that failed on Redis or rendering: 1, 2, 4 ... 30."""
    return min(30, 2 ** retries)


@shared_task(name=DRAIN_COMMENTS_TASK, bind=True, acks_late=True, reject_on_worker_lost=True,
             max_retries=None, ignore_result=True)
def drain_comments(self, site_id: str, comment_ids: list[str] | None = None) -> int:
    """Take up to MODERATION_WORKER_BATCH waiting comments of a site and decide them.

    ``comment_ids``: a retry's batch, taken before Redis failed. The batch taken is remembered
    under the task's id until it is done, so the message redelivered after a pool child died
    mid-batch redoes it (else the sweeper would, after MODERATION_STUCK_AFTER). A comment whose
    rendering raised goes on alone (``render_comment``, with its retry delays).
    """
    settings = worker_settings()
    store = comment_store()
    started = time.perf_counter()
    try:
        task_id = self.request.id or ""
        if comment_ids is None:
            batch = store.take_ready(site_id, settings.worker_batch, task_id, settings.stuck_after,
                                     continuation=continuation(self.app, site_id))
            comment_ids = batch.comment_ids
            if batch.more and not same_redis_broker():
                drain_comments.apply_async(args=[site_id])
        results = process_batch(store, site_id, comment_ids, max_attempts=settings.max_attempts,
                                pause_seconds=settings.test_processing_delay, actor=actor_name(self))
        if comment_ids:
            store.forget_batch(site_id, task_id)
    except STORE_ERRORS as exc:
        # The store is down: try the same batch again shortly. Should even the retry not be
        # published, its comments stay queued/processing and the sweeper sends them.
        count_redis_error()
        countdown = retry_delay(self.request.retries)
        log.warning("site %s: %s; retrying %d comments in %ss", site_id, exc, len(comment_ids or ()), countdown,
                    extra={"site_id": site_id, "retry_in": countdown})
        raise self.retry(exc=exc, countdown=countdown, args=[site_id], kwargs={"comment_ids": comment_ids})
    for result in results:
        log_result(result, site_id, started)
        if result.outcome == "retry":
            render_comment.apply_async(args=[result.comment_id], kwargs={"site_id": site_id},
                                       countdown=retry_delay(0))
    return len(results)


@shared_task(name=RENDER_COMMENT_TASK, bind=True, acks_late=True, reject_on_worker_lost=True,
             max_retries=None, ignore_result=True)
def render_comment(self, comment_id: str, site_id: str = "", request_id: str = "") -> str:
    """Render and decide one comment. Attempts are capped in the store, not by Celery."""
    settings = worker_settings()
    token = current_request_id.set(request_id or "")
    started = time.perf_counter()
    try:
        result = process_comment(
            comment_store(), site_id, comment_id, max_attempts=settings.max_attempts,
            pause_seconds=settings.test_processing_delay, actor=actor_name(self), request_id=request_id,
        )
    except Exception as exc:
        # Store down or a render bug: try again shortly. If even the retry cannot be
        # published, the comment stays queued/processing and the sweeper finds it.
        if isinstance(exc, STORE_ERRORS):
            count_redis_error()
        countdown = retry_delay(self.request.retries)
        log.warning("comment %s: %s; retrying in %ss", comment_id, exc, countdown,
                    extra={"comment_id": comment_id, "retry_in": countdown})
        raise self.retry(exc=exc, countdown=countdown, kwargs={"site_id": site_id, "request_id": request_id})
    finally:
        current_request_id.reset(token)
    log_result(result, site_id, started)
    return result.outcome


def log_result(result: ProcessingResult, site_id: str | None, started: float) -> None:
    """One line per comment a task handled, with the request that submitted it when known."""
    log.info("comment %s: %s (%s)", result.comment_id, result.outcome, result.status, extra={
        "comment_id": result.comment_id, "site_id": site_id, "outcome": result.outcome, "status": result.status,
        "reasons": list(result.reasons), "attempt": result.attempts, "request_id": result.request_id or "-",
        "duration_ms": round((time.perf_counter() - started) * 1000, 2)})


def actor_name(task) -> str:
    """Who the audit trail names for a worker's changes."""
    return f"worker:{task.request.hostname}"


def same_redis_broker() -> bool:
    """Whether the broker's queue is in the store's Redis, so store scripts can push task messages."""
    return worker_settings().broker_is_store


def continuation(app, site_id: str) -> QueuedTask | None:
    """The next drain message for a store script to push (None: publish it with Celery)."""
    if not same_redis_broker():
        return None
    messages = task_messages(app)
    return QueuedTask(messages.queue_key, messages.drain(site_id))


@functools.cache
def task_messages(app) -> TaskMessages:
    return TaskMessages(app)


@shared_task(name=SWEEP_STUCK_TASK, ignore_result=True)
def sweep_stuck_comments() -> int:
    """Re-enqueue comments left in queued/processing longer than MODERATION_STUCK_AFTER, and
    wake the sites whose ready lists hold comments (in case their drain message was lost)."""
    settings = worker_settings()
    store = comment_store()
    swept = sweep_stuck(store, older_than_seconds=settings.stuck_after,
                        enqueue=lambda comment_id, site_id: render_comment.apply_async(
                            args=[comment_id], kwargs={"site_id": site_id}))
    woken = wake_sites_with_waiting_comments(store, lambda site_id: drain_comments.apply_async(args=[site_id]))
    record_sweep(store.redis)
    if swept:
        log.warning("re-enqueued %d stuck comments: %s", len(swept), ", ".join(swept[:10]))
    if woken:
        log.info("sent a drain task to %d sites with waiting comments", len(woken))
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
