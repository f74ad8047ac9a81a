"""Validate an intake payload into a :class:`CommentSubmission` or field errors.

Plain functions, no Flask: the view parses the request (JSON or form) into a
mapping and calls :func:`validate_submission`. Errors name the field with a
JSON Pointer (``/author/email``), as RFC 9457 problem details suggest.
"""
from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

# Thread ids appear in URLs and Redis keys: a conservative alphabet.
THREAD_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:~-]{0,199}")
COMMENT_ID = re.compile(r"[0-9a-f]{32}")
# Pragmatic address check: one @, no spaces or controls, a dotted domain with a
# 2-64 letter TLD. Each part is a single character class: linear on any input.
EMAIL = re.compile(r"[^\s@<>()\[\],;:\"\\]{1,64}@(?:[A-Za-z0-9-]{1,63}\.)++[A-Za-z]{2,64}")

# Characters no field may hold: C0 controls other than TAB, LF and CR (ANSI escapes, NUL, ...),
# DEL, C1 controls, and the bidirectional embeddings, overrides and isolates (U+202A-U+202E,
# U+2066-U+2069), which can make text display other than it reads ("Trojan Source").
# Bidi *marks* (LRM, RLM, ALM) are fine: they only nudge neighbouring characters.
FORBIDDEN_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# Single-line fields (everything but the body) also refuse TAB, LF, CR and U+2028/U+2029.
FORBIDDEN_IN_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

MAX_NAME_CHARS = 100
MAX_EMAIL_CHARS = 254
MAX_URL_CHARS = 2048
MAX_TITLE_CHARS = 300
MAX_USER_AGENT_CHARS = 512

# Flat form field -> pointer in the nested JSON shape.
FORM_FIELDS = {
    "thread": "/thread", "thread_url": "/thread_url", "thread_title": "/thread_title",
    "parent": "/parent", "author_name": "/author/name", "author_email": "/author/email",
    "body": "/body", "format": "/format", "client_ip": "/client/ip",
    "client_user_agent": "/client/user_agent", "client_referrer": "/client/referrer",
    # From readers' browsers (public site key): the form token, and the honeypot field people leave empty.
    "form_token": "/form_token", "website": "/website",
}


@dataclass(frozen=True)
class FieldError:
    """One problem with one field: ``pointer`` is a JSON Pointer into the payload."""

    pointer: str
    detail: str

    def to_dict(self) -> dict:
        return {"pointer": self.pointer, "detail": self.detail}


