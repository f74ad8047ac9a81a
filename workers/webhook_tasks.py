"""Thin Celery tasks over :mod:`moderation.webhooks` (docs/webhooks.md).

``dispatch_webhooks`` runs from beat every MODERATION_WEBHOOK_DISPATCH_INTERVAL seconds (a
worker stands in when beat is silent, like the sweeper): it turns the sites' new audit entries
into deliveries and sends one ``deliver_webhook`` task per delivery due. Retries are not Celery
retries: a failed try puts the delivery back in its site's due set, and a later dispatch sends it
again, so a worker's death loses nothing (the lease expires).
"""
from __future__ import annotations

import functools
import logging
import os
import socket
import time

from celery import shared_task

from moderation.store import keys
from moderation.webhooks.delivery import DeliveryConfig, deliver
from moderation.webhooks.dispatch import dispatch_all
from moderation.webhooks.store import WebhookStore
from workers.celery_app import DELIVER_WEBHOOK_TASK, DISPATCH_WEBHOOKS_TASK
from workers.tasks import comment_store, worker_settings

log = logging.getLogger("moderation.webhooks")


@functools.cache
def webhook_store() -> WebhookStore:
    return WebhookStore(comment_store().redis, worker_settings().webhook_log_max)


def delivery_config() -> DeliveryConfig:
    return DeliveryConfig.of(worker_settings())


@shared_task(name=DISPATCH_WEBHOOKS_TASK, ignore_result=True)
def dispatch_webhooks() -> int:
    """New audit entries -> deliveries; deliveries due -> ``deliver_webhook`` tasks. Returns how
    many tasks were sent."""
    results = dispatch_all(webhook_store(), comment_store(), send_delivery,
                           lease_seconds=delivery_config().lease_seconds)
    return sum(result.sent for result in results)


def send_delivery(site_id: str, delivery_id: str, attempts: int) -> None:
    deliver_webhook.apply_async(args=[site_id, delivery_id, attempts])


@shared_task(name=DELIVER_WEBHOOK_TASK, ignore_result=True)
def deliver_webhook(site_id: str, delivery_id: str, attempts: int) -> str:
    """One try of one delivery (the store says whether it is still due at that try)."""
    return deliver(webhook_store(), site_id, delivery_id, attempts, delivery_config())


def dispatch_if_beat_is_silent() -> int:
    """The dispatcher, run from a worker's heartbeat thread when beat has not run it for a while
    (one worker at a time: a lock). Only when some site has endpoints."""
    settings = worker_settings()
    client = comment_store().redis
    silent_after = max(10.0, 5 * settings.webhook_dispatch_interval)
    last = client.get(keys.webhook_dispatch_mark_key())
    if last is not None and time.time() - float(last) < silent_after:
        return 0
    if not client.scard(keys.webhook_sites_key()):
        return 0
    holder = f"{socket.gethostname()}:{os.getpid()}"
    if not client.set(keys.webhook_dispatch_lock_key(), holder, nx=True, px=int(silent_after * 1000)):
        return 0
    log.warning("beat has not dispatched webhooks for %s; this worker dispatches instead",
                "ever" if last is None else f"{time.time() - float(last):.0f}s")
    return dispatch_webhooks()
