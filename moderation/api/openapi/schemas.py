"""The document's ``components/schemas``: every body the API reads or writes (JSON Schema 2020-12).

Shapes follow the views (moderation/api/*.py) field for field; tests/service/test_openapi.py
checks real answers against them and schemathesis checks every operation's answers.
"""
from __future__ import annotations

from moderation.browser_tokens import MAX_AGE, MIN_AGE
from moderation.reader_reports import MAX_NOTE_CHARS, MAX_REPORTER_CHARS, REASONS
from moderation.store.states import ALL_STATES

STATES = sorted(ALL_STATES)
THREAD_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._:~-]{0,199}$"
COMMENT_ID_PATTERN = "^[0-9a-f]{32}$"
OPTIONAL_COMMENT_ID = "^([0-9a-f]{32})?$"  # a cursor: empty is none
SITE_ID_PATTERN = "^[A-Za-z0-9_-]{1,64}$"


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict) -> dict:
    """``schema`` or null (a ``$ref`` cannot take a sibling ``type``, so it goes in ``anyOf``)."""
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    return {**schema, "type": [schema["type"], "null"]}


def obj(properties: dict, required: list[str] | None = None, description: str = "", **extra) -> dict:
    schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    if description:
        schema["description"] = description
    return {**schema, **extra}


STRING = {"type": "string"}
TIME = {"type": "string", "format": "date-time", "description": "UTC, milliseconds: 2026-11-27T06:17:14.619Z"}
NULLABLE_TIME = nullable(TIME)
NULLABLE_STRING = nullable(STRING)
STRING_MAP = {"type": "object", "additionalProperties": {"type": "integer"}}


def _problems() -> dict:
    field_error = obj({"pointer": {"type": "string", "description": "JSON Pointer into the request body "
                                   "(\"\" is the whole body)"}, "detail": STRING}, ["pointer", "detail"])
    parameter_error = obj({"parameter": {"type": "string", "description": "the query parameter"},
                           "detail": STRING}, ["parameter", "detail"])
    problem = obj({
        "type": {"type": "string", "format": "uri-reference",
                 "description": "about:blank for plain HTTP errors, else /problems/<slug> (docs/api.md#errors)"},
        "title": STRING, "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": STRING, "instance": {"type": "string", "description": "the request's path"},
        "errors": {"type": "array", "items": {"anyOf": [ref("FieldError"), ref("ParameterError")]}},
        "limited_by": {"enum": ["ip", "email", "site", None], "description": "429: which flood control refused"},
        "current_status": {"enum": STATES, "description": "409: the comment's state"},
    }, ["type", "title", "status", "instance"],
        "RFC 9457 problem details (application/problem+json): every error the API answers.")
    not_ready = {"allOf": [ref("Problem"), obj({"topology": STRING, "checks": ref("ReadinessChecks"),
                                                 "details": {"type": "object"}}, ["topology", "checks", "details"])],
                 "description": "/readyz: Redis or the broker is unreachable (type /problems/not-ready)."}
    return {"Problem": problem, "FieldError": field_error, "ParameterError": parameter_error,
            "NotReadyProblem": not_ready}


def _comment_submission() -> dict:
    text = {"type": "string"}
    return obj({
        "thread": {"type": "string", "pattern": THREAD_PATTERN, "description": "the page's thread id"},
        "thread_url": {"type": "string", "maxLength": 2048, "description": "http(s) URL of the page"},
        "thread_title": {"type": "string", "maxLength": 300},
        "parent": nullable({"type": "string", "description": "id of a comment of the same thread"}),
        "author": obj({"name": {"type": "string", "minLength": 1, "maxLength": 100,
                                "description": "plain text, never HTML"},
                       "email": {"type": "string", "maxLength": 254}}, ["name"]),
        "body": {"type": "string", "minLength": 1, "description": "at most MODERATION_MAX_COMMENT_CHARS (20000)"},
        "format": {"type": "string", "description": "a format id of GET /api/v1/formats (default: the site's)"},
        "client": obj({"ip": {"type": "string", "description": "the reader's IP (ignored from a public key)"},
                       "user_agent": {"type": "string", "maxLength": 512},
                       "referrer": {"type": "string", "maxLength": 2048}}),
        "form_token": {**text, "description": "public key only: from GET /api/v1/form-token"},
        "website": {**text, "description": "public key only: the honeypot field, left empty"},
    }, ["thread", "author", "body"], "A comment as a site (or a reader's browser) submits it. Unknown fields "
       "are ignored; strings may hold no control or bidirectional formatting characters (docs/api.md).")


def _comment_form() -> dict:
    fields = ["thread", "thread_url", "thread_title", "parent", "author_name", "author_email", "body", "format",
              "client_ip", "client_user_agent", "client_referrer", "form_token", "website"]
    return obj({name: STRING for name in fields}, ["thread", "author_name", "body"],
               "The same fields flat, as a plain HTML form posts them; a field given twice is a 400.")


