"""GET /metrics: Prometheus exposition text (see :mod:`moderation.metrics`).

With MODERATION_METRICS_TOKEN set, a scrape must send it as a Bearer token.
"""
from __future__ import annotations

import hmac

from flask import Blueprint, Response, request
from prometheus_client import CONTENT_TYPE_LATEST

from moderation.api.deps import bearer_token, services
from moderation.metrics import metrics_page
from moderation.problems import Problem

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics():
    svc = services()
    expected = svc.settings.metrics_token
    if expected and not hmac.compare_digest((bearer_token() or "").encode(), expected.encode()):
        raise Problem(401, "Unauthorized", "Send the metrics token as 'Authorization: Bearer <token>'.",
                      headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    return Response(metrics_page(svc.store_collector), content_type=CONTENT_TYPE_LATEST,
                    headers={"Cache-Control": "no-store"})
