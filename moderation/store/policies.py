"""Sites' moderation policies in Redis: the current version, and every version saved.

A site without a saved policy uses the defaults file's (``config/policy.toml``). Saving
validates the whole policy (a partial change is laid over the current one), gives it the next
version number (``v1``, ``v2``, ...) and keeps the old ones: every decision names the version
that made it, and ``version(site, "v3")`` reads it back.

Workers read the current policy at most every ``cache_seconds`` per site (default 2 s): a
saved policy applies to comments decided from then on, within that delay.
"""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import redis

from moderation.policy.model import Policy, default_policy, merged_over
from moderation.store import keys, scripts


class PolicyStore:
    def __init__(self, client: redis.Redis, defaults_file: Path | None = None, cache_seconds: float = 2.0):
        self.redis = client
        self.cache_seconds = cache_seconds
        self._defaults_file = defaults_file
        self._save = scripts.register(client, "save_policy")
        self._cache: dict[str, tuple[float, Policy]] = {}
        self._parsed: dict[tuple[str, str], Policy] = {}
        self._lock = threading.Lock()

    def defaults(self) -> Policy:
        return _defaults(self._defaults_file)

    def current(self, site_id: str) -> Policy:
        """The site's policy in force (cached up to ``cache_seconds``)."""
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(site_id)
        if cached and now - cached[0] < self.cache_seconds:
            return cached[1]
        version, settings = self.redis.hmget(keys.policy_key(site_id), "version", "settings")
        policy = self._parse(site_id, f"v{version}", settings) if version and settings else self.defaults()
        with self._lock:
            self._cache[site_id] = (now, policy)
        return policy

    def save(self, site_id: str, changes: dict, actor: str, *, replace: bool = False) -> Policy:
        """Validate and save: ``changes`` laid over the current policy (or over the defaults,
        with ``replace``). Raises PolicyError (nothing saved) when the result is not valid."""
        base = self.defaults() if replace else self.current_uncached(site_id)
        policy = Policy.from_dict(merged_over(base, changes))
        settings = json.dumps(policy.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        number = self._save(keys=[keys.policy_key(site_id), keys.policy_history_key(site_id)],
                            args=[settings, f"{time.time():.6f}", actor])
        with self._lock:
            self._cache.pop(site_id, None)
        return Policy.from_dict(policy.to_dict(), version=f"v{number}")

    def current_uncached(self, site_id: str) -> Policy:
        with self._lock:
            self._cache.pop(site_id, None)
        return self.current(site_id)

    def history(self, site_id: str, limit: int = 100) -> list[dict]:
        """Saved versions, newest first: version, settings, updated_at, updated_by."""
        return [json.loads(entry) for entry in self.redis.lrange(keys.policy_history_key(site_id), 0, limit - 1)]

    def version(self, site_id: str, version: str) -> Policy | None:
        """A version by name (``v3`` or the defaults' ``default-…``), or None."""
        if version == self.defaults().version:
            return self.defaults()
        for entry in self.history(site_id, limit=10_000):
            if f"v{entry['version']}" == version:
                return Policy.from_dict(entry["settings"], version=version)
        return None

    def _parse(self, site_id: str, version: str, settings: str) -> Policy:
        key = (site_id, version)
        with self._lock:
            found = self._parsed.get(key)
        if found is None:
            found = Policy.from_dict(json.loads(settings), version=version)
            with self._lock:
                if len(self._parsed) > 1000:
                    self._parsed.clear()
                self._parsed[key] = found
        return found


_defaults_cache: dict = {}


def _defaults(path: Path | None) -> Policy:
    found = _defaults_cache.get(path)
    if found is None:
        found = _defaults_cache[path] = default_policy(path)
    return found
