"""What every request gets, whatever its view: a request id, safe headers, a metric and a log line.

- ``X-Request-Id``: the client's (when sane) or a new one, in the response, in
  every log line of the request (:mod:`moderation.logs`), passed on to the
  worker with the comment and written into its audit events;
- ``X-Content-Type-Options: nosniff`` on every response; ``Cache-Control:
  no-store`` on every answer to a request that carried an API key (a shared
  cache must never keep what one site's key was allowed to read);
- ``moderation_http_requests_total`` / ``..._duration_seconds`` and, for the
  intake, ``moderation_intake_total`` by outcome (:mod:`moderation.metrics`);
- CORS on every answer to a request authenticated with a public site key, errors included;
- one access log line (``MODERATION_ACCESS_LOG``).
"""
from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

from moderation import metrics
from moderation.api.cors import with_cors
from moderation.logs import current_request_id, request_id_from

log = logging.getLogger("moderation.access")

# Intake outcomes by status, when the view did not name one (errors raised before it could).
INTAKE_OUTCOMES = {202: "accepted", 400: "malformed", 401: "unauthorized", 403: "forbidden",
                   404: "not_found", 409: "in_progress", 413: "too_large", 415: "unsupported_media_type",
                   422: "invalid", 429: "rate_limited", 503: "unavailable"}
INTAKE_ENDPOINT = "comments.create_comment"


def init_app(app: Flask) -> None:
    access_log = app.extensions["moderation"].settings.access_log

    @app.before_request
    def start_request() -> None:
        g.started_at = time.perf_counter()
        g.request_id = request_id_from(request.headers.get("X-Request-Id"))
        g.request_id_token = current_request_id.set(g.request_id)

    @app.after_request
    def finish_request(response: Response) -> Response:
        response.headers["X-Request-Id"] = g.get("request_id", "")
        response.headers["X-Content-Type-Options"] = "nosniff"
        if "Authorization" in request.headers:
            response.headers["Cache-Control"] = "no-store"
        public_site = g.get("public_site")
        if public_site is not None and "Access-Control-Allow-Origin" not in response.headers:
            with_cors(response, public_site)  # a 422 or 429 to a reader's page: let it read why
        endpoint = request.endpoint or "unmatched"
        duration = time.perf_counter() - g.get("started_at", time.perf_counter())
        metrics.HTTP_REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
        metrics.HTTP_DURATION.labels(endpoint).observe(duration)
        if endpoint == INTAKE_ENDPOINT:
            outcome = g.get("intake_outcome") or INTAKE_OUTCOMES.get(response.status_code, "error")
            metrics.INTAKE.labels(outcome, str(response.status_code)).inc()
        if access_log:
            log.info("%s %s %s", request.method, request.path, response.status_code,
                     extra={"method": request.method, "path": request.path, "status": response.status_code,
                            "duration_ms": round(duration * 1000, 2), "remote_addr": request.remote_addr,
                            "endpoint": endpoint})
        return response

    @app.teardown_request
    def end_request(_error: BaseException | None) -> None:
        token = g.pop("request_id_token", None)
        if token is not None:
            current_request_id.reset(token)
