"""Read an intake request body (JSON or form-encoded) into the JSON payload shape.

Byte-level checks come first so nothing downstream sees invalid text:
415 for other media types or charsets, 413 over the size limit whatever the
framing (Content-Length or chunked), 422 for bytes that are not UTF-8, 400 for
malformed JSON.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import parse_qsl

from flask import Request
from werkzeug.exceptions import RequestEntityTooLarge

from moderation.problems import Problem, validation_problem
from moderation.validation import DuplicateField, nest_form_fields

JSON_TYPE = "application/json"
FORM_TYPE = "application/x-www-form-urlencoded"
MAX_FORM_FIELDS = 100


@dataclass(frozen=True)
class RequestPayload:
    payload: object
    raw: bytes
    media_type: str


def read_payload(request: Request) -> RequestPayload:
    media_type = request.mimetype
    is_json = media_type == JSON_TYPE or (media_type.startswith("application/") and media_type.endswith("+json"))
    if not is_json and media_type != FORM_TYPE:
        raise Problem(415, "Unsupported Media Type",
                      f"Send {JSON_TYPE} or {FORM_TYPE}, not {media_type or 'no Content-Type'}.",
                      headers={"Accept-Post": f"{JSON_TYPE}, {FORM_TYPE}"})
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise Problem(415, "Unsupported Media Type", f"Only UTF-8 is accepted, not {charset!r}.")
    raw = read_body(request)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise validation_problem([{"pointer": "", "detail": f"the request body is not valid UTF-8 (byte {exc.start})"}]) from None
    if is_json:
        return RequestPayload(_parse_json(text), raw, JSON_TYPE)
    try:
        pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict",
                          max_num_fields=MAX_FORM_FIELDS)
    except UnicodeDecodeError as exc:
        raise validation_problem([{"pointer": "", "detail": f"a form field is not valid UTF-8 once decoded ({exc.reason})"}]) from None
    except ValueError as exc:
        raise Problem(400, "Bad Request", f"Malformed form body: {exc}", type_slug="malformed-body") from None
    try:
        return RequestPayload(nest_form_fields(pairs), raw, FORM_TYPE)
    except DuplicateField as exc:
        raise Problem(400, "Bad Request", f"Malformed form body: field {exc.args[0]!r} is given more than once.",
                      type_slug="malformed-body") from None


def read_body(request: Request) -> bytes:
    """The whole body, or 413 past ``MAX_CONTENT_LENGTH`` however it is framed.

    With a Content-Length, werkzeug refuses an oversized body before reading it.
    A chunked body has no length: werkzeug then reads up to the limit and stops,
    which silently truncates a longer one. So we read one byte past the limit
    from the server's (de-chunked) stream and refuse if it is there.
    """
    if request.content_length is not None or "wsgi.input_terminated" not in request.environ:
        return request.get_data(cache=True)  # raises 413 past MAX_CONTENT_LENGTH
    limit = request.max_content_length
    stream = request.environ["wsgi.input"]
    body = bytearray()
    while limit is None or len(body) <= limit:
        chunk = stream.read(65536 if limit is None else limit + 1 - len(body))
        if not chunk:
            return bytes(body)
        body += chunk
    raise RequestEntityTooLarge()


def _parse_json(text: str) -> object:
    """Standard JSON only: no NaN/Infinity, no member name twice in one object.

    strict=False admits raw control characters inside strings, so a raw NUL is
    reported as a 422 field error (like "\\u0000") rather than as malformed JSON.
    """
    try:
        return json.loads(text, strict=False, object_pairs_hook=_object_without_duplicates,
                          parse_constant=_refuse_constant)
    except DuplicateField as exc:
        raise Problem(400, "Bad Request", f"Malformed JSON: member {exc.args[0]!r} appears twice in one object.",
                      type_slug="malformed-json") from None
    except _NonStandardNumber as exc:
        raise Problem(400, "Bad Request", f"Malformed JSON: {exc.args[0]} is not a JSON number.",
                      type_slug="malformed-json") from None
    except json.JSONDecodeError as exc:
        raise Problem(400, "Bad Request", f"Malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}.",
                      type_slug="malformed-json") from None
    except (ValueError, RecursionError) as exc:  # huge integers, absurd nesting
        raise Problem(400, "Bad Request", f"Malformed JSON: {type(exc).__name__}.",
                      type_slug="malformed-json") from None


class _NonStandardNumber(ValueError):
    """NaN, Infinity or -Infinity: Python's json accepts them, JSON does not."""


def _refuse_constant(name: str) -> object:
    raise _NonStandardNumber(name)


def _object_without_duplicates(pairs: list[tuple[str, object]]) -> dict:
    """An object whose member names are unique (last-wins would silently pick one)."""
    result = dict(pairs)
    if len(result) != len(pairs):
        seen = set()
        for name, _value in pairs:
            if name in seen:
                raise DuplicateField(name)
            seen.add(name)
    return result
