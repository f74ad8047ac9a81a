"""What a moderator can do to a comment (approve, reject, mark spam, hold, take down) and to
its author (ban, trust).

One code path for every caller (the admin API now, the dashboard next): each action is one
compare-and-set state change (``CommentStore.transition``) from the states it may start from,
audited with who did it and why (the comment's history and the site's audit stream), and
teaching the site's spam model (spam and approvals of held comments). Doing
the same action again changes nothing ("unchanged"); an action its state does not allow is a
conflict. Approving renders the raw text again with the current format version, so what is
published is what today's rules make of it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from moderation.commenter import commenter_id, normalized_email
from moderation.formats import render
from moderation.formats.registry import UnknownFormat
from moderation.policy import spam_providers
from moderation.policy.spam_model import HAM as HAM_LABEL
from moderation.policy.spam_model import SPAM as SPAM_LABEL
from moderation.policy.spam_model import text_features
from moderation.policy.model import commenter_entry_problem
from moderation.policy.text import comment_text
from moderation.processing import stored_report
from moderation.store.comments import APPROVED, FAILED, PENDING, REJECTED, SPAM, Comment, CommentStore

# action -> (states it may start from, state it leads to)
ACTIONS = {
    "approve": (frozenset({PENDING, REJECTED, SPAM, FAILED}), APPROVED),
    "reject": (frozenset({PENDING, APPROVED, SPAM}), REJECTED),
    "spam": (frozenset({PENDING, APPROVED, REJECTED}), SPAM),
    "hold": (frozenset({APPROVED, REJECTED, SPAM}), PENDING),
    "take_down": (frozenset({APPROVED}), REJECTED),
}
# Every action on a comment in the Reported queue (readers' reports) takes it out: approve keeps it
# published (a dismissal of the reports, listed again if they hid it), the others move it on.
REJECT_REASONS = ("offensive", "abusive", "spam", "off_topic", "legal", "other")
MAX_NOTE = 2000


class ActionError(Exception):
    """An action that cannot be done: ``status`` 404 (no such comment), 409 (not from its
    state), 422 (a wrong action, reason or note)."""

    def __init__(self, status: int, message: str, current_status: str = ""):
        super().__init__(message)
        self.status = status
        self.current_status = current_status


@dataclass(frozen=True)
class ActionResult:
    outcome: str  # "changed" | "unchanged"
    comment: Comment


def apply_action(store: CommentStore, site_id: str, comment_id: str, action: str, actor: str,
                 reason: str = "", note: str = "") -> ActionResult:
    """Do ``action`` on the comment as ``actor`` (module docstring)."""
    allowed_from, to = _check(action, reason, note)
    comment = store.get(site_id, comment_id)
    if comment is None:
        raise ActionError(404, "No such comment.")
    # Approving a published comment that readers' reports put in the Reported queue dismisses the
    # reports: it stays approved, leaves the queue and, if they hid it, is listed again (audited).
    dismissal = to == APPROVED and comment.status == APPROVED and comment.reported_at is not None
    if comment.status == to and not dismissal:
        return ActionResult("unchanged", comment)
    if dismissal:
        allowed_from = frozenset({APPROVED})
    if comment.status not in allowed_from:
        raise ActionError(409, f"A {comment.status} comment cannot be given '{action}' "
                               f"(only from {', '.join(sorted(allowed_from))}).", comment.status)
    detail = " ".join(part for part in ("dismiss reports" if dismissal else action, f"({reason})" if reason else "",
                                        f"- {note}" if note else "") if part)
    extra = {"moderated_by": actor, "moderation_reason": reason or None, "moderated_at": f"{time.time():.6f}"}
    if to == APPROVED:
        extra.update(_rendered_again(comment))
    changed = store.transition(comment, allowed_from=allowed_from, to=to, actor=actor, detail=detail, extra=extra,
                               by_moderator=True)
    now = store.get(site_id, comment_id)
    if changed:
        if not dismissal:  # a dismissal decides nothing new about the comment or its author
            _teach_spam_model(store, site_id, comment, now, action, reason)
            store.commenters.record(site_id, [(commenter_id(comment.author_email, comment.client_ip), to)])
        return ActionResult("changed", now)
    if now is not None and now.status == to:  # another moderator did the same meanwhile
        return ActionResult("unchanged", now)
    raise ActionError(409, "The comment changed state meanwhile; read it again.", now.status if now else "")


def _check(action: str, reason: str, note: str) -> tuple[frozenset, str]:
    if action not in ACTIONS:
        raise ActionError(422, f"Unknown action {action!r}; one of {', '.join(ACTIONS)}.")
    if action in ("reject", "take_down") and reason not in REJECT_REASONS:
        raise ActionError(422, f"'{action}' needs a reason: one of {', '.join(REJECT_REASONS)}.")
    if reason and reason not in REJECT_REASONS:
        raise ActionError(422, f"Unknown reason {reason!r}; one of {', '.join(REJECT_REASONS)}.")
    if len(note) > MAX_NOTE:
        raise ActionError(422, f"The note is longer than {MAX_NOTE} characters.")
    return ACTIONS[action]


def _rendered_again(comment: Comment) -> dict:
    try:
        rendered = render(comment.body, comment.format)
    except UnknownFormat as exc:
        raise ActionError(409, f"The comment's format is unknown now ({exc}); it cannot be published.") from None
    return {"html": rendered.html, "format_version": str(rendered.format_version),
            "report": stored_report(rendered.report.to_dict())}


def _teach_spam_model(store: CommentStore, site_id: str, before: Comment, after: Comment, action: str,
                      reason: str) -> None:
    """Moderators' decisions feed the site's spam model (and the outside spam service, when the
    site uses one): spam (or a rejection for spam) counts as spam; approving a comment the
    machine held or refused counts as not spam."""
    if action == "spam" or reason == "spam":
        label = SPAM_LABEL
    elif action == "approve" and before.status in (PENDING, REJECTED, SPAM):
        label = HAM_LABEL
    else:
        return
    store.spam_feedback.record(site_id, label, text_features(comment_text(after.html or "")))
    if store.policies.current(site_id).spam_provider.enabled:  # the outside service learns too
        spam_providers.send_feedback(spam_providers.SpamRequest.of(after), label == SPAM_LABEL)


COMMENTER_ACTIONS = {"ban": ("banned", True), "unban": ("banned", False),
                     "trust": ("trusted", True), "untrust": ("trusted", False)}


def change_commenter_list(store: CommentStore, site_id: str, action: str, entry: str, actor: str):
    """Ban or trust a commenter (an e-mail address, an @domain, or for a ban an IP or network),
    or lift it: the site's policy is saved as its next version, so who did it and when is in
    its history. Returns the new policy; ActionError 422 for a wrong action or entry."""
    if action not in COMMENTER_ACTIONS:
        raise ActionError(422, f"Unknown action {action!r}; one of {', '.join(COMMENTER_ACTIONS)}.")
    list_name, adding = COMMENTER_ACTIONS[action]
    entry = entry.strip().lower()
    problem = commenter_entry_problem(entry, allow_ip=list_name == "banned")
    if problem:
        raise ActionError(422, f"{entry!r}: {problem}.")
    current = store.policies.current_uncached(site_id)
    entries = [item for item in getattr(current.commenters, list_name) if item.lower() != entry]
    if adding:
        entries.append(entry)
    return store.policies.save(site_id, {"commenters": {list_name: entries}}, actor)


def commenter_of(comment: Comment) -> str:
    """The list entry that names a comment's author: their e-mail address, else their IP."""
    return normalized_email(comment.author_email) if comment.author_email else comment.client_ip


