"""Dry run: decide a site's stored comments again under a proposed policy, change nothing.

Each comment's raw text is rendered again with its format and decided twice, under the site's
current policy and under the proposed one, so the two are compared on equal terms (today's
formats, today's lists). The report says how many decisions would change, in which direction,
which rules would act more or less, how the proposed policy agrees with what moderators
decided, and gives samples of the changes.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from moderation.formats import render
from moderation.formats.registry import UnknownFormat
from moderation.policy.engine import evaluate
from moderation.policy.model import Policy, merged_over
from moderation.store import keys

DECIDED = ("approved", "pending", "rejected", "spam")
SAMPLES_PER_DIRECTION = 5


@dataclass
class ReplayReport:
    current_version: str
    proposed_digest: str
    compared: int = 0
    changed: int = 0
    directions: Counter = field(default_factory=Counter)       # "approved -> pending": count
    codes_added: Counter = field(default_factory=Counter)      # reason codes acting only under the proposal
    codes_removed: Counter = field(default_factory=Counter)
    moderated: int = 0                                         # comments a moderator decided
    agrees_with_moderators: dict = field(default_factory=lambda: {"current": 0, "proposed": 0})
    samples: dict = field(default_factory=dict)                 # direction -> [sample]
    skipped: int = 0                                            # unknown format now

    def to_dict(self) -> dict:
        return {"current_version": self.current_version, "proposed_digest": self.proposed_digest,
                "compared": self.compared, "changed": self.changed, "unchanged": self.compared - self.changed,
                "directions": dict(self.directions.most_common()), "codes_added": dict(self.codes_added.most_common()),
                "codes_removed": dict(self.codes_removed.most_common()), "moderated": self.moderated,
                "agrees_with_moderators": self.agrees_with_moderators, "samples": self.samples,
                "skipped": self.skipped}


def replay(store, site_id: str, changes: dict, *, limit: int = 5000, replace: bool = False,
           progress=None) -> ReplayReport:
    """Replay up to ``limit`` decided comments of the site (``changes`` laid over the current
    policy, or over the defaults with ``replace``). ``progress(done, total)`` is called as it goes."""
    current = store.policies.current_uncached(site_id)
    proposed = Policy.from_dict(merged_over(store.policies.defaults() if replace else current, changes),
                                version="proposed")
    report = ReplayReport(current.version, proposed.digest())
    comment_ids = _decided_comment_ids(store, site_id, limit)
    for done, comment_id in enumerate(comment_ids, 1):
        comment = store.get(site_id, comment_id)
        if comment is not None and comment.status in DECIDED:
            _compare(report, comment, current, proposed)
        if progress:
            progress(done, len(comment_ids))
    return report


def _decided_comment_ids(store, site_id: str, limit: int) -> list[str]:
    """Up to ``limit`` comment ids of the site (the scan's order: no particular one)."""
    pattern = keys.comment_key(site_id, "*")
    prefix = len(keys.comment_key(site_id, ""))
    found = []
    for key in store.redis.scan_iter(match=pattern, count=1000):
        found.append(key[prefix:])
        if len(found) >= limit:
            break
    return found


def _compare(report: ReplayReport, comment, current: Policy, proposed: Policy) -> None:
    try:
        rendered = render(comment.body, comment.format)
    except UnknownFormat:
        report.skipped += 1
        return
    context = {"thread": comment.thread, "author_email": comment.author_email}
    before = evaluate(current, rendered.html, rendered.report.to_dict(), **context)
    after = evaluate(proposed, rendered.html, rendered.report.to_dict(), **context)
    report.compared += 1
    if comment.moderated_by:
        report.moderated += 1
        report.agrees_with_moderators["current"] += before.status == comment.status
        report.agrees_with_moderators["proposed"] += after.status == comment.status
    codes_before, codes_after = set(before.reason_codes), set(after.reason_codes)
    report.codes_added.update(codes_after - codes_before)
    report.codes_removed.update(codes_before - codes_after)
    if before.status == after.status:
        return
    report.changed += 1
    direction = f"{before.status} -> {after.status}"
    report.directions[direction] += 1
    samples = report.samples.setdefault(direction, [])
    if len(samples) < SAMPLES_PER_DIRECTION:
        samples.append({"id": comment.id, "thread": comment.thread, "stored_status": comment.status,
                        "text": comment.body[:300], "findings": [finding.to_dict() for finding in after.findings]})
