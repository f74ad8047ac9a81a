"""Flood control at the intake: sliding windows per commenter and per site, counted in Redis.

Three limits, each over a sliding window:

- per commenter **IP** (``client.ip`` as the site reports it): only when the site sends one. A
  site's server posting without it would otherwise put all its readers behind its own address,
  and one busy thread would lock the whole site out;
- per commenter **e-mail** (lower-cased, ``+tag`` dropped): rotating ``client.ip`` no longer
  gets a flood through;
- per **site**: a ceiling on everything the site sends, whatever it says about its readers.

A sliding window is estimated from two fixed windows, the current and the previous one,
weighted by how much of the previous still lies within the last ``window`` seconds (the
estimate is exact for evenly spread traffic and never far off otherwise). The counting happens
inside the comment-creating script (``lua/create_comment.lua``): every limit is checked first,
and only a submission that passes them all is counted, so a refused flood does not extend its
own ban; this module only says which counters and with which weights.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from moderation.commenter import normalized_email
from moderation.store import keys


@dataclass(frozen=True)
class RateWindow:
    """One sliding-window counter for one scope of one site, at one moment."""

    scope: str            # "ip" | "email" | "site"
    key: str              # the current fixed window's counter
    previous_key: str     # the previous one's
    limit: int
    previous_weight: float  # the share of the previous window still inside the sliding window
    expire_seconds: int   # a counter lives two windows (it is the previous one for a while)
    retry_after_seconds: int  # until the current fixed window ends


@dataclass(frozen=True)
class RateLimit:
    """``limit`` submissions per ``window_seconds`` for one scope."""

    limit: int
    window_seconds: int

    def window(self, site_id: str, scope: str, subject: str, now: float | None = None) -> RateWindow:
        now = time.time() if now is None else now
        start = int(now // self.window_seconds) * self.window_seconds
        elapsed = now - start
        return RateWindow(
            scope=scope,
            key=keys.rate_limit_key(site_id, f"{scope}:{subject}", start),
            previous_key=keys.rate_limit_key(site_id, f"{scope}:{subject}", start - self.window_seconds),
            limit=self.limit, previous_weight=max(0.0, 1.0 - elapsed / self.window_seconds),
            expire_seconds=2 * self.window_seconds + 1,
            retry_after_seconds=max(1, int(start + self.window_seconds - now + 0.999)),
        )


@dataclass(frozen=True)
class FloodControl:
    """The intake's limits: per commenter (IP and e-mail, each) and per site (None: off)."""

    commenter: RateLimit | None
    site: RateLimit | None

    def windows(self, site_id: str, client_ip: str = "", email: str = "", now: float | None = None) -> list[RateWindow]:
        now = time.time() if now is None else now
        found = []
        if self.commenter and client_ip:
            found.append(self.commenter.window(site_id, "ip", client_ip, now))
        if self.commenter and email:
            found.append(self.commenter.window(site_id, "email", normalized_email(email), now))
        if self.site:
            found.append(self.site.window(site_id, "site", "", now))
        return found