def _public_comments() -> dict:
    author = obj({"name": {"type": "string", "description": "plain text as typed: insert as text"},
                  "name_html": {"type": "string", "description": "the name HTML-escaped"}}, ["name", "name_html"])
    accepted = obj({"id": STRING, "status": {"const": "queued"}, "url": {"type": "string", "format": "uri"},
                    "status_token": {**STRING, "description": "public key only: shows the reader their comment"},
                    "status_url": {"type": "string", "format": "uri"}}, ["id", "status", "url"])
    decision = obj({"status": {"enum": STATES}, "reasons": {"type": "array", "items": ref("Finding")},
                    "policy_version": STRING, "format_version": STRING, "decided_at": NULLABLE_TIME},
                   ["status", "reasons", "policy_version", "format_version", "decided_at"])
    status = obj({
        "id": STRING, "status": {"enum": STATES}, "thread": STRING, "parent": NULLABLE_STRING, "author": ref("Author"),
        "format": STRING, "request_id": NULLABLE_STRING, "created_at": TIME, "updated_at": TIME,
        "attempts": {"type": "integer"}, "url": {"type": "string", "format": "uri"},
        "html": {**STRING, "description": "only once approved"}, "decision": ref("Decision"),
        "failure": {**STRING, "description": "why it failed (status failed)"},
    }, ["id", "status", "thread", "parent", "author", "format", "request_id", "created_at", "updated_at",
        "attempts", "url"], "One comment as its site sees it (GET /api/v1/comments/{id}).")
    own = obj({"id": STRING, "status": {"enum": ["awaiting_moderation", "published", "not_published"]},
               "state": {"enum": STATES}, "thread": STRING, "parent": NULLABLE_STRING, "author": ref("Author"),
               "html": NULLABLE_STRING, "created_at": TIME},
              ["id", "status", "state", "thread", "parent", "author", "html", "created_at"],
              "A reader's own comment, shown with its status token.")
    public = obj({"id": STRING, "parent": NULLABLE_STRING, "author": ref("Author"),
                  "html": {**STRING, "description": "sanitized HTML, safe to insert"}, "created_at": TIME},
                 ["id", "parent", "author", "html", "created_at"], "An approved comment as anyone may see it.")
    page = obj({"thread": STRING, "site": STRING, "count": {"type": "integer", "minimum": 0},
                "closed": {"type": "boolean"}, "comments": {"type": "array", "items": ref("PublicComment")},
                "next_cursor": NULLABLE_STRING, "next": nullable({"type": "string", "format": "uri"})},
               ["thread", "site", "count", "closed", "comments", "next_cursor", "next"])
    return {"CommentSubmission": _comment_submission(), "CommentForm": _comment_form(), "Author": author,
            "CommentAccepted": accepted, "Decision": decision, "CommentStatus": status, "OwnCommentStatus": own,
            "PublicComment": public, "ThreadPage": page}


def _findings() -> dict:
    evidence = obj({"text": STRING, "start": {"type": "integer"}, "end": {"type": "integer"}, "note": STRING},
                   ["text", "start", "end"])
    finding = obj({"rule": STRING, "outcome": {"enum": ["approved", "pending", "rejected", "spam"]},
                   "code": STRING, "detail": STRING, "evidence": {"type": "array", "items": ref("Evidence")}},
                  ["rule", "outcome", "code", "detail"], "One rule's finding (docs/moderation.md lists the codes).")
    return {"Evidence": evidence, "Finding": finding}


def _reports_formats_tokens() -> dict:
    report = obj({"reason": {"enum": list(REASONS)}, "reporter": {"type": "string", "maxLength": MAX_REPORTER_CHARS},
                  "note": {"type": "string", "maxLength": MAX_NOTE_CHARS},
                  "client": obj({"ip": {**STRING, "description": "secret key only: the reader's IP"}})},
                 ["reason"], "A reader's report of a published comment.")
    counted = obj({"comment": STRING, "reports": {"type": "integer", "minimum": 0},
                   "status": {"enum": ["counted", "duplicate"]}}, ["comment", "reports", "status"])
    text_format = obj({"id": STRING, "name": STRING, "tips": {"type": "array", "items": STRING}, "version": STRING},
                      ["id", "name", "tips", "version"])
    formats = obj({"formats": {"type": "array", "items": ref("TextFormat")}, "default": STRING},
                  ["formats", "default"])
    token = obj({"form_token": STRING, "usable_after_seconds": {"const": MIN_AGE},
                 "expires_in_seconds": {"const": MAX_AGE}},
                ["form_token", "usable_after_seconds", "expires_in_seconds"])
    return {"ReaderReport": report, "ReportCounted": counted, "TextFormat": text_format, "Formats": formats,
            "FormToken": token}


def _health() -> dict:
    check = {"enum": ["ok", "warn", "fail"]}
    checks = {"type": "object", "additionalProperties": check, "description": "redis, broker, workers"}
    ready = obj({"status": {"enum": ["ready", "degraded"]}, "topology": {"enum": ["single", "cluster", "sentinel"]},
                 "checks": ref("ReadinessChecks"), "details": {"type": "object"}},
                ["status", "topology", "checks", "details"])
    return {"Liveness": obj({"status": {"const": "alive"}}, ["status"]), "ReadinessChecks": checks, "Readiness": ready}


def schemas() -> dict:
    from moderation.api.openapi.admin_schemas import admin_schemas

    return {**_problems(), **_public_comments(), **_findings(), **_reports_formats_tokens(), **_health(),
            **admin_schemas()}

