"""Webhook signatures: HMAC-SHA256 with the endpoint's secret over ``<timestamp>.<body>``.

The header is ``Moderation-Signature: t=<unix seconds>,v1=<hex>`` with one ``v1`` per secret in
force: during a rotation's overlap both the new and the previous secret sign, so a receiver
holding either accepts the request. :func:`verify` is the receiver's check, as docs/webhooks.md
shows it (constant-time compare, timestamps older than five minutes refused).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time

SIGNATURE_HEADER = "Moderation-Signature"
EVENT_HEADER = "Moderation-Event"
DELIVERY_HEADER = "Moderation-Delivery"
SECRET_PREFIX = "whsec_"
TOLERANCE_SECONDS = 300


def new_secret() -> str:
    """A fresh signing secret (shown once; the receiver keeps it)."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``<timestamp>.<body>`` with ``secret`` (its UTF-8 bytes as the key)."""
    return hmac.new(secret.encode("utf-8"), str(timestamp).encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


def signature_header(signing_secrets: list[str], timestamp: int, body: bytes) -> str:
    """``t=<timestamp>,v1=<hex>[,v1=<hex>]``: one signature per secret, the current one first."""
    return ",".join([f"t={timestamp}", *(f"v1={signature(secret, timestamp, body)}" for secret in signing_secrets)])


def request_headers(signing_secrets: list[str], body: bytes, event: str, delivery_id: str,
                    timestamp: int | None = None) -> dict[str, str]:
    """Every header of one try of a delivery."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/json",
        "User-Agent": "comment-moderation-webhooks/1",
        EVENT_HEADER: event,
        DELIVERY_HEADER: delivery_id,
        SIGNATURE_HEADER: signature_header(signing_secrets, timestamp, body),
    }


def verify(secret: str, body: bytes, header: str, tolerance: int = TOLERANCE_SECONDS,
           now: float | None = None) -> bool:
    """Whether ``header`` signs ``body`` with ``secret`` at a time within ``tolerance`` seconds."""
    parts = [part.strip().split("=", 1) for part in header.split(",") if "=" in part]
    timestamps = [value for name, value in parts if name == "t"]
    signatures = [value for name, value in parts if name == "v1"]
    if len(timestamps) != 1 or not timestamps[0].isdigit() or not signatures:
        return False
    now = time.time() if now is None else now
    if abs(now - int(timestamps[0])) > tolerance:
        return False
    expected = signature(secret, timestamps[0], body)
    return any(hmac.compare_digest(expected, candidate) for candidate in signatures)
