"""The Flask application factory."""
from __future__ import annotations

import os
from collections.abc import Mapping

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from moderation import cli, dashboard, embed, problems
from moderation.api import register_blueprints, request_hooks
from moderation.api.deps import EXTENSION_NAME, Services, wake_site
from moderation.browser_tokens import BrowserTokens
from moderation.intake import Intake
from moderation.logs import configure_logging
from moderation.metrics import StoreCollector
from moderation.policy import spam_providers
from moderation.settings import PREFIX, Settings
from moderation.store import (
    CommentStore, FloodControl, IdempotencyStore, RateLimit, SiteStore, broker_client, store_client,
)
from moderation.store.accounts import AccountStore
from moderation.store.comments import QueuedTask
from moderation.store.workers import WorkerRegistry
from workers.celery_app import QUEUE_NAME, make_celery
from workers.task_messages import TaskMessages


def create_app(test_config: Mapping | None = None) -> Flask:
    """Build the app. ``test_config`` overrides: ``MODERATION_*`` keys override the
    environment for :class:`Settings`; any other key goes into ``app.config``."""
    test_config = dict(test_config or {})
    environ = dict(os.environ)
    environ.update({name: str(value) for name, value in test_config.items() if name.startswith(PREFIX)})
    settings = Settings.from_env(environ)

    if not test_config.get("TESTING"):
        configure_logging(settings.log_format)
    app = Flask(__name__)
    app.config.from_mapping(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,  # werkzeug answers 413 past this
    )
    app.config.update({name: value for name, value in test_config.items() if not name.startswith(PREFIX)})
    app.json.sort_keys = False

    client = store_client(settings)
    comments = CommentStore(client, settings.audit_stream_max, settings.wait_replicas, settings.wait_timeout_ms,
                            policy_file=settings.policy_file)
    comments.policies.defaults()  # a missing or wrong policy file stops the start, not every request
    spam_providers.configure(settings)
    celery = make_celery(settings)
    broker = broker_client(settings, client)  # one per app: metrics, /readyz and the doctor share it
    app.extensions[EXTENSION_NAME] = Services(
        settings=settings,
        comments=comments,
        sites=SiteStore(client, settings.site_cache_seconds),
        intake=build_intake(settings, client, comments, celery),
        workers=WorkerRegistry(client),
        store_collector=StoreCollector(client, comments, broker, QUEUE_NAME, settings.worker_stale_after),
        celery=celery,
        broker=broker,
        accounts=AccountStore(client, settings.session_idle_minutes * 60, settings.login_failure_limit),
        tokens=BrowserTokens(client, settings.secret_key),
    )
    problems.init_app(app)
    request_hooks.init_app(app)
    register_blueprints(app)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(embed.bp)
    if settings.proxy_hops:
        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    cli.init_app(app)
    return app


def build_intake(settings: Settings, client, comments: CommentStore, celery) -> Intake:
    """The intake, waking workers from inside its store script when the broker's queue is in the store."""
    def publish(site_id: str) -> None:
        wake_site(celery, site_id)

    wake_message = None
    if settings.broker_is_store:
        messages = TaskMessages(celery)

        def wake_message(site_id: str) -> QueuedTask:
            return QueuedTask(messages.queue_key, messages.drain(site_id))

    site_window = settings.site_rate_limit_window
    commenter_window = settings.rate_limit_window
    flood_control = FloodControl(RateLimit(*commenter_window) if commenter_window[0] else None,
                                 RateLimit(*site_window) if site_window else None)
    return Intake(comments, IdempotencyStore(client, settings.idempotency_ttl), flood_control, publish, wake_message)
