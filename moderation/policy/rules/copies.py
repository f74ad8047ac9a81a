"""Copies: the same text, lightly varied, seen in other comments of the last two days, in any
thread or site (``policy.near_duplicates``). One earlier copy holds the comment; ``spam_after``
earlier copies make it spam (a copy-paste campaign)."""
from moderation.policy.findings import Finding

RULE = "copies"


def check(subject) -> list[Finding]:
    settings = subject.policy.copies
    copies = subject.earlier_copies
    if not settings.enabled or copies is None or not copies.count:
        return []
    count = copies.count - (copies.first == subject.own_ref)  # a comment decided again sees itself
    if count <= 0:
        return []
    if count >= settings.spam_after:
        return [Finding(RULE, "spam", "copy_campaign",
                        f"the same text was posted {count} times before in the last two days (first: {copies.first})")]
    return [Finding(RULE, "pending", "near_duplicate", f"nearly the same text was posted before ({copies.first})")]
