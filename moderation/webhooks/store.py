"""Webhook endpoints and deliveries in Redis (keys in moderation/store/keys.py).

Every key is the site's (``mod:{SITE}:webhooks…``, one slot), written with one Lua script per
multi-key change; the one global key, the set of sites with endpoints, takes single-key commands.

- endpoints: one hash per site, endpoint id -> JSON record, secrets included (signing needs them
  in plain; they are never shown again after creation or rotation);
- deliveries: one hash each (TTL 30 days): the body, the event, its state (``pending``,
  ``delivered``, ``failed``), tries and their log; each endpoint's log is a sorted set of its
  deliveries, trimmed to ``log_max``; the site's due set holds the pending ones by when to try.
"""
from __future__ import annotations

import hashlib
import json
import re
import secrets as random_tokens
import time
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from moderation.store import keys, scripts
from moderation.webhooks.signing import new_secret

EVENTS = ("comment.created", "comment.approved", "comment.rejected", "comment.spam", "comment.pending",
          "comment.reported", "comment.taken_down")
ENDPOINT_ID = re.compile(r"wh_[0-9a-f]{16}")
DELIVERY_ID = re.compile(r"d_[0-9a-f]{24}")
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
DELIVERY_TTL = 30 * 86400
MAX_URL = 2000
MAX_DESCRIPTION = 200
MAX_OVERLAP_SECONDS = 30 * 86400
DEFAULT_OVERLAP_SECONDS = 86400


class WebhookError(ValueError):
    """A wrong endpoint setting: ``pointer`` names it (``/url``, ``/events``, …)."""

    def __init__(self, pointer: str, message: str):
        super().__init__(message)
        self.pointer = pointer


