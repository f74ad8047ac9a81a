"""The intake's rate limit: a fixed window per site and commenter, counted in Redis.

The counting happens inside the comment-creating script
(``lua/create_comment.lua``: INCR, EXPIRE on the first hit), so a submission
costs no separate round trip for it; this module only says which counter and
for how long.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from moderation.store import keys


@dataclass(frozen=True)
class RateWindow:
    """The counter for one (site, commenter) in the current window."""

    key: str
    limit: int
    expire_seconds: int  # the counter outlives its window by a second
    retry_after_seconds: int  # until the next window starts


@dataclass(frozen=True)
class RateLimit:
    """``limit`` submissions per ``window_seconds`` per (site, commenter)."""

    limit: int
    window_seconds: int

    def window(self, site_id: str, client: str, now: float | None = None) -> RateWindow:
        now = time.time() if now is None else now
        window_start = int(now // self.window_seconds) * self.window_seconds
        return RateWindow(
            key=keys.rate_limit_key(site_id, client, window_start), limit=self.limit,
            expire_seconds=self.window_seconds + 1,
            retry_after_seconds=max(1, int(window_start + self.window_seconds - now + 0.999)),
        )
