"""The moderators' dashboard at ``/admin``: server-rendered pages over the same code as the
admin API (``moderator_actions``), with plain JS for the keyboard, polling and undo.

Modules: ``blueprint`` (the blueprint, its session/CSRF/role checks and security headers),
``auth`` (sessions, shared with the admin API), ``views_session`` (login, logout),
``views_queues`` (overview, queues, comment and commenter pages, actions), ``views_audit``,
``views_settings`` (admin: policy with dry run, sites and keys, users, data requests),
``views_webhooks`` (admin: a site's webhook endpoints and delivery log),
``queues`` / ``cards`` / ``charts`` (what the pages show, as plain data).
"""
from moderation.dashboard import (  # noqa: F401 (routes)
    views_audit, views_queues, views_session, views_settings, views_webhooks,
)
from moderation.dashboard.blueprint import bp

__all__ = ["bp"]
