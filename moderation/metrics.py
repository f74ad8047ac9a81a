"""Prometheus metrics for ``GET /metrics``.

Two sources, one page:

- what the API processes count themselves (requests, intake outcomes, Redis
  errors). Under gunicorn each worker process writes its samples to files in
  ``PROMETHEUS_MULTIPROC_DIR`` (config/gunicorn.conf.py sets it up) and the
  page adds them up (prometheus-client's multiprocess mode);
- what the store knows, read from Redis at scrape time (:class:`StoreCollector`):
  queue depths and ages, decisions by outcome and reason, the submission-to-
  decision latency histogram, worker heartbeats, the sweeper's last run. The
  workers write those into Redis as they go, so one scrape of any API process
  sees the whole service, however many workers run where.
"""
from __future__ import annotations

import logging
import os
import time

import redis
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from moderation.store.comments import CommentStore
from moderation.store.connection import STORE_ERRORS
from moderation.store.stats import read_decision_stats
from moderation.store.workers import WorkerRegistry, last_sweep

log = logging.getLogger(__name__)

HTTP_REQUESTS = Counter("moderation_http_requests_total", "HTTP requests answered, by endpoint and status",
                        ["endpoint", "method", "status"])
HTTP_DURATION = Histogram("moderation_http_request_duration_seconds", "Time to answer an HTTP request",
                          ["endpoint"], buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
INTAKE = Counter("moderation_intake_total", "Comment submissions by outcome and HTTP status",
                 ["outcome", "status"])
REDIS_ERRORS = Counter("moderation_redis_errors_total", "Redis or broker errors met by the API",
                       ["component"])


class StoreCollector:
    """Reads the service's state from Redis on every scrape (a few pipelined commands)."""

    def __init__(self, client: redis.Redis, comments: CommentStore, broker_client: redis.Redis | None,
                 broker_queue: str, worker_stale_after: float):
        self.redis = client
        self.comments = comments
        self.broker = broker_client
        self.broker_queue = broker_queue
        self.worker_stale_after = worker_stale_after

    def collect(self):
        up = GaugeMetricFamily("moderation_redis_up", "1 when the store's Redis answered this scrape")
        try:
            families = list(self._store_families())
        except STORE_ERRORS as exc:
            log.warning("metrics: the store is unreachable: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _store_families(self):
        now = time.time()
        depth = GaugeMetricFamily("moderation_queue_depth", "Comments in each queue", labels=["state"])
        age = GaugeMetricFamily("moderation_queue_oldest_age_seconds",
                                "How long the oldest comment of each queue has been there", labels=["state"])
        for state, queue in self.comments.queue_states(now).items():
            depth.add_metric([state], queue.count)
            age.add_metric([state], queue.oldest_age or 0.0)
        yield depth
        yield age

        stats = read_decision_stats(self.redis)
        decisions = CounterMetricFamily("moderation_decisions", "Decisions by outcome", labels=["outcome"])
        for outcome, count in sorted(stats.outcomes.items()):
            decisions.add_metric([outcome], count)
        yield decisions
        reasons = CounterMetricFamily("moderation_decision_reasons", "Decisions by outcome and reason code",
                                      labels=["outcome", "reason"])
        for (outcome, reason), count in sorted(stats.reasons.items()):
            reasons.add_metric([outcome, reason], count)
        yield reasons
        latency = HistogramMetricFamily("moderation_processing_latency_seconds",
                                        "Time from submission to decision")
        latency.add_metric([], stats.latency_buckets, stats.latency_sum)
        yield latency

        yield from self._worker_families(now)
        sweep = GaugeMetricFamily("moderation_sweeper_last_run_timestamp_seconds",
                                  "When the stuck-comment sweeper last ran (0: never)")
        sweep.add_metric([], last_sweep(self.redis) or 0.0)
        yield sweep
        if self.broker is not None:
            broker = GaugeMetricFamily("moderation_broker_queue_messages",
                                       "Task messages waiting in the broker's queue")
            broker.add_metric([], self.broker.llen(self.broker_queue))
            yield broker

    def _worker_families(self, now: float):
        heartbeats = WorkerRegistry(self.redis).all()
        alive = GaugeMetricFamily("moderation_workers_alive", "Workers whose heartbeat is recent")
        alive.add_metric([], sum(1 for beat in heartbeats if beat.age(now) <= self.worker_stale_after))
        yield alive
        families = {
            "heartbeat": GaugeMetricFamily("moderation_worker_last_heartbeat_timestamp_seconds",
                                           "A worker's last heartbeat", labels=["worker"]),
            "consumed": GaugeMetricFamily("moderation_worker_last_consume_timestamp_seconds",
                                          "When a worker last took a task from the broker (0: never)",
                                          labels=["worker"]),
            "tasks": CounterMetricFamily("moderation_worker_tasks_received", "Tasks a worker took",
                                         labels=["worker"]),
            "errors": CounterMetricFamily("moderation_worker_redis_errors", "Redis errors a worker met",
                                          labels=["worker"]),
        }
        for beat in heartbeats:
            families["heartbeat"].add_metric([beat.name], beat.heartbeat_at)
            families["consumed"].add_metric([beat.name], beat.last_consumed_at)
            families["tasks"].add_metric([beat.name], beat.tasks_received)
            families["errors"].add_metric([beat.name], beat.redis_errors)
        yield from families.values()


def metrics_page(store_collector: StoreCollector) -> bytes:
    """The exposition text: the API processes' own samples plus the store's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        own = CollectorRegistry()
        multiprocess.MultiProcessCollector(own)  # every gunicorn worker's samples, added up
    else:
        own = REGISTRY  # a single process (flask run, tests)
    return generate_latest(_Together(own, store_collector))


class _Together:
    """Several collectors as one, for generate_latest (which only calls ``collect()``)."""

    def __init__(self, *collectors):
        self.collectors = collectors

    def collect(self):
        for collector in self.collectors:
            yield from collector.collect()
