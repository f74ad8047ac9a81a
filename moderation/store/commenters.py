"""Commenters' recent decisions per site, for the policy's ``pre_new`` and recent-history rules.

One capped list per commenter (``keys.commenter_history_key``): a letter per decision, newest
first, the last 20, forgotten 180 days after the last one. The worker adds its decisions, and
a moderator's action adds theirs (approving a held comment counts as an approval).
"""
from __future__ import annotations

import redis

from moderation.store import keys

LETTERS = {"approved": "a", "pending": "p", "rejected": "r", "spam": "s"}
KEEP = 20
KEEP_SECONDS = 180 * 86400


class CommenterHistory:
    def __init__(self, client: redis.Redis):
        self.redis = client

    def recent(self, site_id: str, commenters: list[str]) -> list[str]:
        """Each commenter's recent decisions as letters, newest first (one round trip)."""
        wanted = [commenter for commenter in commenters if commenter]
        pipe = self.redis.pipeline(transaction=False)
        for commenter in wanted:
            pipe.lrange(keys.commenter_history_key(site_id, commenter), 0, KEEP - 1)
        found = dict(zip(wanted, pipe.execute() if wanted else ()))
        return ["".join(found.get(commenter, ())) for commenter in commenters]

    def record(self, site_id: str, decisions: list[tuple[str, str]]) -> None:
        """Add (commenter, status) decisions (one round trip); statuses other than decisions are left out."""
        entries = [(commenter, LETTERS[status]) for commenter, status in decisions
                   if commenter and status in LETTERS]
        if not entries:
            return
        pipe = self.redis.pipeline(transaction=False)
        for commenter, letter in entries:
            key = keys.commenter_history_key(site_id, commenter)
            pipe.lpush(key, letter)
            pipe.ltrim(key, 0, KEEP - 1)
            pipe.expire(key, KEEP_SECONDS)
        pipe.execute()
