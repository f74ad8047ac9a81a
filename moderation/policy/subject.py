"""What the rules look at: one rendered comment with its policy, read once, shared by all."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from moderation.policy.findings import Evidence
from moderation.policy.folding import Folded, fold, fold_mapped
from moderation.policy.model import Policy
from moderation.policy.text import CommentText, comment_text


@dataclass
class Subject:
    """A comment as the rules read it. ``compiled``: the policy's matchers and classifier
    (``policy.engine.CompiledPolicy``)."""

    policy: object  # Policy
    compiled: object  # CompiledPolicy
    html: str
    report: dict = field(default_factory=dict)
    thread: str = ""
    author_email: str = ""
    site_spam: object | None = None  # the site's moderators' spam counts (spam_model.SpamCounts)
    earlier_copies: object | None = None  # store.near_duplicates.EarlierCopies, when looked up
    own_ref: str = ""  # "site/id" of this comment, as the near-duplicate index names it
    client_ip: str = ""  # as the site reported it
    commenter_history: str | None = None  # recent decisions, newest first (rules/commenters.py)
    trusted: bool = False  # set by the commenters rule: a trusted commenter skips some holds
    spam_request: object | None = None  # spam_providers.SpamRequest: the reader's original request
    score: float | None = None  # set by the classifier rule when it ran
    spam_probability: float | None = None  # set by the spam model rule when it ran

    @cached_property
    def text(self) -> CommentText:
        return comment_text(self.html)

    @cached_property
    def folded(self) -> str:
        """The text folded (``policy.folding``): for patterns that must see through evasions."""
        return fold(self.text.text)

    @cached_property
    def folded_mapped(self) -> Folded:
        return fold_mapped(self.text.text)

    def evidence(self, start: int, end: int, note: str = "") -> Evidence:
        return Evidence(self.text.text[start:end], start, end, note)

    def folded_matches(self, pattern: re.Pattern, note: str = "",
                       windows: list[tuple[int, int]] | None = None) -> list[Evidence]:
        """Matches of ``pattern`` in the folded text (only within ``windows``, if given: spans
        of it), as evidence in the reader's characters."""
        spans = windows or [(0, len(self.folded))]
        if not any(pattern.search(self.folded, start, end) for start, end in spans):
            return []
        mapped = self.folded_mapped  # the same text as self.folded, with its map
        return [self.evidence(*mapped.span_in_original(match.start(), match.end()), note)
                for start, end in spans for match in pattern.finditer(mapped.text, start, end)
                if match.end() > match.start()]


__all__ = ["Subject", "Policy"]
