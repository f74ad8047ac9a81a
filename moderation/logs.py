"""Structured logs: one JSON object per line, each carrying the request id it belongs to.

A request id is taken from the client's ``X-Request-Id`` when it is sane, or
made up, returned in the response's ``X-Request-Id``, stored with the comment,
carried in the Celery task and written into every audit event; so one comment
can be followed from the API's log line through the worker's to its history.

``MODERATION_LOG_FORMAT=text`` gives plain lines instead (easier on a terminal).
"""
from __future__ import annotations

import logging
import re
import sys
import uuid
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter

# The request id of the work in progress (a request in the API, a task in a worker). gevent
# gives every greenlet its own context, so concurrent requests do not see each other's.
current_request_id: ContextVar[str] = ContextVar("request_id", default="")

# What we accept from a client or a proxy: short, printable, no spaces (it goes into logs).
INCOMING_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{8,128}")

HANDLER_NAME = "moderation"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = ["levelname", "name", "message", "request_id", "process"]


def request_id_from(incoming: str | None) -> str:
    """The client's id when it looks like one, else a new one (32 hex digits)."""
    if incoming and INCOMING_REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (the current one, or "-") to every record that lacks it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id.get() or "-"
        return True


def formatter(log_format: str) -> logging.Formatter:
    if log_format == "text":
        return logging.Formatter(TEXT_FORMAT)
    return JsonFormatter(JSON_FIELDS, rename_fields={"levelname": "level", "name": "logger"},
                         timestamp="time", json_ensure_ascii=False)  # "time": ISO 8601, UTC


def configure_logging(log_format: str = "json", level: int | str = logging.INFO) -> None:
    """Send every log record to stderr as JSON (or text), with its request id.

    Installs one handler on the root logger (replacing the one a previous call
    installed, leaving others, such as a test runner's, alone).
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(log_format))
    handler.addFilter(RequestIdFilter())
    handler.set_name(HANDLER_NAME)
    root = logging.getLogger()
    for old in [old for old in root.handlers if old.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # What our lines never show, not computed for every record (the logging HOWTO's "Optimization"):
    # the caller's file and line (a stack walk), thread and multiprocessing names.
    logging._srcfile = None
    logging.logThreads = False
    logging.logMultiprocessing = False