@dataclass(frozen=True)
class CommentSubmission:
    """A valid comment submission (empty strings for absent optional fields)."""

    thread: str
    body: str
    format: str
    author_name: str
    author_email: str = ""
    thread_url: str = ""
    thread_title: str = ""
    parent: str = ""
    client_ip: str = ""
    client_user_agent: str = ""
    client_referrer: str = ""

    def to_store_fields(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def nest_form_fields(pairs: Iterable[tuple[str, str]]) -> dict:
    """Form fields (``author_name=…``) -> the JSON shape (``{"author": {"name": …}}``).

    Unknown fields are ignored, like unknown JSON members. A known field given
    twice is ambiguous (which one did the reader mean?): :class:`DuplicateField`.
    """
    payload: dict = {}
    for name, value in pairs:
        pointer = FORM_FIELDS.get(name)
        if pointer is None:
            continue
        *parents, leaf = pointer.strip("/").split("/")
        target = payload
        for part in parents:
            target = target.setdefault(part, {})
        if leaf in target:
            raise DuplicateField(name)
        target[leaf] = value
    return payload


class DuplicateField(ValueError):
    """A form field or JSON member given more than once."""


class _Reader:
    """Reads typed fields out of a payload, collecting errors instead of raising."""

    def __init__(self, payload: Mapping):
        self.payload = payload
        self.errors: list[FieldError] = []

    def object(self, name: str) -> Mapping:
        value = self.payload.get(name)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.errors.append(FieldError(f"/{name}", "must be an object"))
            return {}
        return value

    def text(self, source: Mapping, pointer: str, *, max_chars: int, required: bool = False,
             multiline: bool = False) -> str:
        value = source.get(pointer.rsplit("/", 1)[-1])
        if value is None or value == "":
            if required:
                self.errors.append(FieldError(pointer, "is required"))
            return ""
        if not isinstance(value, str):
            self.errors.append(FieldError(pointer, "must be a string"))
            return ""
        problem = text_problem(value, multiline=multiline)
        if problem:
            self.errors.append(FieldError(pointer, problem))
            return ""
        if len(value) > max_chars:
            self.errors.append(FieldError(pointer, f"is longer than {max_chars} characters"))
            return ""
        if required and not value.strip():
            self.errors.append(FieldError(pointer, "must not be blank"))
            return ""
        return value

    def check(self, pointer: str, value: str, ok: bool, detail: str) -> str:
        if value and not ok:
            self.errors.append(FieldError(pointer, detail))
            return ""
        return value


def text_problem(value: str, multiline: bool = False) -> str | None:
    """Why a string cannot be stored, or None.

    Lone surrogates (from JSON escapes like ``"\\ud800"``) are not valid Unicode
    and cannot be encoded as UTF-8. Control and bidirectional formatting
    characters are refused (:data:`FORBIDDEN_IN_TEXT`); only a ``multiline``
    field (the body) may hold TAB, LF and CR.
    """
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode (lone surrogate)"
    found = (FORBIDDEN_IN_TEXT if multiline else FORBIDDEN_IN_LINE).search(value)
    if found is None:
        return None
    character = found.group()
    kind = "bidirectional formatting" if character in BIDI_CONTROLS else "control"
    return f"must not contain {kind} characters (U+{ord(character):04X} at character {found.start() + 1})"


def printable(value: str) -> str:
    """``value`` without control or other unprintable characters (for header values we store)."""
    return "".join(char for char in value if char.isprintable())


def plain_name(value: str) -> str:
    """A display name as stored: Unicode NFC (one spelling per name), no surrounding spaces."""
    return unicodedata.normalize("NFC", value).strip()


def is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not any(c.isspace() for c in value)


def is_ip_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def validate_submission(payload: object, *, known_formats: Collection[str], default_format: str,
                        max_comment_chars: int) -> CommentSubmission | list[FieldError]:
    """A :class:`CommentSubmission`, or every :class:`FieldError` found."""
    if not isinstance(payload, Mapping):
        return [FieldError("", "the request body must be a JSON object")]
    read = _Reader(payload)
    thread = read.text(payload, "/thread", max_chars=200, required=True)
    thread = read.check("/thread", thread, bool(THREAD_ID.fullmatch(thread)),
                        "may contain only letters, digits and . _ : ~ - (starting with a letter or digit)")
    thread_url = read.text(payload, "/thread_url", max_chars=MAX_URL_CHARS)
    thread_url = read.check("/thread_url", thread_url, is_http_url(thread_url), "must be an http(s) URL")
    thread_title = read.text(payload, "/thread_title", max_chars=MAX_TITLE_CHARS)
    parent = read.text(payload, "/parent", max_chars=32)
    parent = read.check("/parent", parent, bool(COMMENT_ID.fullmatch(parent)), "must be a comment id")
    body = read.text(payload, "/body", max_chars=max_comment_chars, required=True, multiline=True)
    comment_format = read.text(payload, "/format", max_chars=64) or default_format
    if comment_format not in known_formats:
        read.errors.append(FieldError("/format", f"unknown format {comment_format!r}; "
                                      f"known: {', '.join(sorted(known_formats))}"))

    author = read.object("author")
    author_name = plain_name(read.text(author, "/author/name", max_chars=MAX_NAME_CHARS, required=True))
    author_email = read.text(author, "/author/email", max_chars=MAX_EMAIL_CHARS)
    author_email = read.check("/author/email", author_email, bool(EMAIL.fullmatch(author_email)),
                              "is not an e-mail address")

    client = read.object("client")
    client_ip = read.text(client, "/client/ip", max_chars=64)
    client_ip = read.check("/client/ip", client_ip, is_ip_address(client_ip), "is not an IP address")
    client_user_agent = read.text(client, "/client/user_agent", max_chars=MAX_USER_AGENT_CHARS)
    client_referrer = read.text(client, "/client/referrer", max_chars=MAX_URL_CHARS)

    if read.errors:
        return read.errors
    return CommentSubmission(
        thread=thread, body=body, format=comment_format, author_name=author_name,
        author_email=author_email, thread_url=thread_url, thread_title=thread_title, parent=parent,
        client_ip=client_ip, client_user_agent=client_user_agent, client_referrer=client_referrer,
    )
