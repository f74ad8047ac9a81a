"""One try of a webhook delivery over HTTP, its log entry, and when to try again.

The request is a POST of the stored body, signed at the time of the try, with a connect and a
read timeout, following no redirect (a 3xx is a failure: the endpoint's URL is what the admin
set). Only a 2xx counts as delivered. Each try is logged on the delivery: when, status code or
error, latency, the first bytes of the answer, and when the next try is due.
"""
from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass

import requests

from moderation.webhooks import signing
from moderation.webhooks.store import DELIVERED, FAILED, PENDING, WebhookStore

log = logging.getLogger("moderation.webhooks")

SNIPPET_BYTES = 500


@dataclass(frozen=True)
class DeliveryConfig:
    """The MODERATION_WEBHOOK_* settings a try needs."""

    connect_timeout: float = 3.0
    read_timeout: float = 10.0
    max_attempts: int = 8
    retry_base: float = 10.0
    retry_max: float = 3600.0

    @classmethod
    def of(cls, settings) -> "DeliveryConfig":
        return cls(settings.webhook_connect_timeout, settings.webhook_read_timeout, settings.webhook_max_attempts,
                   settings.webhook_retry_base, settings.webhook_retry_max)

    @property
    def lease_seconds(self) -> float:
        """How long a try may hold its delivery before the dispatcher hands it out again: the
        connection, the answer's head and first bytes (two reads), and a margin for the queue."""
        return self.connect_timeout + 2 * self.read_timeout + 30


def retry_delay(attempt: int, base: float, cap: float, rng=random.random) -> float:
    """Seconds to wait after failed try ``attempt`` (1, 2, ...): ``base * 2**(attempt-1)``, at
    most ``cap``, times a jitter of +-20% (so endpoints that failed together do not retry together)."""
    delay = min(cap, base * 2 ** (attempt - 1))
    return min(cap, delay * (0.8 + 0.4 * rng()))


@dataclass(frozen=True)
class HttpResult:
    status: int | None
    error: str
    latency_ms: float
    snippet: str

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(url: str, body: bytes, headers: dict[str, str], config: DeliveryConfig,
         session: requests.Session | None = None) -> HttpResult:
    """POST ``body``; never raises for network trouble (it is the result's ``error``)."""
    own = session is None
    session = session or _session()
    started = time.perf_counter()
    status, error, snippet = None, "", ""
    try:
        with session.post(url, data=body, headers=headers, timeout=(config.connect_timeout, config.read_timeout),
                          allow_redirects=False, stream=True) as response:
            status = response.status_code
            try:
                raw = response.raw.read(SNIPPET_BYTES, decode_content=True) or b""
            except Exception as exc:  # noqa: BLE001 - a broken body does not change the status
                raw, error = b"", f"reading the answer: {_reason(exc)}"
            snippet = raw[:SNIPPET_BYTES].decode("utf-8", "replace")
            if 300 <= status < 400:
                error = f"redirect to {response.headers.get('Location', '?')[:200]} (not followed)"
    except requests.Timeout as exc:
        kind = "connect" if isinstance(exc, requests.ConnectTimeout) else "read"
        limit = config.connect_timeout if kind == "connect" else config.read_timeout
        error = f"timeout: no {'connection' if kind == 'connect' else 'answer'} within {limit:g} s"
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {_reason(exc)}"
    finally:
        if own:
            session.close()
    return HttpResult(status, error, round((time.perf_counter() - started) * 1000, 1), snippet)


def _session() -> requests.Session:
    session = requests.Session()
    # No proxy variables, .netrc credentials or CA bundle from the environment: a webhook goes
    # where its URL says, with the headers we set.
    session.trust_env = False
    return session


def _reason(exc: Exception) -> str:
    text = str(exc)
    return text[:300] if text else type(exc).__name__


def deliver(webhooks: WebhookStore, site_id: str, delivery_id: str, expected_attempts: int, config: DeliveryConfig,
            now: float | None = None, session: requests.Session | None = None, rng=random.random) -> str:
    """Try a delivery once (if it is still pending at try ``expected_attempts + 1``) and record
    the outcome: ``delivered``, ``retry`` (scheduled again), ``failed`` (given up), or what the
    store found instead (``missing``, ``duplicate``, ``delivered``, ``failed``)."""
    start = webhooks.begin_attempt(site_id, delivery_id, expected_attempts, config.lease_seconds, now=now)
    if start.delivery is None:
        return start.outcome
    delivery = start.delivery
    attempt = delivery.attempts
    started_at = time.time()
    endpoint = webhooks.endpoint(site_id, delivery.endpoint)
    if endpoint is None or not endpoint.enabled:
        entry = {"attempt": attempt, "at": round(started_at, 3), "status": None, "latency_ms": 0, "response": "",
                 "error": "endpoint deleted" if endpoint is None else "endpoint disabled"}
        webhooks.record_attempt(site_id, delivery_id, attempt, entry, FAILED)
        return FAILED
    body = delivery.body.encode("utf-8")
    headers = signing.request_headers(endpoint.signing_secrets(), body, delivery.event, delivery.id)
    result = post(endpoint.url, body, headers, config, session)
    entry = {"attempt": attempt, "at": round(started_at, 3), "status": result.status,
             "latency_ms": result.latency_ms, "response": result.snippet, "error": result.error}
    if result.ok:
        state, next_at, outcome = DELIVERED, None, DELIVERED
    elif attempt >= config.max_attempts:
        state, next_at, outcome = FAILED, None, FAILED
    else:
        delay = retry_delay(attempt, config.retry_base, config.retry_max, rng)
        state, next_at, outcome = PENDING, time.time() + delay, "retry"
        entry["retry_in"] = round(delay, 3)
    webhooks.record_attempt(site_id, delivery_id, attempt, entry, state, next_attempt_at=next_at)
    log.info("webhook %s %s to %s: %s", delivery.event, delivery_id, endpoint.id, outcome, extra={
        "site_id": site_id, "delivery": delivery_id, "endpoint": endpoint.id, "event": delivery.event,
        "attempt": attempt, "status": result.status, "error": result.error, "latency_ms": result.latency_ms,
        "outcome": outcome})
    return outcome
