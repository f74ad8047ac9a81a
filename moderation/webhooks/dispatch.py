"""The dispatcher: audit entries become deliveries, due deliveries are handed to workers.

Plain functions (no Celery): ``workers/webhook_tasks.py`` runs :func:`dispatch_all` from beat
and passes ``send``, which publishes one delivery task. Safe to run twice at once or again
after a crash: a delivery's id is derived from its endpoint and event (created once), the cursor
only moves forward and only after the deliveries it covers exist (at least once), and a due
delivery is leased to one task at a time.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from moderation.store import keys
from moderation.store.comments import Comment, CommentStore
from moderation.webhooks import events
from moderation.webhooks.store import Delivery, WebhookStore, delivery_id_for

log = logging.getLogger("moderation.webhooks")

READ_BATCH = 500    # audit entries read at a time
MAX_BATCHES = 20    # per site and run: a long backlog is worked off over several runs
CLAIM_LIMIT = 200   # due deliveries handed out per site and run

Send = Callable[[str, str, int], None]  # (site id, delivery id, tries so far)


@dataclass(frozen=True)
class SiteDispatch:
    """What one run did for one site."""

    site_id: str
    entries: int = 0
    created: int = 0
    sent: int = 0


def dispatch_all(webhooks: WebhookStore, comments: CommentStore, send: Send, *, lease_seconds: float,
                 now: float | None = None) -> list[SiteDispatch]:
    """:func:`dispatch_site` for every site with endpoints; a site that fails is logged and skipped."""
    results = []
    for site_id in webhooks.site_ids():
        try:
            results.append(dispatch_site(webhooks, comments, site_id, send, lease_seconds=lease_seconds, now=now))
        except Exception:
            log.exception("webhooks of site %s: dispatch failed", site_id, extra={"site_id": site_id})
    webhooks.redis.set(keys.webhook_dispatch_mark_key(), f"{time.time():.6f}")
    return results


def dispatch_site(webhooks: WebhookStore, comments: CommentStore, site_id: str, send: Send, *,
                  lease_seconds: float, now: float | None = None) -> SiteDispatch:
    """Turn the site's new audit entries into deliveries, then send the deliveries due."""
    endpoints = webhooks.endpoints(site_id)
    entries = created = 0
    if endpoints:
        # No cursor yet: start at the oldest endpoint's creation (nothing older concerns them).
        cursor = webhooks.cursor(site_id) or f"{int(min(e.created_at for e in endpoints) * 1000)}-0"
        for _ in range(MAX_BATCHES):
            batch = comments.redis.xrange(keys.audit_stream_key(site_id), min=f"({cursor}", max="+", count=READ_BATCH)
            if not batch:
                break
            entries += len(batch)
            cursor = batch[-1][0]
            created += webhooks.enqueue(site_id, _deliveries(comments, site_id, endpoints, batch), cursor=cursor)
            if len(batch) < READ_BATCH:
                break
    sent = 0
    for delivery_id, attempts in webhooks.claim_due(site_id, lease_seconds, now=now, limit=CLAIM_LIMIT):
        send(site_id, delivery_id, attempts)
        sent += 1
    return SiteDispatch(site_id, entries, created, sent)


def _deliveries(comments: CommentStore, site_id: str, endpoints, batch: list) -> list[Delivery]:
    """One delivery per event and endpoint that subscribes to it (enabled, and existing when the
    event happened)."""
    wanted = []
    for entry_id, fields in batch:
        event = events.event_type(fields)
        if event is None:
            continue
        at = int(entry_id.split("-")[0]) / 1000
        targets = [endpoint for endpoint in endpoints
                   if endpoint.enabled and event in endpoint.events and at >= endpoint.created_at - 1]
        if targets:
            wanted.append((entry_id, at, fields, event, targets))
    if not wanted:
        return []
    found = _comments(comments, site_id, {fields["comment"] for _id, _at, fields, _event, _targets in wanted})
    deliveries = []
    for entry_id, at, fields, event, targets in wanted:
        body = events.body_of(events.payload(site_id, entry_id, fields, event, found.get(fields["comment"])))
        event_id = events.event_id(entry_id)
        for endpoint in targets:
            deliveries.append(Delivery(delivery_id_for(endpoint.id, event_id), endpoint.id, event, event_id,
                                       fields["comment"], body, at))
    return deliveries


def _comments(comments: CommentStore, site_id: str, comment_ids: set[str]) -> dict[str, Comment]:
    pipe = comments.redis.pipeline(transaction=False)
    ordered = sorted(comment_ids)
    for comment_id in ordered:
        pipe.hgetall(keys.comment_key(site_id, comment_id))
    found = {}
    for comment_id, data in zip(ordered, pipe.execute()):
        if data:
            try:
                found[comment_id] = Comment.from_hash(data)
            except (ValueError, KeyError, TypeError):
                log.warning("webhooks: comment %s of site %s unreadable; sent without its fields", comment_id, site_id)
    return found
