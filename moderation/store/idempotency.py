"""Idempotency keys: a retried POST gets the first response back.

A request first *claims* its key (SET NX with a placeholder); when it is done
it *stores* its response under the key. A retry finds either the response
(replay it), the placeholder (the first request is still running: 409), or a
response for a different payload (the key was reused: 422). A request that
fails before responding *releases* its claim so a retry can go through.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import redis

from moderation.store import keys

_IN_PROGRESS = "in-progress"

# Delete the key only if it still holds our placeholder (not a stored response).
_RELEASE = """
local value = redis.call('GET', KEYS[1])
if value and cjson.decode(value)['state'] == ARGV[1] and cjson.decode(value)['fingerprint'] == ARGV[2] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: dict
    headers: dict


@dataclass(frozen=True)
class Claim:
    """Result of :meth:`IdempotencyStore.claim`."""

    outcome: str  # "claimed" | "replay" | "in_progress" | "mismatch"
    response: StoredResponse | None = None


class IdempotencyStore:
    def __init__(self, client: redis.Redis, ttl_seconds: int):
        self.redis = client
        self.ttl_seconds = ttl_seconds
        self._release = client.register_script(_RELEASE)

    def claim(self, site_id: str, client_key: str, fingerprint: str) -> Claim:
        key = keys.idempotency_key(site_id, client_key)
        placeholder = json.dumps({"state": _IN_PROGRESS, "fingerprint": fingerprint})
        if self.redis.set(key, placeholder, nx=True, ex=self.ttl_seconds):
            return Claim("claimed")
        existing = self.redis.get(key)
        if existing is None:  # expired between the two calls: try once more
            if self.redis.set(key, placeholder, nx=True, ex=self.ttl_seconds):
                return Claim("claimed")
            existing = self.redis.get(key) or placeholder
        record = json.loads(existing)
        if record.get("fingerprint") != fingerprint:
            return Claim("mismatch")
        if record.get("state") == _IN_PROGRESS:
            return Claim("in_progress")
        return Claim("replay", StoredResponse(record["status"], record["body"], record.get("headers", {})))

    def store(self, site_id: str, client_key: str, fingerprint: str, response: StoredResponse) -> None:
        record = {"state": "done", "fingerprint": fingerprint, "status": response.status,
                  "body": response.body, "headers": response.headers}
        self.redis.set(keys.idempotency_key(site_id, client_key), json.dumps(record), ex=self.ttl_seconds)

    def release(self, site_id: str, client_key: str, fingerprint: str) -> None:
        self._release(keys=[keys.idempotency_key(site_id, client_key)], args=[_IN_PROGRESS, fingerprint])
