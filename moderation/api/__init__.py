"""The HTTP API: one blueprint per concern."""
from flask import Flask

from moderation.api import admin, comments, formats, health, metrics, threads


def register_blueprints(app: Flask) -> None:
    for blueprint in (comments.bp, threads.bp, formats.bp, health.bp, metrics.bp, admin.bp):
        app.register_blueprint(blueprint)
