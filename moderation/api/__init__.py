"""The HTTP API: one blueprint per concern."""
from flask import Flask

from moderation.api import (
    admin, admin_sites, admin_webhooks, comments, cors, docs, formats, health, metrics, reports, threads,
)


def register_blueprints(app: Flask) -> None:
    for blueprint in (comments.bp, reports.bp, cors.bp, threads.bp, formats.bp, health.bp, metrics.bp, admin.bp,
                      admin_sites.bp, admin_webhooks.bp, docs.bp):
        app.register_blueprint(blueprint)
