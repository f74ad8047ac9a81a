"""Paths a site's servers and its readers' browsers call, health and metrics, and these docs."""
from __future__ import annotations

from moderation.api.openapi.parts import (
    COMMENT_ID, JSON, LIMIT, NONE, ORIGIN, SECRET_KEY, SITE_KEYS, header_parameter, json_body, json_response,
    operation, path_parameter, preflight, problem, problems, query_parameter,
)
from moderation.api.openapi.schemas import OPTIONAL_COMMENT_ID, THREAD_PATTERN, ref

FORM = "application/x-www-form-urlencoded"
COMMENTS = "Comments"
READERS = "Readers' browsers"
OPERATIONS = "Operations"
IDEMPOTENCY_KEY = header_parameter(
    "Idempotency-Key", "1-255 printable ASCII characters: a retry with the same key and body gets the first "
    "answer again (Idempotent-Replayed: true); a different body is a 422, a retry while the first runs a 409.",
    {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e][\\x20-\\x7e]*$"})


def _post_comment() -> dict:
    body = {"required": True, "content": {JSON: {"schema": ref("CommentSubmission")},
                                          FORM: {"schema": ref("CommentForm")}}}
    responses = {
        "202": json_response("Stored: it will reach a final state. From a public key, also the reader's "
                             "status_token and status_url.", "CommentAccepted", "Location", "Idempotent-Replayed"),
        **problems(400, 401, 403, 409, 413, 415, 422, 429,
                   s409="/problems/thread-closed (the policy closed the thread), /problems/idempotency-in-progress "
                        "(a retry while the first request with that key runs; Retry-After).",
                   s422="/problems/validation-error (a pointer per wrong field; /form_token, /website from a "
                        "browser), /problems/idempotency-key-reused."),
        "503": problem(503, "/problems/store-unavailable, or /problems/not-replicated (stored, not yet on enough "
                            "replicas: retry with the same Idempotency-Key)."),
    }
    return operation("createComment", "Submit a comment", responses, tag=COMMENTS, security=SITE_KEYS, body=body,
                     parameters=[IDEMPOTENCY_KEY, ORIGIN],
                     description="JSON, or the same fields flat as a form. From a public key (a reader's browser): "
                                 "a form token at least 2 s old, the honeypot `website` empty; the client's IP, "
                                 "user agent and referrer are taken from the request.")


def _comments() -> dict:
    status = operation("showComment", "Status of one comment", {
        "200": json_response("The comment, its decision once decided and its HTML once approved.", "CommentStatus"),
        **problems(401, 403, 404, 503)}, tag=COMMENTS, security=SECRET_KEY, parameters=[COMMENT_ID, ORIGIN])
    own = operation("showOwnComment", "A reader's own comment, with its status token", {
        "200": json_response("The comment as its author may see it while it waits (any origin may read it).",
                             "OwnCommentStatus", "Access-Control-Allow-Origin"),
        **problems(404, 503, s404="No such comment, or not its status token.")}, tag=READERS, security=NONE,
        parameters=[COMMENT_ID, query_parameter("token", "The status_token of the comment's 202.",
                                                {"type": "string"})])
    report = operation("reportComment", "A reader's report of a published comment", {
        "202": json_response("Counted (or a duplicate of this reader's earlier report: nothing changes).",
                             "ReportCounted"),
        **problems(400, 401, 403, 404, 409, 413, 415, 422, 429, 503,
                   s409="/problems/not-published: the comment is not published (current_status says its state).",
                   s429="/problems/rate-limited: MODERATION_REPORT_RATE_LIMIT reports from this reader's address "
                        "(limited_by ip); Retry-After says when to try again.")},
        tag=COMMENTS, security=SITE_KEYS, parameters=[COMMENT_ID, ORIGIN], body=json_body("ReaderReport"))
    return {
        "/api/v1/comments": {"post": _post_comment(), "options": preflight("preflightComments", "POST", READERS)},
        "/api/v1/comments/{comment_id}": {"get": status},
        "/api/v1/comments/{comment_id}/status": {
            "get": own, "options": preflight("preflightOwnComment", "GET", READERS, COMMENT_ID)},
        "/api/v1/comments/{comment_id}/reports": {
            "post": report, "options": preflight("preflightReports", "POST", READERS, COMMENT_ID)},
    }


def _threads_formats_tokens() -> dict:
    thread = path_parameter("thread", "The thread's id.", THREAD_PATTERN)
    listing = operation("listThreadComments", "A thread's approved comments", {
        "200": json_response("A page of approved comments, in posting order (replies name their parent).",
                             "ThreadPage", "Access-Control-Allow-Origin"),
        **problems(400, 401, 403, 404, 503, s404="No such thread, or no site named (?site= or a key).")},
        tag=READERS, security=[{}, *SITE_KEYS], parameters=[
            thread,
            query_parameter("site", "The site's id (browsers: no key in the page), when no key is sent.",
                            {"type": "string"}),
            query_parameter("limit", "Page size.", LIMIT),
            query_parameter("cursor", "The next_cursor of the previous page (empty: the first page).",
                            {"type": "string", "pattern": OPTIONAL_COMMENT_ID}), ORIGIN])
    formats = operation("listFormats", "Text formats", {
        "200": json_response("Each format's id, name, help lines and version, and the default.", "Formats",
                             "Access-Control-Allow-Origin")}, tag=READERS, security=NONE)
    token = operation("formToken", "A form token for a reader's comment form", {
        "200": json_response("Post with it after usable_after_seconds, within expires_in_seconds; once.", "FormToken"),
        **problems(401, 403, 503)}, tag=READERS, security=SITE_KEYS, parameters=[ORIGIN])
    return {
        "/api/v1/threads/{thread}/comments": {
            "get": listing, "options": preflight("preflightThreadComments", "GET", READERS, thread)},
        "/api/v1/formats": {"get": formats, "options": preflight("preflightFormats", "GET", READERS)},
        "/api/v1/form-token": {"get": token, "options": preflight("preflightFormToken", "GET", READERS)},
    }


def _operations() -> dict:
    live = operation("livez", "Liveness (no I/O)", {"200": json_response("The process answers.", "Liveness")},
                     tag=OPERATIONS, security=NONE)
    ready = operation("readyz", "Readiness", {
        "200": json_response("Redis and the broker answer (status degraded: no worker is taking comments).",
                             "Readiness"),
        "503": problem(503, "/problems/not-ready: Redis or the broker is unreachable.", "NotReadyProblem")},
        tag=OPERATIONS, security=NONE)
    metrics = operation("metrics", "Prometheus metrics", {
        "200": {"description": "Prometheus exposition text.",
                "content": {"text/plain": {"schema": {"type": "string"}}}},
        **problems(401, s401="MODERATION_METRICS_TOKEN is set and was not sent.")},
        tag=OPERATIONS, security=[{}, {"metricsToken": []}])
    return {"/livez": {"get": live}, "/readyz": {"get": ready}, "/metrics": {"get": metrics}}


def _docs() -> dict:
    def page(operation_id: str, summary: str, media_type: str, schema: dict) -> dict:
        return operation(operation_id, summary, {"200": {"description": summary, "content": {
            media_type: {"schema": schema}}}}, tag="Documentation", security=NONE)

    return {
        "/api/v1/openapi.json": {"get": page("openapi", "This document (OpenAPI 3.1)", JSON, {"type": "object"})},
        "/api/docs": {"get": page("apiDocs", "This document as a page", "text/html", {"type": "string"})},
        "/api/docs.css": {"get": page("apiDocsStylesheet", "The page's stylesheet", "text/css", {"type": "string"})},
    }


def public_paths() -> dict:
    return {**_comments(), **_threads_formats_tokens(), **_operations(), **_docs()}
