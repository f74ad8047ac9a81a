"""Health: GET /livez (the process answers; no I/O) and GET /readyz (Redis and broker reachable)."""
from __future__ import annotations

import redis
from flask import Blueprint, jsonify
from kombu import Connection

from moderation.api.deps import services
from moderation.problems import Problem

bp = Blueprint("health", __name__)


@bp.get("/livez")
def livez():
    return jsonify({"status": "alive"})


@bp.get("/readyz")
def readyz():
    svc = services()
    checks = {"redis": _check(lambda: svc.comments.redis.ping())}
    broker_url = svc.settings.effective_broker_url
    if broker_url == svc.settings.redis_url:
        checks["broker"] = checks["redis"]
    else:
        checks["broker"] = _check(lambda: _ping_broker(broker_url, svc.settings.redis_socket_timeout))
    if all(result == "ok" for result in checks.values()):
        return jsonify({"status": "ready", "checks": checks})
    raise Problem(503, "Service Unavailable", "A dependency is unreachable.", type_slug="not-ready",
                  headers={"Retry-After": "2"}, checks=checks)


def _check(probe) -> str:
    try:
        probe()
    except Exception as exc:  # any failure means "not ready"; the name is enough for a probe
        return f"error: {type(exc).__name__}"
    return "ok"


def _ping_broker(url: str, timeout: float) -> None:
    if url.startswith(("redis://", "rediss://", "unix://")):
        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        try:
            client.ping()
        finally:
            client.close()
        return
    with Connection(url, connect_timeout=timeout) as connection:
        connection.ensure_connection(max_retries=1)
