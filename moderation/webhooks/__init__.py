"""Signed webhooks (docs/webhooks.md): a site's endpoints are told of its comments' events.

The site's audit stream is the outbox: every state change of a comment adds its entry in the
same atomic step (lua/prelude.lua, ``record_change``). The dispatcher (Celery beat, every
MODERATION_WEBHOOK_DISPATCH_INTERVAL s) reads each site's stream on from its cursor, maps the
entries to events, creates one delivery per subscribed endpoint (stored in the site's slot, its
id derived from endpoint and event, so a second run creates none), then moves the cursor: at
least once. Deliveries due are leased and handed to Celery tasks; each try is signed
(HMAC-SHA256 over ``<timestamp>.<body>``), logged, and on failure scheduled again with
exponential backoff.

Modules: ``store`` (endpoints, secrets, deliveries in Redis), ``signing``, ``events`` (audit
entry -> event and payload), ``dispatch`` (the dispatcher's plain functions), ``delivery`` (one
try over HTTP). No Celery and no Flask here: ``workers/webhook_tasks.py`` and the admin API
call these.
"""