# States a moderator's action may be undone back to (a failed comment's dead-letter entry is
# not rebuilt: approving it is final until acted on again).
UNDOABLE_TO = frozenset({PENDING, APPROVED, REJECTED, SPAM})


def undo_last_action(store: CommentStore, site_id: str, comment_id: str, actor: str,
                     within_seconds: float, now: float | None = None) -> ActionResult:
    """Put the comment back where it was before ``actor``'s last action on it, when that action
    is its latest change and is at most ``within_seconds`` old (one compare-and-set, audited
    as "undo"). ActionError 409 otherwise. What the action taught the spam model stays."""
    comment = store.get(site_id, comment_id)
    if comment is None:
        raise ActionError(404, "No such comment.")
    history = store.history(site_id, comment_id)
    last = history[-1] if history else None
    now = time.time() if now is None else now
    if (last is None or last["actor"] != actor or last["to"] != comment.status
            or now - float(last["at"]) > within_seconds or last["from"] not in UNDOABLE_TO
            or last["from"] == last["to"]  # a dismissal of reports: the queue is not rebuilt
            or str(last["detail"]).startswith("undo")):
        raise ActionError(409, "Nothing to undo: the undo window has passed or someone acted since.",
                          comment.status)
    extra = {"moderated_by": actor, "moderated_at": f"{now:.6f}"}
    if last["from"] == APPROVED:
        extra.update(_rendered_again(comment))
    if store.transition(comment, allowed_from={comment.status}, to=last["from"], actor=actor,
                        detail=f"undo {last['detail']}", extra=extra, by_moderator=True):
        return ActionResult("changed", store.get(site_id, comment_id))
    raise ActionError(409, "The comment changed state meanwhile; read it again.", comment.status)
