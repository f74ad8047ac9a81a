"""The HTTP API: one blueprint per concern."""
from flask import Flask

from moderation.api import admin, admin_sites, comments, cors, formats, health, metrics, threads


def register_blueprints(app: Flask) -> None:
    for blueprint in (comments.bp, cors.bp, threads.bp, formats.bp, health.bp, metrics.bp, admin.bp, admin_sites.bp):
        app.register_blueprint(blueprint)
