"""Sites: who may post, with which API keys, from which browser origins.

A site has any number of API keys of two kinds: **secret** keys (``mk_`` prefix) for its
servers, and **public** site keys (``pk_``) for readers' browsers, which the API accepts only
from the site's origins and only on the endpoints a page needs (listing, formats, posting,
reports). A key is 32 random bytes; only its sha256 is stored (in the site's ``keys`` hash and
in the global key index), shown once when made. A presented key is hashed, looked up, and
compared with the stored hash using :func:`hmac.compare_digest`; high-entropy keys make a
plain (unsalted) hash sufficient.

Rotation makes a new key of the same kind and lets the old one live ``grace_seconds`` longer
(its record says until when, its index entry expires then); revocation ends a key at once.

Authentication costs one round trip: the key index is read every time (so a revoked key stops
working at once), while the site's record (name, origins, settings, key records) may come from
a per-process cache kept ``cache_seconds`` (MODERATION_SITE_CACHE_SECONDS): a change of origins
reaches every API process within that time. A site made before keys had records keeps its one
key as the secret key ``primary`` until that is rotated.
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

API_KEY_PREFIX = "mk_"      # secret keys (servers)
PUBLIC_KEY_PREFIX = "pk_"   # public site keys (readers' browsers)
KEY_KINDS = {"secret": API_KEY_PREFIX, "public": PUBLIC_KEY_PREFIX}
LEGACY_KEY_ID = "primary"   # the key of a site stored before key records (its site hash's api_key_hash)


def new_api_key(kind: str = "secret") -> str:
    return KEY_KINDS[kind] + secrets.token_urlsafe(32)


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
    default_format: str = ""  # the format a comment without one gets ('' = the service's default)

    def allows_origin(self, origin: str | None) -> bool:
        if not origin:
            return False
        try:
            return normalize_origin(origin) in self.origins
        except ValueError:
            return False


@dataclass(frozen=True)
class ApiKey:
    """One key's record (never the key itself)."""

    id: str
    kind: str             # "secret" | "public"
    key_hash: str
    created_at: float
    expires_at: float | None = None  # set while a rotated key lives out its grace period
    label: str = ""

    def live(self, now: float | None = None) -> bool:
        return self.expires_at is None or (time.time() if now is None else now) < self.expires_at

    def to_dict(self) -> dict:
        return {"id": self.id, "kind": self.kind, "created_at": self.created_at, "expires_at": self.expires_at,
                "label": self.label}


