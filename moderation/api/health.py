"""Health: GET /livez (the process answers; no I/O) and GET /readyz (what the API depends on).

``/readyz`` is 200 when the API can take comments: Redis and the broker answer.
It names the store's topology (single, cluster, sentinel) and, in ``details``,
what it found (a cluster's primaries and slots, the primary Sentinel names).
Its ``workers`` check says whether comments are being processed (a worker
alive, and taking tasks when comments wait); when they are not, the answer
stays 200 (the API still accepts and stores comments) but ``status`` is
``degraded``, so a load balancer keeps the API in service while monitoring
raises the alarm. A 503 means Redis or the broker is unreachable.
"""
from __future__ import annotations

from flask import Blueprint, jsonify

from moderation import diagnostics
from moderation.api.deps import services
from moderation.problems import Problem

bp = Blueprint("health", __name__)


@bp.get("/livez")
def livez():
    return jsonify({"status": "alive"})


@bp.get("/readyz")
def readyz():
    svc = services()
    redis_check = diagnostics.check_redis(svc.comments.redis, svc.settings.redis_topology)
    checks = [redis_check]
    if svc.settings.broker_is_store:
        checks.append(diagnostics.Check("broker", redis_check.status, "the same Redis as the store"))
    else:
        checks.append(diagnostics.check_broker(svc.settings, svc.broker))
    if redis_check.status == diagnostics.OK:
        checks.append(diagnostics.check_workers(svc.workers, svc.comments, svc.settings.worker_stale_after))
    body = {"topology": svc.settings.redis_topology, "checks": {check.name: check.status for check in checks},
            "details": {check.name: check.detail for check in checks}}
    if any(check.status == diagnostics.FAIL for check in checks[:2]):
        raise Problem(503, "Service Unavailable", "A dependency is unreachable.", type_slug="not-ready",
                      headers={"Retry-After": "2"}, **body)
    degraded = any(check.status != diagnostics.OK for check in checks)
    return jsonify({"status": "degraded" if degraded else "ready", **body})
