"""Tokens for readers' browsers, which hold no secret: a comment's status token, and form tokens.

- **Status token**: the 202 to a comment posted with a public site key carries
  ``site.HMAC(secret, "status:site:comment id")``; with it (and only with it) that reader may read
  their comment's state and rendered HTML while it waits (``GET /api/v1/comments/{id}/status``).
- **Form token**: a comment posted with a public key must carry one, fetched by the page from
  ``GET /api/v1/form-token`` at least ``MIN_AGE`` seconds before (a person takes longer to
  write; a script posting straight to the API must wait), used once, within ``MAX_AGE``. It is
  ``site.issued_ms.nonce.signature``, so checking it needs no storage but the spent-nonce mark.

The secret is MODERATION_SECRET_KEY, or when that is left at its development default, 32 random
bytes made once and kept in Redis (``keys.server_secret_key``), shared by every API process.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

import redis

from moderation.settings import Settings
from moderation.store import keys
from moderation.store.sites import SITE_ID

DEFAULT_SECRET = Settings.__dataclass_fields__["secret_key"].default
MIN_AGE = 2.0        # seconds between fetching a form token and posting with it
MAX_AGE = 2 * 3600   # a form left open longer fetches a new token


class TokenError(ValueError):
    """A form token that is malformed, forged, too young, too old or spent (the message says which)."""


class BrowserTokens:
    def __init__(self, client: redis.Redis, configured_secret: str):
        self.redis = client
        self._secret = configured_secret.encode() if configured_secret and configured_secret != DEFAULT_SECRET \
            else None

    def secret(self) -> bytes:
        if self._secret is None:
            self.redis.set(keys.server_secret_key(), secrets.token_hex(32), nx=True)
            self._secret = self.redis.get(keys.server_secret_key()).encode()
        return self._secret

    def _sign(self, message: str) -> str:
        digest = hmac.new(self.secret(), message.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:18]).decode()

    # -- status tokens ---------------------------------------------------------------------------
    def status_token(self, site_id: str, comment_id: str) -> str:
        """``site.signature``: names the site (the comment's key needs it) and proves the holder posted it."""
        return f"{site_id}.{self._sign(f'status:{site_id}:{comment_id}')}"

    def status_token_site(self, comment_id: str, token: str | None) -> str | None:
        """The site of a valid status token for ``comment_id``, else None."""
        site_id, _, _signature = (token or "")[:200].rpartition(".")
        if not SITE_ID.fullmatch(site_id):
            return None
        return site_id if hmac.compare_digest(self.status_token(site_id, comment_id).encode(),
                                              token.encode()) else None

    # -- form tokens -----------------------------------------------------------------------------
    def form_token(self, site_id: str, now: float | None = None) -> str:
        issued = int((time.time() if now is None else now) * 1000)
        body = f"{site_id}.{issued}.{secrets.token_hex(8)}"
        return f"{body}.{self._sign('form:' + body)}"

    def spend_form_token(self, site_id: str, token: str, now: float | None = None) -> None:
        """Check ``token`` for ``site_id`` and mark it spent; TokenError when it may not be used."""
        parts = token.split(".") if isinstance(token, str) and len(token) < 200 else []
        if len(parts) != 4 or not parts[1].isdigit():
            raise TokenError("is not a form token: fetch one from GET /api/v1/form-token")
        token_site, issued_ms, nonce, signature = parts
        body = f"{token_site}.{issued_ms}.{nonce}"
        if not hmac.compare_digest(self._sign("form:" + body).encode(), signature.encode()) or token_site != site_id:
            raise TokenError("is not a form token of this site")
        age = (time.time() if now is None else now) - int(issued_ms) / 1000
        if age < MIN_AGE:
            raise TokenError(f"is too new: post at least {MIN_AGE:g} s after fetching it")
        if age > MAX_AGE:
            raise TokenError("has expired: fetch a new one")
        if not self.redis.set(keys.form_token_used_key(site_id, nonce), "1", nx=True, ex=int(MAX_AGE - age) + 1):
            raise TokenError("was already used: fetch a new one")
