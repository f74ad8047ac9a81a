"""Sites: who may post, with which API key, from which browser origins.

An API key is 32 random bytes (URL-safe text, ``mk_`` prefix). Only its sha256
is stored; a presented key is hashed, looked up, and compared with the stored
hash using :func:`hmac.compare_digest`. High-entropy keys make a plain (unsalted)
hash sufficient: there is nothing to brute-force.

Authentication costs one round trip: the key index is read every time (so a
replaced key stops working at once), while the site's record (name, origins,
key hash) may come from a per-process cache kept ``cache_seconds``
(MODERATION_SITE_CACHE_SECONDS): a change of origins reaches every API process
within that time.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

import redis

from moderation.store import keys

# Site ids become Redis Cluster hash tags (keys.site_prefix): no braces, no colons.
SITE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_CACHED_SITES = 10_000  # a bound on the per-process cache, far above any real deployment

API_KEY_PREFIX = "mk_"


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode("utf-8", "surrogatepass")).hexdigest()


def normalize_origin(origin: str) -> str:
    """``https://News.Example:443/path`` -> ``https://news.example``; ValueError if not http(s)."""
    parts = urlsplit(origin.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) origin: {origin!r}")
    default_port = {"http": 80, "https": 443}[parts.scheme]
    port = "" if parts.port in (None, default_port) else f":{parts.port}"
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


@dataclass(frozen=True)
class Site:
    id: str
    name: str
    origins: tuple[str, ...]
    created_at: float

    def allows_origin(self, origin: str | None) -> bool:
        if not origin:
            return False
        try:
            return normalize_origin(origin) in self.origins
        except ValueError:
            return False


class SiteStore:
    """Sites and their hashed API keys."""

    def __init__(self, client: redis.Redis, cache_seconds: float = 0.0):
        self.redis = client
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, Site, str]] = {}  # site id -> (read at, site, key hash)

    def create(self, name: str, origins: list[str], api_key: str | None = None,
               site_id: str | None = None) -> tuple[Site, str]:
        """Create a site; returns it and its API key (shown once, never stored in clear)."""
        api_key = api_key or new_api_key()
        site = Site(id=site_id or uuid.uuid4().hex[:16], name=name,
                    origins=tuple(normalize_origin(origin) for origin in origins),
                    created_at=round(time.time(), 6))  # as stored (microseconds)
        if not SITE_ID.fullmatch(site.id):
            raise ValueError(f"site id must match {SITE_ID.pattern}")
        key_hash = hash_api_key(api_key)
        # Three single-key writes (the index keys are global, the site's hash lives in its own
        # slot), in an order where a failure part-way leaves no key that works: the API key is
        # indexed last.
        self.redis.hset(keys.site_key(site.id), mapping={
            "id": site.id, "name": site.name, "origins": json.dumps(list(site.origins)),
            "api_key_hash": key_hash, "created_at": f"{site.created_at:.6f}",
        })
        self.redis.sadd(keys.sites_index_key(), site.id)
        self.redis.set(keys.site_api_key_index_key(key_hash), site.id)
        return site, api_key

    def replace_api_key(self, site_id: str, api_key: str | None = None) -> str:
        """Give a site a new key (the old one stops working); returns the new key."""
        api_key = api_key or new_api_key()
        old_hash = self.redis.hget(keys.site_key(site_id), "api_key_hash")
        new_hash = hash_api_key(api_key)
        # Single-key writes: the site's record names the new key before the old index entry goes
        # (authenticate() checks the hash in the record, so the old key stops working at once).
        self.redis.set(keys.site_api_key_index_key(new_hash), site_id)
        self.redis.hset(keys.site_key(site_id), "api_key_hash", new_hash)
        if old_hash and old_hash != new_hash:
            self.redis.delete(keys.site_api_key_index_key(old_hash))
        return api_key

    def set_origins(self, site_id: str, origins: list[str]) -> None:
        normalized = [normalize_origin(origin) for origin in origins]
        self.redis.hset(keys.site_key(site_id), "origins", json.dumps(normalized))

    def get(self, site_id: str) -> Site | None:
        return self._read(site_id)[0]

    def cached(self, site_id: str) -> Site | None:
        """:meth:`get`, from the per-process cache when it is fresh enough."""
        return self._record(site_id)[0]

    def authenticate(self, api_key: str) -> Site | None:
        """The site owning ``api_key``, or None. Compares hashes in constant time."""
        presented_hash = hash_api_key(api_key)
        site_id = self.redis.get(keys.site_api_key_index_key(presented_hash))
        if not site_id:
            return None
        site, stored_hash = self._record(site_id)
        if site is not None and not hmac.compare_digest(stored_hash, presented_hash):
            site, stored_hash = self._record(site_id, fresh=True)  # the cached record predates a new key
        if site is None or not hmac.compare_digest(stored_hash, presented_hash):
            return None
        return site

    def _record(self, site_id: str, fresh: bool = False) -> tuple[Site | None, str]:
        now = time.monotonic()
        cached = None if fresh else self._cache.get(site_id)
        if cached is not None and now - cached[0] < self.cache_seconds:
            return cached[1], cached[2]
        site, key_hash = self._read(site_id)
        if site is not None and self.cache_seconds > 0:
            if len(self._cache) >= MAX_CACHED_SITES:
                self._cache.clear()
            self._cache[site_id] = (now, site, key_hash)
        return site, key_hash

    def _read(self, site_id: str) -> tuple[Site | None, str]:
        data = self.redis.hgetall(keys.site_key(site_id))
        if not data:
            return None, ""
        site = Site(id=data["id"], name=data["name"], origins=tuple(json.loads(data["origins"])),
                    created_at=float(data["created_at"]))
        return site, data.get("api_key_hash", "")

    def all(self) -> list[Site]:
        sites = [self.get(site_id) for site_id in sorted(self.redis.smembers(keys.sites_index_key()))]
        return [site for site in sites if site is not None]
