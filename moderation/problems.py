"""One error shape for the whole API: RFC 9457 problem details, one handler.

Every error leaves as ``application/problem+json``::

    {"type": "/problems/validation-error", "title": "Invalid comment", "status": 422,
     "detail": "2 fields are invalid", "errors": [{"pointer": "/author/email", "detail": "…"}]}

``type`` is ``about:blank`` for plain HTTP errors (404, 405, 413, …) and a
relative URI under ``/problems/`` (documented in docs/api.md) for ours.
Redis being unreachable is a 503 with ``Retry-After``, never a 500.
"""
from __future__ import annotations

import logging

from flask import Flask, Response, json, request
from kombu.exceptions import OperationalError as BrokerUnavailable
from werkzeug.exceptions import HTTPException

from moderation import metrics
from moderation.store.connection import UNAVAILABLE_ERRORS

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/problem+json"


class Problem(Exception):
    """An API error with everything needed to render it."""

    def __init__(self, status: int, title: str, detail: str = "", *, type_slug: str | None = None,
                 errors: list[dict] | None = None, headers: dict[str, str] | None = None, **extra):
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = f"/problems/{type_slug}" if type_slug else "about:blank"
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra

    def to_dict(self) -> dict:
        body = {"type": self.type, "title": self.title, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        body["instance"] = request.path if request else None
        if self.errors is not None:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


def validation_problem(errors: list[dict], title: str = "Invalid comment") -> Problem:
    count = len(errors)
    return Problem(422, title, f"{count} field{'s' if count != 1 else ''} invalid",
                   type_slug="validation-error", errors=errors)


def _as_problem(error: Exception) -> Problem:
    if isinstance(error, Problem):
        return error
    if isinstance(error, HTTPException):
        headers = {}
        if error.code == 405 and getattr(error, "valid_methods", None):
            headers["Allow"] = ", ".join(error.valid_methods)
        return Problem(error.code or 500, error.name, error.description or "", headers=headers)
    if isinstance(error, (*UNAVAILABLE_ERRORS, BrokerUnavailable)):
        log.warning("storage unavailable: %s", error)
        metrics.REDIS_ERRORS.labels("broker" if isinstance(error, BrokerUnavailable) else "store").inc()
        return Problem(503, "Service Unavailable", "The comment store is unreachable; retry shortly.",
                       type_slug="store-unavailable", headers={"Retry-After": "2"})
    log.exception("unhandled error", exc_info=error)
    return Problem(500, "Internal Server Error", "An unexpected error occurred.")


def problem_response(problem: Problem) -> Response:
    response = Response(json.dumps(problem.to_dict()), status=problem.status, mimetype=MEDIA_TYPE)
    for name, value in problem.headers.items():
        response.headers[name] = value
    return response


def handle_error(error: Exception) -> Response:
    """The one handler: every exception becomes a problem+json response."""
    return problem_response(_as_problem(error))


def init_app(app: Flask) -> None:
    app.register_error_handler(Exception, handle_error)
