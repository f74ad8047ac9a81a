"""Building blocks of the document's operations: responses, problems, parameters, bodies, security.

Every error is a ``Problem`` (application/problem+json); :func:`problems` says which statuses an
operation can answer with and why, so each operation lists exactly the errors its code raises.
"""
from __future__ import annotations

from moderation.api.cors import ALLOWED_HEADERS
from moderation.api.openapi.schemas import COMMENT_ID_PATTERN, SITE_ID_PATTERN, ref

JSON = "application/json"
PROBLEM = "application/problem+json"

# What each error status means, by default (an operation may say more).
ERRORS = {
    400: "Malformed request: /problems/malformed-json, /problems/malformed-body, /problems/bad-query-parameter "
         "or /problems/bad-idempotency-key.",
    401: "No valid credentials (WWW-Authenticate: Bearer).",
    403: "/problems/origin-not-allowed (a browser Origin the site does not allow, a public key without an "
         "Origin), /problems/secret-key-required (a public key where the secret one is needed).",
    404: "Not found.",
    409: "Conflict.",
    413: "The body is over MODERATION_MAX_BODY_BYTES (64 KiB), however it is framed.",
    415: "Not application/json (or form-encoded where accepted), or a charset other than UTF-8.",
    422: "/problems/validation-error: one error per wrong field, each with its JSON Pointer.",
    429: "/problems/rate-limited: flood control; limited_by says which limit, Retry-After when to retry.",
    503: "/problems/store-unavailable: Redis is unreachable; retry after Retry-After.",
}
ADMIN_403 = ("With a dashboard session: /problems/csrf (a state change without X-CSRF-Token), "
             "/problems/forbidden-role (needs the admin role), /problems/forbidden-site.")
HEADERS = {
    "Location": {"description": "The comment's status URL.", "schema": {"type": "string", "format": "uri"}},
    "Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "string"}},
    "WWW-Authenticate": {"description": "Bearer challenge.", "schema": {"type": "string"}},
    "Idempotent-Replayed": {"description": "true when this is the stored answer to an earlier request with the "
                            "same Idempotency-Key.", "schema": {"type": "string"}},
    "Access-Control-Allow-Origin": {"description": "CORS: the request's Origin when the site allows it (or *).",
                                    "schema": {"type": "string"}},
}
RESPONSE_HEADERS = {401: ["WWW-Authenticate"], 429: ["Retry-After"], 503: ["Retry-After"]}


def header_refs(*names: str) -> dict:
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}


def problem(status: int, description: str | None = None, schema: str = "Problem") -> dict:
    response = {"description": description or ERRORS[status], "content": {PROBLEM: {"schema": ref(schema)}}}
    if status in RESPONSE_HEADERS:
        response["headers"] = header_refs(*RESPONSE_HEADERS[status])
    return response


def problems(*statuses: int, **descriptions: str) -> dict:
    """Problem responses by status; ``descriptions`` override by ``s<status>`` (``s409="..."``)."""
    return {str(status): problem(status, descriptions.get(f"s{status}")) for status in statuses}


def json_response(description: str, schema: str, *headers: str, media_type: str = JSON) -> dict:
    response = {"description": description, "content": {media_type: {"schema": ref(schema)}}}
    if headers:
        response["headers"] = header_refs(*headers)
    return response


def no_content(description: str) -> dict:
    return {"description": description}


def json_body(schema: str, required: bool = True, description: str = "") -> dict:
    body = {"required": required, "content": {JSON: {"schema": ref(schema)}}}
    if description:
        body["description"] = description
    return body


def path_parameter(name: str, description: str, pattern: str | None = None) -> dict:
    schema = {"type": "string", "minLength": 1}
    if pattern:
        schema["pattern"] = pattern
    return {"name": name, "in": "path", "required": True, "description": description, "schema": schema}


def query_parameter(name: str, description: str, schema: dict, required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


def header_parameter(name: str, description: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "header", "required": False, "description": description,
            "schema": schema or {"type": "string"}}


SITE_ID = path_parameter("site_id", "The site's id.", SITE_ID_PATTERN)
COMMENT_ID = path_parameter("comment_id", "The comment's id (32 hex digits).", COMMENT_ID_PATTERN)
ORIGIN = header_parameter("Origin", "Sent by browsers. With the public key it must be one of the site's origins; "
                          "with any key, an Origin the site does not allow is a 403.")
LIMIT = {"type": "integer", "minimum": 1, "maximum": 100, "default": 50}

SECURITY_SCHEMES = {
    "siteSecretKey": {"type": "http", "scheme": "bearer", "bearerFormat": "mk_…",
                      "description": "A site's secret key, for the site's servers: every site endpoint."},
    "sitePublicKey": {"type": "http", "scheme": "bearer", "bearerFormat": "pk_…",
                      "description": "A site's public key, for readers' browsers: only with an Origin the site allows, "
                                     "and only where an operation lists it."},
    "adminToken": {"type": "http", "scheme": "bearer", "description": "MODERATION_ADMIN_TOKEN(_SHA256): admin on "
                   "every site. Optional X-Moderator: <name> is recorded with each action (admin-token:<name>)."},
    "dashboardSession": {"type": "apiKey", "in": "cookie", "name": "mod_session",
                         "description": "A dashboard session (POST /admin/login), used without Authorization. State "
                                        "changes also need the session's CSRF token in X-CSRF-Token; the account's "
                                        "role and sites apply."},
    "metricsToken": {"type": "http", "scheme": "bearer", "description": "MODERATION_METRICS_TOKEN, when set."},
}
SITE_KEYS = [{"siteSecretKey": []}, {"sitePublicKey": []}]
SECRET_KEY = [{"siteSecretKey": []}]
ADMIN = [{"adminToken": []}, {"dashboardSession": []}]
NONE: list = []


def operation(operation_id: str, summary: str, responses: dict, *, tag: str, security: list | None = None,
              description: str = "", parameters: list | None = None, body: dict | None = None) -> dict:
    found = {"operationId": operation_id, "summary": summary, "tags": [tag]}
    if description:
        found["description"] = description
    if security is not None:
        found["security"] = security
    if parameters:
        found["parameters"] = parameters
    if body:
        found["requestBody"] = body
    found["responses"] = responses
    return found


def preflight(operation_id: str, methods: str, tag: str, *path_parameters: dict) -> dict:
    """A CORS preflight: answered for any origin (it carries no key); the real request is checked."""
    cors = {"Access-Control-Allow-Methods": {"description": methods + ", OPTIONS", "schema": {"type": "string"}},
            "Access-Control-Allow-Headers": {"description": ALLOWED_HEADERS, "schema": {"type": "string"}}}
    response = {"description": f"Allowed: {methods} (with an Origin header: the CORS headers).",
                "headers": {**header_refs("Access-Control-Allow-Origin"), **cors}}
    # Any path value gets the same answer: the preflight reads nothing.
    loose = [{**parameter, "schema": {"type": "string", "minLength": 1}} for parameter in path_parameters]
    return operation(operation_id, "CORS preflight", {"204": response}, tag=tag, security=NONE,
                     parameters=[*loose, header_parameter("Origin", "The page's origin."),
                                 header_parameter("Access-Control-Request-Method", "The method to come.")])