def checked_url(url: object) -> str:
    """An endpoint URL: http or https, a host, no credentials or fragment, at most MAX_URL characters."""
    if not isinstance(url, str) or not url.strip():
        raise WebhookError("/url", "an http or https URL")
    url = url.strip()
    if len(url) > MAX_URL or any(char.isspace() or not char.isprintable() for char in url):
        raise WebhookError("/url", f"an http or https URL of at most {MAX_URL} characters, without spaces")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise WebhookError("/url", "not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookError("/url", "an http or https URL with a host")
    if parts.username is not None or parts.password is not None:
        raise WebhookError("/url", "no credentials in the URL (the signature authenticates the sender)")
    if parts.fragment:
        raise WebhookError("/url", "no #fragment")
    return url


def checked_events(events: object) -> tuple[str, ...]:
    """A non-empty list of known event names (``"*"``: every event), without repeats, in EVENTS order."""
    if events == "*" or events == ["*"]:
        return EVENTS
    if not isinstance(events, (list, tuple)) or not events or not all(isinstance(name, str) for name in events):
        raise WebhookError("/events", f"a list of events: {', '.join(EVENTS)} (or [\"*\"])")
    unknown = [name for name in events if name not in EVENTS]
    if unknown:
        raise WebhookError("/events", f"unknown event {unknown[0]!r}; known: {', '.join(EVENTS)}")
    return tuple(name for name in EVENTS if name in events)


@dataclass(frozen=True)
class Endpoint:
    """One endpoint of a site: where to send which events, and the secrets that sign them."""

    id: str
    url: str
    events: tuple[str, ...]
    enabled: bool
    secret: str
    created_at: float
    updated_at: float
    description: str = ""
    previous_secret: str = ""              # during a rotation's overlap
    previous_expires_at: float | None = None

    def signing_secrets(self, now: float | None = None) -> list[str]:
        """The secrets that sign a request now: the current one, and the previous one during its overlap."""
        now = time.time() if now is None else now
        found = [self.secret]
        if self.previous_secret and self.previous_expires_at is not None and now < self.previous_expires_at:
            found.append(self.previous_secret)
        return found

    def overlapping(self, now: float | None = None) -> bool:
        return len(self.signing_secrets(now)) > 1

    def to_json(self) -> str:
        return json.dumps({"url": self.url, "events": list(self.events), "enabled": self.enabled,
                           "secret": self.secret, "created_at": self.created_at, "updated_at": self.updated_at,
                           "description": self.description, "previous_secret": self.previous_secret,
                           "previous_expires_at": self.previous_expires_at}, separators=(",", ":"))

    @classmethod
    def from_json(cls, endpoint_id: str, text: str) -> "Endpoint":
        data = json.loads(text)
        return cls(endpoint_id, data["url"], tuple(data.get("events", ())), bool(data.get("enabled", True)),
                   data["secret"], float(data.get("created_at", 0)), float(data.get("updated_at", 0)),
                   data.get("description", ""), data.get("previous_secret", ""), data.get("previous_expires_at"))


@dataclass(frozen=True)
class Delivery:
    """One event for one endpoint, and every try of it (``log``: dicts, oldest first). Made with
    the first seven fields alone, it is a delivery not tried yet (:meth:`WebhookStore.enqueue`)."""

    id: str
    endpoint: str
    event: str
    event_id: str
    comment: str
    body: str
    created_at: float
    state: str = PENDING
    attempts: int = 0
    log: list = field(default_factory=list)
    next_attempt_at: float | None = None
    redelivery_of: str = ""
    updated_at: float | None = None

    @classmethod
    def from_hash(cls, data: dict[str, str]) -> "Delivery":
        return cls(data["id"], data.get("endpoint", ""), data.get("event", ""), data.get("event_id", ""),
                   data.get("comment", ""), data.get("body", ""), float(data.get("created_at") or 0),
                   data.get("state", PENDING), int(data.get("attempts") or 0), json.loads(data.get("log") or "[]"),
                   float(data["next_attempt_at"]) if data.get("next_attempt_at") else None,
                   data.get("redelivery_of", ""), float(data["updated_at"]) if data.get("updated_at") else None)

    def new_hash(self) -> dict[str, str]:
        """The hash fields of this delivery as created, before any try (read back by from_hash)."""
        values = {"id": self.id, "endpoint": self.endpoint, "event": self.event, "event_id": self.event_id,
                  "comment": self.comment, "body": self.body, "created_at": f"{self.created_at:.6f}",
                  "state": PENDING, "attempts": "0"}
        if self.redelivery_of:
            values["redelivery_of"] = self.redelivery_of
        return values


def delivery_id_for(endpoint_id: str, event_id: str) -> str:
    """The one delivery of an event to an endpoint: the same id however often it is dispatched."""
    return "d_" + hashlib.sha256(f"{endpoint_id}|{event_id}".encode()).hexdigest()[:24]


@dataclass(frozen=True)
class AttemptStart:
    """What :meth:`WebhookStore.begin_attempt` found: ``started`` (with the delivery, its tries
    counted) or missing, duplicate, delivered, failed."""

    outcome: str
    delivery: Delivery | None = None


class WebhookStore:
    """Webhook endpoints and deliveries over one Redis client (``decode_responses=True``)."""

    def __init__(self, client, log_max: int = 200):
        self.redis = client
        self.log_max = log_max
        self._enqueue = scripts.register(client, "webhook_enqueue")
        self._claim = scripts.register(client, "webhook_claim")
        self._begin = scripts.register(client, "webhook_begin")
        self._record = scripts.register(client, "webhook_record")
        self._set_endpoint = scripts.register(client, "webhook_endpoint_set")

    # -- endpoints ------------------------------------------------------------------------------
    def site_ids(self) -> list[str]:
        """The sites that have endpoints (the global set), sorted."""
        return sorted(self.redis.smembers(keys.webhook_sites_key()))

    def endpoints(self, site_id: str) -> list[Endpoint]:
        """The site's endpoints, oldest first."""
        found = [Endpoint.from_json(endpoint_id, text)
                 for endpoint_id, text in self.redis.hgetall(keys.webhook_endpoints_key(site_id)).items()]
        return sorted(found, key=lambda endpoint: (endpoint.created_at, endpoint.id))

    def endpoint(self, site_id: str, endpoint_id: str) -> Endpoint | None:
        if not ENDPOINT_ID.fullmatch(endpoint_id or ""):
            return None
        text = self.redis.hget(keys.webhook_endpoints_key(site_id), endpoint_id)
        return Endpoint.from_json(endpoint_id, text) if text else None

    def create_endpoint(self, site_id: str, url: object, events: object, *, enabled: bool = True,
                        description: str = "", now: float | None = None) -> Endpoint:
        """A new endpoint with a fresh secret (in the record returned: show it once). WebhookError
        for a wrong URL or event list."""
        now = time.time() if now is None else now
        endpoint = Endpoint("wh_" + random_tokens.token_hex(8), checked_url(url), checked_events(events),
                            bool(enabled), new_secret(), now, now, _description(description))
        self.redis.hset(keys.webhook_endpoints_key(site_id), endpoint.id, endpoint.to_json())
        self.redis.sadd(keys.webhook_sites_key(), site_id)  # after the record: the dispatcher finds it
        return endpoint

    def update_endpoint(self, site_id: str, endpoint_id: str, *, url: object = None, events: object = None,
                        enabled: bool | None = None, description: str | None = None,
                        now: float | None = None) -> Endpoint | None:
        """Change what is given (None: unchanged); None when there is no such endpoint."""
        endpoint = self.endpoint(site_id, endpoint_id)
        if endpoint is None:
            return None
        changes: dict = {"updated_at": time.time() if now is None else now}
        if url is not None:
            changes["url"] = checked_url(url)
        if events is not None:
            changes["events"] = checked_events(events)
        if enabled is not None:
            changes["enabled"] = bool(enabled)
        if description is not None:
            changes["description"] = _description(description)
        return self._replace(site_id, replace(endpoint, **changes))

    def rotate_secret(self, site_id: str, endpoint_id: str, overlap_seconds: int = DEFAULT_OVERLAP_SECONDS,
                      now: float | None = None) -> Endpoint | None:
        """A new secret signs from now on; the current one signs too for ``overlap_seconds`` more
        (0: it stops at once). Returns the record with the new secret (show it once)."""
        endpoint = self.endpoint(site_id, endpoint_id)
        if endpoint is None:
            return None
        now = time.time() if now is None else now
        overlap = overlap_seconds > 0
        rotated = replace(endpoint, secret=new_secret(), updated_at=now,
                          previous_secret=endpoint.secret if overlap else "",
                          previous_expires_at=now + overlap_seconds if overlap else None)
        return self._replace(site_id, rotated)

    def _replace(self, site_id: str, endpoint: Endpoint) -> Endpoint | None:
        written = self._set_endpoint(keys=[keys.webhook_endpoints_key(site_id)], args=[endpoint.id, endpoint.to_json()])
        return endpoint if written else None

    def delete_endpoint(self, site_id: str, endpoint_id: str) -> bool:
        """Delete the endpoint and its deliveries (pending ones are not tried again)."""
        if self.endpoint(site_id, endpoint_id) is None:
            return False
        endpoints_key = keys.webhook_endpoints_key(site_id)
        removed = self.redis.hdel(endpoints_key, endpoint_id)
        log_key = keys.webhook_log_key(site_id, endpoint_id)
        delivery_ids = self.redis.zrange(log_key, 0, -1)
        pipe = self.redis.pipeline(transaction=False)
        for chunk_start in range(0, len(delivery_ids), 500):
            pipe.zrem(keys.webhook_due_key(site_id), *delivery_ids[chunk_start:chunk_start + 500])
        for delivery_id in delivery_ids:  # one key per DEL: a cluster pipeline takes no multi-key DEL
            pipe.delete(keys.webhook_delivery_key(site_id, delivery_id))
        pipe.delete(log_key)
        pipe.execute()
        if self.redis.hlen(endpoints_key) == 0:
            self.redis.delete(keys.webhook_cursor_key(site_id))
            self.redis.srem(keys.webhook_sites_key(), site_id)
            if self.redis.hlen(endpoints_key):  # an endpoint created meanwhile keeps the site listed
                self.redis.sadd(keys.webhook_sites_key(), site_id)
        return bool(removed)

    # -- the dispatcher's cursor and deliveries ---------------------------------------------------
    def cursor(self, site_id: str) -> str | None:
        return self.redis.get(keys.webhook_cursor_key(site_id))

    def enqueue(self, site_id: str, deliveries: list[Delivery], cursor: str | None = None) -> int:
        """Create the deliveries not created yet (due at once, scored by their ``created_at``: the
        oldest event is sent first) and move the cursor forward to ``cursor``, in one step; returns
        how many were created. Logs past ``log_max`` lose their oldest deliveries."""
        script_keys = [keys.webhook_cursor_key(site_id), keys.webhook_due_key(site_id)]
        args: list = [cursor or "", DELIVERY_TTL, self.log_max]
        for delivery in deliveries:
            script_keys += [keys.webhook_delivery_key(site_id, delivery.id), keys.webhook_log_key(site_id, delivery.endpoint)]
            args += [delivery.id, int(delivery.created_at * 1000), json.dumps(delivery.new_hash(), ensure_ascii=False)]
        created, *trimmed = self._enqueue(keys=script_keys, args=args)
        if trimmed:
            pipe = self.redis.pipeline(transaction=False)
            for delivery_id in trimmed:
                pipe.delete(keys.webhook_delivery_key(site_id, delivery_id))
            pipe.execute()
        return int(created)

    def claim_due(self, site_id: str, lease_seconds: float, now: float | None = None,
                  limit: int = 100) -> list[tuple[str, int]]:
        """(delivery id, tries so far) of the deliveries due now, each leased for ``lease_seconds``."""
        now = time.time() if now is None else now
        ids = self._claim(keys=[keys.webhook_due_key(site_id)],
                          args=[f"{now:.6f}", f"{now + lease_seconds:.6f}", limit])
        if not ids:
            return []
        pipe = self.redis.pipeline(transaction=False)
        for delivery_id in ids:
            pipe.hmget(keys.webhook_delivery_key(site_id, delivery_id), "attempts", "created_at")
        found = sorted(zip(ids, pipe.execute()), key=lambda item: float(item[1][1] or 0))  # oldest event first
        return [(delivery_id, int(attempts or 0)) for delivery_id, (attempts, _created) in found]

    def begin_attempt(self, site_id: str, delivery_id: str, expected_attempts: int, lease_seconds: float,
                      now: float | None = None) -> AttemptStart:
        """Start try ``expected_attempts + 1`` of a pending delivery (see lua/webhook_begin.lua)."""
        now = time.time() if now is None else now
        outcome, *fields = self._begin(keys=[keys.webhook_delivery_key(site_id, delivery_id), keys.webhook_due_key(site_id)],
                                       args=[delivery_id, str(expected_attempts), f"{now + lease_seconds:.6f}",
                                             DELIVERY_TTL])
        if outcome != "started":
            return AttemptStart(outcome)
        return AttemptStart(outcome, Delivery.from_hash(dict(zip(fields[::2], fields[1::2]))))

    def record_attempt(self, site_id: str, delivery_id: str, attempt: int, entry: dict, state: str,
                       next_attempt_at: float | None = None, now: float | None = None) -> bool:
        """Log try ``attempt`` and move the delivery to ``state`` (pending: tried again at
        ``next_attempt_at``); False when it moved on meanwhile."""
        now = time.time() if now is None else now
        written = self._record(keys=[keys.webhook_delivery_key(site_id, delivery_id), keys.webhook_due_key(site_id)],
                               args=[delivery_id, str(attempt), json.dumps(entry, ensure_ascii=False, separators=(",", ":")),
                                     state, f"{next_attempt_at or now:.6f}", f"{now:.6f}", DELIVERY_TTL])
        return bool(written)

    # -- reading and redelivering ---------------------------------------------------------------
    def delivery(self, site_id: str, delivery_id: str) -> Delivery | None:
        if not DELIVERY_ID.fullmatch(delivery_id or ""):
            return None
        data = self.redis.hgetall(keys.webhook_delivery_key(site_id, delivery_id))
        return Delivery.from_hash(data) if data else None

    def deliveries(self, site_id: str, endpoint_id: str, limit: int = 50) -> list[Delivery]:
        """One endpoint's deliveries, newest first."""
        ids = self.redis.zrevrange(keys.webhook_log_key(site_id, endpoint_id), 0, limit - 1)
        pipe = self.redis.pipeline(transaction=False)
        for delivery_id in ids:
            pipe.hgetall(keys.webhook_delivery_key(site_id, delivery_id))
        return [Delivery.from_hash(data) for data in (pipe.execute() if ids else []) if data]

    def site_deliveries(self, site_id: str, limit: int = 50) -> list[Delivery]:
        """The deliveries of all the site's endpoints, newest first."""
        found = [delivery for endpoint in self.endpoints(site_id)
                 for delivery in self.deliveries(site_id, endpoint.id, limit)]
        return sorted(found, key=lambda delivery: delivery.created_at, reverse=True)[:limit]

    def redeliver(self, site_id: str, delivery_id: str, now: float | None = None) -> Delivery | None:
        """A new delivery of the same event and body to the same endpoint (``redelivery_of`` the
        original), due now; None when the delivery or its endpoint is gone."""
        original = self.delivery(site_id, delivery_id)
        if original is None or self.endpoint(site_id, original.endpoint) is None:
            return None
        now = time.time() if now is None else now
        new = Delivery("d_" + random_tokens.token_hex(12), original.endpoint, original.event, original.event_id,
                       original.comment, original.body, now, redelivery_of=original.id)
        self.enqueue(site_id, [new])
        return self.delivery(site_id, new.id)


def _description(text: object) -> str:
    if not isinstance(text, str) or len(text) > MAX_DESCRIPTION:
        raise WebhookError("/description", f"a text of at most {MAX_DESCRIPTION} characters")
    return "".join(char for char in text if char.isprintable()).strip()
