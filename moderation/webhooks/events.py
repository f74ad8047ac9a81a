"""From an entry of a site's audit stream to a webhook event and its JSON body.

An entry is ``comment, from, to, actor`` (lua/prelude.lua); its id is the time in ms. Events:

- ``comment.created``: '' -> queued (the submission);
- ``comment.approved`` / ``.rejected`` / ``.spam`` / ``.pending``: a decision, by the policy or
  a moderator (a moderator dismissing readers' reports is approved -> approved);
- ``comment.taken_down``: approved -> rejected by a moderator (an account ``user:…`` or the
  admin token);
- ``comment.reported``: readers' reports put it in the Reported queue (to ``reported``).

Anything else (a worker's start, failures, erasures, exports) is no event. The body carries the
comment as it is when dispatched (normally within a second), with ``status`` the state the event
left it in; never its author's e-mail or IP, nor the site's commenter list entries that name them.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone

from moderation.store.comments import APPROVED, PENDING, QUEUED, REJECTED, SPAM, Comment

MODERATOR_PREFIXES = ("user:", "admin-token")
READER_PREFIX = "reader:"
REPORTED = "reported"
DECISION_STATES = (APPROVED, REJECTED, SPAM, PENDING)


def event_type(entry: dict) -> str | None:
    """The event an audit entry stands for, or None."""
    source, target, actor = entry.get("from", ""), entry.get("to", ""), entry.get("actor", "")
    if not entry.get("comment"):
        return None
    if target == QUEUED and source == "":
        return "comment.created"
    if target == REPORTED:
        return "comment.reported"
    if target == REJECTED and source == APPROVED and actor.startswith(MODERATOR_PREFIXES):
        return "comment.taken_down"
    if target in DECISION_STATES:
        return f"comment.{target}"
    return None


def actor_kind(actor: str) -> str:
    """Who made the change, as receivers see it: site, policy, moderator or reader (never a
    worker's host name)."""
    if actor.startswith(MODERATOR_PREFIXES):
        return "moderator"
    if actor.startswith(READER_PREFIX):
        return "reader"
    if actor.startswith("worker"):
        return "policy"
    return "site"


def event_id(entry_id: str) -> str:
    """The event's id: its audit entry's (unique in the site; the body names the site too)."""
    return f"evt_{entry_id}"


def payload(site_id: str, entry_id: str, entry: dict, event: str, comment: Comment | None) -> dict:
    """The JSON body of one event (docs/webhooks.md shows one)."""
    source, target, actor = entry.get("from", ""), entry.get("to", ""), entry.get("actor", "")
    status = source if target == REPORTED else target
    by = actor_kind(actor)
    document: dict = {"id": event_id(entry_id), "type": event, "site": site_id,
                      "created_at": iso_time(int(entry_id.split("-")[0]) / 1000)}
    if comment is None:  # removed since (a data request's erasure): only what the entry says
        document["comment"] = {"id": entry.get("comment", ""), "status": status}
        document["decision"] = {"from": source, "to": target, "by": by}
        return document
    document["comment"] = {
        "id": comment.id, "thread": comment.thread, "thread_url": comment.thread_url or None,
        "thread_title": comment.thread_title or None, "parent": comment.parent or None,
        "author": {"name": comment.author_name}, "status": status, "html": comment.html or None,
        "format": comment.format, "created_at": iso_time(comment.created_at),
    }
    decision: dict = {"from": source, "to": target, "by": by}
    if event != "comment.created":
        decision.update({
            "findings": public_findings(comment), "policy_version": comment.policy_version or None,
            "decided_at": iso_time(comment.decided_at),
        })
        if comment.score is not None:
            decision["score"] = comment.score
    if by == "moderator":
        decision.update({"moderated_by": comment.moderated_by or actor, "moderation_reason": comment.moderation_reason or None,
                         "moderated_at": iso_time(comment.moderated_at)})
    if event == "comment.reported":
        decision["reports"] = {"count": comment.reports, "reasons": dict(comment.report_reasons),
                               "hidden": comment.hidden_at is not None}
    document["decision"] = decision
    return document


def body_of(document: dict) -> str:
    """The exact text sent (and signed): compact JSON, UTF-8."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


_LIST_ENTRY = re.compile(r"\s*\([^()]*\)\s*$")


def public_findings(comment: Comment) -> list[dict]:
    """The decision's findings without what would name the author: the commenter-list entry a
    ban or trust matched (an address, a domain, a network) and any mention of their e-mail or IP."""
    hidden = [text for text in (comment.author_email, comment.client_ip) if text]
    found = []
    for finding in comment.reasons or ():
        if not isinstance(finding, dict):
            continue
        finding = dict(finding)
        detail = str(finding.get("detail", ""))
        if finding.get("rule") == "commenters":
            detail = _LIST_ENTRY.sub("", detail)
        for text in hidden:
            detail = re.sub(re.escape(text), "[redacted]", detail, flags=re.IGNORECASE)
        finding["detail"] = detail
        found.append(finding)
    return found


def iso_time(epoch_seconds: float | None) -> str | None:
    """Epoch seconds -> ``2026-12-06T01:14:22.123Z`` (None stays None)."""
    if epoch_seconds is None:
        return None
    moment = datetime.fromtimestamp(epoch_seconds, timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
