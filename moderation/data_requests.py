"""Commenters' data requests (GDPR access and erasure): export everything held about an e-mail
address, and erase it, audited. Plain functions: the dashboard calls them with the actor.

**What is matched**: the address normalised as the store keys commenters (lower case, without a
``+tag``: ``Ada+news@Example.org`` is ``ada@example.org``;
:func:`moderation.commenter.normalized_email`), through the site's index of that commenter's
comments (``keys.commenter_comments_key``, written at intake). Comments posted *without* an
e-mail address are indexed by the IP the site reported and are **not** found by an address;
neither are comments that merely mention it in their text.

**Export** (:func:`export`) reads; it writes only one site-level entry per site in the audit
stream (``to`` "exported", the actor, a count: no personal data).

**Erasure** (:func:`erase`), per site, as the site's policy says (``privacy.erasure``) unless the
caller says otherwise:

- ``anonymise``: the comment stays where it is with its status, body and HTML; its author name
  becomes ``privacy.erased_name`` ("[erased]"), and the e-mail address, client IP, user agent,
  referrer and Idempotency-Key are deleted (as is the response stored under that key). Findings
  of the commenters rule that name a list entry lose it. ``erased_at`` marks the comment.
- ``remove``: the comment's hash is deleted and its id leaves every index that can hold it
  (thread, queued/processing sets, ready list, pending, rejected and spam queues, dead letters).
  Replies to it stay (their ``parent`` names a comment no longer listed, as for any unpublished
  parent).

Either way the comment leaves the commenter's index, one audit entry per comment goes to the
site's stream (``to`` "erased", ``detail`` "erased: anonymised" or "erased: removed", the actor)
and, when kept, to its own history; then the commenter's recent decisions are deleted. One Lua
script per comment (one slot: the site's). Erasing again finds nothing and changes nothing.

**Comments in flight**: a queued comment is simply anonymised or removed (the worker reads it
afresh when it starts). A comment a worker is processing holds a copy the worker read before;
removed, the worker's decision finds no comment and writes nothing. Anonymised, it is sent back
to the queue (``requeued``): the worker's decision, allowed only from ``processing``, is skipped
(so it neither stores findings nor records a decision made from the e-mail address), and the
comment is decided again from what is left (``wake`` the site, or the sweeper sends it).

Not touched: the site's policy (an address or domain on the banned or trusted list stays there:
a moderator lifts it; :func:`export` reports it), the audit stream's earlier entries (ids,
states and actors only), aggregate counters (decision statistics, the spam model's word counts),
flood-control counters (keyed by a digest of the address, gone within two rate windows) and the
global near-duplicate index (comment ids and text digests, gone within two days).
"""
from __future__ import annotations

import dataclasses
import datetime
import json
from dataclasses import dataclass
from typing import Callable, Iterable

from moderation.commenter import normalized_email
from moderation.policy.model import ERASURE_MODES
from moderation.store.commenter_data import CommenterData, ErasureTarget
from moderation.store.commenters import LETTERS
from moderation.store.comments import HISTORY_FIELDS, Comment, CommentStore

PAGE = 200          # comments read (and erased) per round trip
MAX_ATTEMPTS = 5    # a comment that changes under each of this many erasure attempts: ErasureConflict
DECISIONS = {letter: status for status, letter in LETTERS.items()}
# Findings of the commenters rule whose detail names the list entry that matched (an address).
LIST_FINDINGS = {"banned_commenter": "the commenter is banned (list entry erased)",
                 "trusted_commenter": "a trusted commenter (list entry erased)"}


class ErasureConflict(RuntimeError):
    """A comment kept changing while it was being erased; what was erased stays erased: run
    the erasure again."""


@dataclass(frozen=True)
class ErasureReport:
    """What :func:`erase` did in one site: comment ids by outcome (posting order)."""

    site_id: str
    mode: str                       # "anonymise" | "remove"
    anonymised: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    requeued: tuple[str, ...] = ()  # of ``anonymised``: a worker was processing them; decided again
    already_erased: tuple[str, ...] = ()  # anonymised by an earlier erasure: nothing more to do

    @property
    def anonymised_count(self) -> int:
        return len(self.anonymised)

    @property
    def removed_count(self) -> int:
        return len(self.removed)

    def to_dict(self) -> dict:
        return {**dataclasses.asdict(self), "anonymised_count": self.anonymised_count,
                "removed_count": self.removed_count}


def export(store: CommentStore, site_ids: Iterable[str], email: str, actor: str) -> dict:
    """Everything held about ``email`` in each of ``site_ids``, JSON-ready (module docstring):

    ``{"address", "commenter", "exported_at", "sites": {site_id: {"comments": [...],
    "recent_decisions": [...], "commenter_lists": {"banned": [...], "trusted": [...]},
    "policy_version", "erasure"}}}``. Each comment has every stored field (raw ``body``, ``html``,
    author name and e-mail, client IP, user agent and referrer, thread, status, timestamps in
    epoch seconds, ``reasons`` (findings), ``report``, versions, moderation) and its ``history``.
    ``recent_decisions``: the commenter's last decisions, newest first. ``commenter_lists``: the
    entries of the site's lists that name the address or its domain. Records one audit entry per
    site, naming ``actor``. ValueError when ``email`` is not an address.
    """
    address = _address(email)
    commenter = f"email:{address}"
    data = CommenterData(store.redis, store.audit_stream_max)
    sites = {}
    for site_id in site_ids:
        comments = []
        start = 0
        while True:
            ids = data.comment_ids(site_id, commenter, start, PAGE)
            comments += [_comment_document(fields) for fields in data.stored(site_id, ids) if fields]
            if len(ids) < PAGE:
                break
            start += PAGE
        policy = store.policies.current_uncached(site_id)
        sites[site_id] = {
            "comments": comments,
            "recent_decisions": [DECISIONS.get(letter, letter) for letter in data.recent_decisions(site_id, commenter)],
            "commenter_lists": {"banned": _entries_naming(policy.commenters.banned, address),
                                "trusted": _entries_naming(policy.commenters.trusted, address)},
            "policy_version": policy.version,
            "erasure": policy.privacy.erasure,
        }
        data.record_export(site_id, actor, f"data request: export of {len(comments)} comments")
    return {"address": address, "commenter": commenter, "exported_at": _iso_now(), "sites": sites}


