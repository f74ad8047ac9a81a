"""The intake benchmark's baselines: the least a Flask intake endpoint can do, on the same server.

    python -m gunicorn --config config/gunicorn.conf.py 'bench.baseline_app:create_app()'

Run under the API's own gunicorn settings (worker class, worker count,
keep-alive), so the difference from POST /api/v1/comments is the API's own work:

- ``POST /minimal``: authenticate with one Redis GET (``bench:auth:<sha256 of the
  bearer token>`` holds the site id; bench/intake.py sets it), read the JSON body,
  write the comment with one HSET + LPUSH in one pipeline (no transaction), answer
  202 with a small JSON body;
- ``POST /minimal-publish``: the same plus the Celery publish of the render task,
  made as ``send_task`` makes it: one render task per comment, as the API published them before it
  woke batches instead.

No validation, rate limit, idempotency, request id, metrics or access log: those
are what the ratio against the real endpoint measures.
"""
from __future__ import annotations

import hashlib
import time
import uuid

from flask import Flask, jsonify, request

from moderation.settings import Settings
from moderation.store import connect_redis
from workers.celery_app import RENDER_COMMENT_TASK, make_celery

AUTH_PREFIX = "bench:auth:"
COMMENT_PREFIX = "bench:comment:"
QUEUE_KEY = "bench:queue"


def auth_key(api_key: str) -> str:
    """Where the baseline looks up the site id of an API key (set up by the benchmark)."""
    return AUTH_PREFIX + hashlib.sha256(api_key.encode()).hexdigest()


def create_app() -> Flask:
    """The baseline app; like the API's factory, it runs in each worker after the fork."""
    settings = Settings.from_env()
    client = connect_redis(settings.redis_url, settings.redis_socket_timeout)  # the API's client setup
    celery = make_celery(settings)
    app = Flask(__name__)

    def store_comment() -> tuple[str, str] | None:
        """Authenticate (one GET) and store the comment (one pipeline); None if the key is wrong."""
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        site_id = client.get(auth_key(token.strip())) if scheme.lower() == "bearer" else None
        if not site_id:
            return None
        payload = request.get_json()
        comment_id = uuid.uuid4().hex
        pipe = client.pipeline(transaction=False)
        pipe.hset(COMMENT_PREFIX + comment_id, mapping={
            "site_id": site_id, "thread": payload.get("thread", ""), "body": payload.get("body", ""),
            "format": payload.get("format", ""), "author_name": (payload.get("author") or {}).get("name", ""),
            "status": "queued", "created_at": f"{time.time():.6f}",
        })
        pipe.lpush(QUEUE_KEY, comment_id)
        pipe.execute()
        return comment_id, site_id

    @app.post("/minimal")
    def minimal():
        stored = store_comment()
        if stored is None:
            return jsonify(error="unauthorized"), 401
        return jsonify(id=stored[0], status="queued"), 202

    @app.post("/minimal-publish")
    def minimal_publish():
        stored = store_comment()
        if stored is None:
            return jsonify(error="unauthorized"), 401
        comment_id, site_id = stored
        celery.send_task(RENDER_COMMENT_TASK, args=[comment_id],
                         kwargs={"site_id": site_id, "request_id": uuid.uuid4().hex})
        return jsonify(id=comment_id, status="queued"), 202

    @app.get("/livez")
    def livez():
        return "ok"

    return app