class SiteStore:
    """Sites, their settings and their hashed API keys."""

    def __init__(self, client: redis.Redis, cache_seconds: float = 0.0):
        self.redis = client
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, Site, dict[str, ApiKey]]] = {}  # id -> (read at, site, keys)

    def create(self, name: str, origins: list[str], api_key: str | None = None,
               site_id: str | None = None) -> tuple[Site, str]:
        """Create a site with one secret key; returns the site and that key (shown once)."""
        site = Site(id=site_id or uuid.uuid4().hex[:16], name=name,
                    origins=tuple(normalize_origin(origin) for origin in origins),
                    created_at=round(time.time(), 6))  # as stored (microseconds)
        if not SITE_ID.fullmatch(site.id):
            raise ValueError(f"site id must match {SITE_ID.pattern}")
        self.redis.hset(keys.site_key(site.id), mapping={
            "id": site.id, "name": site.name, "origins": json.dumps(list(site.origins)),
            "created_at": f"{site.created_at:.6f}"})
        self.redis.sadd(keys.sites_index_key(), site.id)
        _record, api_key = self.create_key(site.id, "secret", api_key=api_key)
        return site, api_key

    # -- keys ------------------------------------------------------------------------------------
    def create_key(self, site_id: str, kind: str, label: str = "", api_key: str | None = None) -> tuple[ApiKey, str]:
        """A new key of ``kind`` for the site: its record and the key (shown once)."""
        if kind not in KEY_KINDS:
            raise ValueError(f"key kind must be one of {', '.join(KEY_KINDS)}")
        api_key = api_key or new_api_key(kind)
        record = ApiKey(id="k_" + secrets.token_hex(6), kind=kind, key_hash=hash_api_key(api_key),
                        created_at=round(time.time(), 6), label=label[:100])
        # The record first, the index last: a failure part-way leaves no key that works.
        self.redis.hset(keys.site_keys_key(site_id), record.id, _key_json(record))
        self.redis.set(keys.site_api_key_index_key(record.key_hash), site_id)
        self._cache.pop(site_id, None)
        return record, api_key

    def api_keys(self, site_id: str) -> list[ApiKey]:
        """The site's live keys, oldest first."""
        return sorted((key for key in self._read(site_id)[1].values() if key.live()), key=lambda key: key.created_at)

    def rotate_key(self, site_id: str, key_id: str, grace_seconds: int = 0) -> tuple[ApiKey, str]:
        """A new key of the same kind and label; the old one keeps working ``grace_seconds`` more."""
        old = self._read(site_id)[1].get(key_id)
        if old is None or not old.live():
            raise KeyError(key_id)
        record, api_key = self.create_key(site_id, old.kind, old.label)
        if grace_seconds > 0:
            expiring = ApiKey(old.id, old.kind, old.key_hash, old.created_at,
                              round(time.time() + grace_seconds, 6), old.label)
            self._write_key(site_id, expiring)
            self.redis.expire(keys.site_api_key_index_key(old.key_hash), grace_seconds)
        else:
            self.revoke_key(site_id, key_id)
        return record, api_key

    def revoke_key(self, site_id: str, key_id: str) -> bool:
        """End a key at once; False when the site has no such key."""
        return self._drop_key(site_id, key_id, drop_index=True)

    def _drop_key(self, site_id: str, key_id: str, drop_index: bool) -> bool:
        old = self._read(site_id)[1].get(key_id)
        if old is None:
            return False
        if drop_index:
            self.redis.delete(keys.site_api_key_index_key(old.key_hash))  # the index first: it stops working now
        if key_id == LEGACY_KEY_ID:
            self.redis.hdel(keys.site_key(site_id), "api_key_hash")
        self.redis.hdel(keys.site_keys_key(site_id), key_id)
        self._cache.pop(site_id, None)
        return True

    def replace_api_key(self, site_id: str, api_key: str | None = None) -> str:
        """Give a site a new secret key; every other secret key stops working at once."""
        record, api_key = self.create_key(site_id, "secret", api_key=api_key)
        for key in self._read(site_id)[1].values():
            if key.kind == "secret" and key.id != record.id:  # the same key given again keeps its index entry
                self._drop_key(site_id, key.id, drop_index=key.key_hash != record.key_hash)
        return api_key

    def _write_key(self, site_id: str, record: ApiKey) -> None:
        if record.id == LEGACY_KEY_ID:  # moved into the key records, so it can carry an expiry
            self.redis.hdel(keys.site_key(site_id), "api_key_hash")
        self.redis.hset(keys.site_keys_key(site_id), record.id, _key_json(record))
        self._cache.pop(site_id, None)

    # -- settings --------------------------------------------------------------------------------
    def set_origins(self, site_id: str, origins: list[str]) -> None:
        normalized = [normalize_origin(origin) for origin in origins]
        self.redis.hset(keys.site_key(site_id), "origins", json.dumps(normalized))
        self._cache.pop(site_id, None)

    def update(self, site_id: str, *, name: str | None = None, default_format: str | None = None) -> Site:
        """Change the site's name or default format ('' = the service's)."""
        fields = {}
        if name is not None:
            if not name.strip() or len(name) > 100:
                raise ValueError("a site's name is 1 to 100 characters")
            fields["name"] = name.strip()
        if default_format is not None:
            fields["default_format"] = default_format
        if fields:
            self.redis.hset(keys.site_key(site_id), mapping=fields)
        self._cache.pop(site_id, None)
        return self.get(site_id)

    # -- reading ---------------------------------------------------------------------------------
    def get(self, site_id: str) -> Site | None:
        return self._read(site_id)[0]

    def cached(self, site_id: str) -> Site | None:
        """:meth:`get`, from the per-process cache when it is fresh enough."""
        return self._record(site_id)[0]

    def authenticate(self, api_key: str) -> Site | None:
        """The site owning ``api_key`` (any kind), or None."""
        found = self.authenticate_key(api_key)
        return found[0] if found else None

    def authenticate_key(self, api_key: str) -> tuple[Site, ApiKey] | None:
        """The site owning ``api_key`` and the key's record, or None. Compares hashes in constant time."""
        presented_hash = hash_api_key(api_key)
        site_id = self.redis.get(keys.site_api_key_index_key(presented_hash))
        if not site_id:
            return None
        site, records = self._record(site_id)
        record = _matching(records, presented_hash)
        if site is not None and record is None:
            site, records = self._record(site_id, fresh=True)  # the cached records predate a new key
            record = _matching(records, presented_hash)
        if site is None or record is None:
            return None
        return site, record

    def _record(self, site_id: str, fresh: bool = False) -> tuple[Site | None, dict[str, ApiKey]]:
        now = time.monotonic()
        cached = None if fresh else self._cache.get(site_id)
        if cached is not None and now - cached[0] < self.cache_seconds:
            return cached[1], cached[2]
        site, records = self._read(site_id)
        if site is not None and self.cache_seconds > 0:
            if len(self._cache) >= MAX_CACHED_SITES:
                self._cache.clear()
            self._cache[site_id] = (now, site, records)
        return site, records

    def _read(self, site_id: str) -> tuple[Site | None, dict[str, ApiKey]]:
        pipe = self.redis.pipeline(transaction=False)  # one slot: the site's hash tag
        pipe.hgetall(keys.site_key(site_id))
        pipe.hgetall(keys.site_keys_key(site_id))
        data, stored_keys = pipe.execute()
        if not data:
            return None, {}
        site = Site(id=data["id"], name=data["name"], origins=tuple(json.loads(data["origins"])),
                    created_at=float(data["created_at"]), default_format=data.get("default_format", ""))
        records = {key_id: _key_from_json(key_id, value) for key_id, value in stored_keys.items()}
        if data.get("api_key_hash"):
            records.setdefault(LEGACY_KEY_ID, ApiKey(LEGACY_KEY_ID, "secret", data["api_key_hash"], site.created_at))
        return site, records

    def all(self) -> list[Site]:
        sites = [self.get(site_id) for site_id in sorted(self.redis.smembers(keys.sites_index_key()))]
        return [site for site in sites if site is not None]


def _matching(records: dict[str, ApiKey], presented_hash: str) -> ApiKey | None:
    """The live record whose hash is ``presented_hash`` (every one compared in constant time)."""
    found = None
    for record in records.values():
        if hmac.compare_digest(record.key_hash, presented_hash) and record.live():
            found = record
    return found


def _key_json(record: ApiKey) -> str:
    return json.dumps({"kind": record.kind, "hash": record.key_hash, "created_at": record.created_at,
                       "expires_at": record.expires_at, "label": record.label})


def _key_from_json(key_id: str, value: str) -> ApiKey:
    data = json.loads(value)
    return ApiKey(key_id, data["kind"], data["hash"], float(data["created_at"]), data.get("expires_at"),
                  data.get("label", ""))