def erase(store: CommentStore, site_id: str, email: str, actor: str, mode: str | None = None, *,
          wake: Callable[[str], None] | None = None, request_id: str = "") -> ErasureReport:
    """Erase ``email``'s comments in the site (module docstring) as ``actor``; ``mode``
    "anonymise" or "remove", default the site policy's ``privacy.erasure``. ``wake(site_id)`` is
    called when a comment was sent back to the queue (else the sweeper sends it). ``request_id``:
    the data request's, recorded in the history of anonymised comments. ValueError for a wrong
    address or mode; ErasureConflict when a comment kept changing (run it again)."""
    address = _address(email)
    policy = store.policies.current_uncached(site_id)
    mode = mode or policy.privacy.erasure
    if mode not in ERASURE_MODES:
        raise ValueError(f"unknown erasure mode {mode!r} (one of {', '.join(ERASURE_MODES)})")
    commenter = f"email:{address}"
    data = CommenterData(store.redis, store.audit_stream_max)
    done: dict[str, list[str]] = {"anonymised": [], "requeued": [], "removed": [], "unchanged": []}
    while ids := data.comment_ids(site_id, commenter, 0, PAGE):
        for _attempt in range(MAX_ATTEMPTS):
            targets = [_target(comment_id, fields, scrub=mode == "anonymise")
                       for comment_id, fields in zip(ids, data.stored(site_id, ids))]
            erased = data.erase(site_id, commenter, targets, mode=mode, actor=actor,
                                erased_name=policy.privacy.erased_name, request_id=request_id)
            for result in erased:
                if result.outcome in done:
                    done[result.outcome].append(result.comment_id)
            ids = [result.comment_id for result in erased if result.outcome == "stale"]
            if not ids:
                break
        else:
            raise ErasureConflict(f"comments {', '.join(ids)} kept changing; run the erasure again")
    data.forget(site_id, commenter)
    if done["requeued"] and wake is not None:
        wake(site_id)
    return ErasureReport(site_id, mode, anonymised=tuple(done["anonymised"] + done["requeued"]),
                         removed=tuple(done["removed"]), requeued=tuple(done["requeued"]),
                         already_erased=tuple(done["unchanged"]))


def _address(email: str) -> str:
    address = normalized_email(email or "")
    mailbox, _, domain = address.rpartition("@")
    if not mailbox or not domain:
        raise ValueError("not an e-mail address")
    return address


def _target(comment_id: str, fields: dict[str, str], scrub: bool) -> ErasureTarget:
    """What the script needs of a comment as read ({} when it is gone)."""
    return ErasureTarget(comment_id, thread=fields.get("thread", ""), updated_at=fields.get("updated_at", ""),
                         reasons=_scrubbed_reasons(fields.get("reasons", "")) if scrub else "",
                         idempotency_key=fields.get("idempotency_key", ""))


def _scrubbed_reasons(reasons: str) -> str:
    """The findings without the list entry the commenters rule named ('' when none did)."""
    if not reasons:
        return ""
    findings = json.loads(reasons)
    changed = False
    for finding in findings:
        detail = LIST_FINDINGS.get(finding.get("code", "")) if finding.get("rule") == "commenters" else None
        if detail is not None and finding.get("detail") != detail:
            finding["detail"] = detail
            changed = True
    return json.dumps(findings, separators=(",", ":"), ensure_ascii=False) if changed else ""


def _comment_document(fields: dict[str, str]) -> dict:
    """A stored comment as JSON-ready data: every field of its hash, typed (the raw body
    unpacked, findings, report and history parsed)."""
    comment = Comment.from_hash(fields)
    document = dataclasses.asdict(comment)
    for name, value in fields.items():  # fields the dataclass does not know (erased_at, ...)
        if name not in document and name not in ("body_z", "history"):
            document[name] = value
    document["history"] = [dict(zip(HISTORY_FIELDS, entry), request_id=entry[5] or comment.request_id)
                           for entry in json.loads(fields.get("history") or "[]")]
    return document


def _entries_naming(entries: Iterable[str], address: str) -> list[str]:
    """The list entries that name the address (in any spelling of it) or its domain (or a parent
    domain: ``@example.org`` names ``ada@news.example.org``)."""
    domain = address.rpartition("@")[2]
    found = []
    for entry in entries:
        folded = entry.strip().lower()
        if folded.startswith("@"):
            if domain == folded[1:] or domain.endswith("." + folded[1:]):
                found.append(entry)
        elif "@" in folded and normalized_email(folded) == address:
            found.append(entry)
    return found


def _iso_now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
