"""Idempotency keys: a retried POST gets the first response back.

A request first *claims* its key (SET NX with a placeholder); when it is done
it *stores* its response under the key. A retry finds either the response
(replay it), the placeholder (the first request is still running: 409), or a
response for a different payload (the key was reused: 422). A request that
fails before responding *releases* its claim so a retry can go through.

Faults in the middle of a request: the placeholder carries a random token and
lives only :data:`IN_PROGRESS_LEASE_SECONDS`, so a request that died (or whose
release never reached Redis) blocks its key briefly, not for the whole TTL.
The first response is not stored by a separate write after the comment: the
intake passes :meth:`IdempotencyStore.guard` to
:meth:`~moderation.store.comments.CommentStore.create`, whose script writes the
comment and the response together, and only while the key still holds this
request's claim. A crash between the two can then neither leave a comment
that no retry can reach nor let a retry create a second one.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import redis

from moderation.store import keys, scripts

_IN_PROGRESS = "in-progress"
# How long a claim blocks its key if its request never finishes (its release never reached
# Redis, or a stalled Redis ran the claim after the client had given up). Short: correctness
# does not rest on it, since a comment is created only while the key holds that very claim.
IN_PROGRESS_LEASE_SECONDS = 10

@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: dict
    headers: dict


@dataclass(frozen=True)
class Claim:
    """Result of :meth:`IdempotencyStore.claim`; ``token`` identifies a successful claim."""

    outcome: str  # "claimed" | "replay" | "in_progress" | "mismatch"
    response: StoredResponse | None = None
    token: str = ""


@dataclass(frozen=True)
class CreateGuard:
    """What the comment-creating script needs to store the response under a claimed key.

    ``key`` is the Redis key, ``token`` the claim it must still hold, ``record``
    the stored response (JSON) and ``ttl_seconds`` how long to keep it.
    """

    key: str
    token: str
    record: str
    ttl_seconds: int


class IdempotencyStore:
    def __init__(self, client: redis.Redis, ttl_seconds: int):
        self.redis = client
        self.ttl_seconds = ttl_seconds
        self._release = scripts.register(client, "release_idempotency")

    def claim(self, site_id: str, client_key: str, fingerprint: str) -> Claim:
        key = keys.idempotency_key(site_id, client_key)
        token = uuid.uuid4().hex
        placeholder = json.dumps({"state": _IN_PROGRESS, "fingerprint": fingerprint, "token": token})
        lease = min(self.ttl_seconds, IN_PROGRESS_LEASE_SECONDS)
        if self.redis.set(key, placeholder, nx=True, ex=lease):
            return Claim("claimed", token=token)
        existing = self.redis.get(key)
        if existing is None:  # expired between the two calls: try once more
            if self.redis.set(key, placeholder, nx=True, ex=lease):
                return Claim("claimed", token=token)
            existing = self.redis.get(key) or placeholder
        record = json.loads(existing)
        if record.get("fingerprint") != fingerprint:
            return Claim("mismatch")
        if record.get("state") == _IN_PROGRESS:
            return Claim("in_progress")
        return Claim("replay", StoredResponse(record["status"], record["body"], record.get("headers", {})))

    def store(self, site_id: str, client_key: str, fingerprint: str, response: StoredResponse) -> None:
        self.redis.set(keys.idempotency_key(site_id, client_key), _done_record(fingerprint, response),
                       ex=self.ttl_seconds)

    def guard(self, site_id: str, client_key: str, claim_token: str, fingerprint: str,
              response: StoredResponse) -> CreateGuard:
        """The response to store atomically with the comment, under the claim ``claim_token``
        (see the module doc)."""
        return CreateGuard(keys.idempotency_key(site_id, client_key), claim_token,
                           _done_record(fingerprint, response), self.ttl_seconds)

    def release(self, site_id: str, client_key: str, fingerprint: str) -> None:
        self._release(keys=[keys.idempotency_key(site_id, client_key)], args=[_IN_PROGRESS, fingerprint])


def _done_record(fingerprint: str, response: StoredResponse) -> str:
    return json.dumps({"state": "done", "fingerprint": fingerprint, "status": response.status,
                       "body": response.body, "headers": response.headers})
