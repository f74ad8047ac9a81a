"""Readers' reports: POST /api/v1/comments/<id>/reports (site key; docs/api.md).

The view reads and validates the request and names the reader; ``moderation.reader_reports``
counts the report under the site's policy (one Lua script). A duplicate is answered like a
counted report (202), with ``"status": "duplicate"``.
"""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from moderation.api.cors import preflight, with_cors
from moderation.api.deps import authenticated_site, request_key_kind, services
from moderation.api.request_body import JSON_TYPE, read_payload
from moderation.problems import Problem, validation_problem
from moderation.store.ratelimit import RateLimit
from moderation.reader_reports import (
    MAX_NOTE_CHARS, MAX_REPORTER_CHARS, REASONS, ReportError, reader_digest, report_comment,
)
from moderation.validation import COMMENT_ID, is_ip_address, text_problem

bp = Blueprint("reports", __name__, url_prefix="/api/v1/comments")


@bp.post("/<comment_id>/reports", provide_automatic_options=False)
def report(comment_id: str):
    site = authenticated_site(allow_public=True)
    if not COMMENT_ID.fullmatch(comment_id):
        raise Problem(404, "Not Found", "No such comment.")
    body = read_payload(request)
    if body.media_type != JSON_TYPE:
        raise Problem(415, "Unsupported Media Type", f"Send {JSON_TYPE}.", headers={"Accept-Post": JSON_TYPE})
    reason, reporter, note, client_ip = _fields(body.payload)
    from_browser = request_key_kind() == "public"
    # The reader: the CMS's id for them, else their IP. Nothing a browser says about itself is
    # believed (any script holding the public key could otherwise be a thousand "readers"); a
    # server (secret key) may name its reader, or pass the reader's IP as client.ip.
    if from_browser:
        reporter, client_ip = "", ""
    ip = client_ip or request.remote_addr or ""
    svc = services()
    reader = reader_digest(svc.tokens.secret(), site.id, reporter=reporter, ip=ip)
    # Flood control by the reader's address: a browser's, or the one a server passed (a server
    # reporting without one is one address for all its readers: not limited here).
    limit = svc.settings.report_rate_limit_window
    try:
        result = report_comment(svc.comments, site.id, comment_id, reason, reader, note=note,
                                request_id=g.get("request_id", ""),
                                reader_ip=ip if (from_browser or client_ip) else "",
                                rate_limit=RateLimit(*limit) if limit else None)
    except ReportError as exc:
        if exc.status == 429:
            raise Problem(429, "Too Many Requests", str(exc), type_slug="rate-limited",
                          headers={"Retry-After": str(exc.retry_after)}, limited_by="ip") from None
        if exc.status == 404:
            raise Problem(404, "Not Found", str(exc)) from None
        raise Problem(409, "Not published", str(exc), type_slug="not-published",
                      **({"current_status": exc.current_status} if exc.current_status else {})) from None
    response = jsonify({"comment": comment_id, "reports": result.reports, "status": result.outcome})
    response.status_code = 202
    return with_cors(response, site) if from_browser else response


@bp.route("/<comment_id>/reports", methods=["OPTIONS"])
def preflight_report(comment_id: str):
    return preflight("POST, OPTIONS")


def _fields(payload: object) -> tuple[str, str, str, str]:
    """reason, reporter, note and client.ip of a report, or a 422 naming every wrong one."""
    if not isinstance(payload, dict):
        raise validation_problem([{"pointer": "", "detail": "the request body must be a JSON object"}],
                                 title="Invalid report")
    errors: list[dict] = []

    def text(source: dict, name: str, pointer: str, max_chars: int, multiline: bool = False) -> str:
        value = source.get(name)
        if value is None or value == "":
            return ""
        problem = "must be a string" if not isinstance(value, str) else (
            text_problem(value, multiline=multiline)
            or (f"is longer than {max_chars} characters" if len(value) > max_chars else None))
        if problem:
            errors.append({"pointer": pointer, "detail": problem})
            return ""
        return value.strip()

    reason = payload.get("reason")
    if reason not in REASONS:
        errors.append({"pointer": "/reason", "detail": f"must be one of {', '.join(REASONS)}"})
    reporter = text(payload, "reporter", "/reporter", MAX_REPORTER_CHARS)
    note = text(payload, "note", "/note", MAX_NOTE_CHARS, multiline=True)
    client = payload.get("client")
    client_ip = ""
    if client is not None and not isinstance(client, dict):
        errors.append({"pointer": "/client", "detail": "must be an object"})
    elif client:
        client_ip = text(client, "ip", "/client/ip", 64)
        if client_ip and not is_ip_address(client_ip):
            errors.append({"pointer": "/client/ip", "detail": "is not an IP address"})
    if errors:
        raise validation_problem(errors, title="Invalid report")
    return reason, reporter, note, client_ip
