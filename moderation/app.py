"""The Flask application factory."""
from __future__ import annotations

import os
from collections.abc import Mapping

from flask import Flask

from moderation import cli, problems
from moderation.api import register_blueprints
from moderation.api.deps import EXTENSION_NAME, Services
from moderation.settings import PREFIX, Settings
from moderation.store import CommentStore, IdempotencyStore, RateLimiter, SiteStore, connect_redis
from workers.celery_app import make_celery


def create_app(test_config: Mapping | None = None) -> Flask:
    """Build the app. ``test_config`` overrides: ``MODERATION_*`` keys override the
    environment for :class:`Settings`; any other key goes into ``app.config``."""
    test_config = dict(test_config or {})
    environ = dict(os.environ)
    environ.update({name: str(value) for name, value in test_config.items() if name.startswith(PREFIX)})
    settings = Settings.from_env(environ)

    app = Flask(__name__)
    app.config.from_mapping(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,  # werkzeug answers 413 past this
    )
    app.config.update({name: value for name, value in test_config.items() if not name.startswith(PREFIX)})
    app.json.sort_keys = False

    client = connect_redis(settings.redis_url, settings.redis_socket_timeout)
    limit, window = settings.rate_limit_window
    app.extensions[EXTENSION_NAME] = Services(
        settings=settings,
        comments=CommentStore(client),
        sites=SiteStore(client),
        idempotency=IdempotencyStore(client, settings.idempotency_ttl),
        rate_limiter=RateLimiter(client, limit, window),
        celery=make_celery(settings),
    )
    problems.init_app(app)
    register_blueprints(app)
    cli.init_app(app)
    return app
