"""Pre-moderation modes: the site's (``pre``, ``pre_links``; ``pre_new`` is the commenters
rule's) or the thread's (``pre``, ``closed``). A trusted commenter skips ``pre_links``."""
from moderation.policy.findings import Finding

RULE = "mode"


def check(subject) -> list[Finding]:
    policy = subject.policy
    thread_mode = policy.threads.get(subject.thread)
    if thread_mode == "closed":
        return [Finding(RULE, "pending", "thread_closed", f"the thread {subject.thread!r} is closed to new comments")]
    if thread_mode == "pre":
        return [Finding(RULE, "pending", "thread_premoderated", f"every comment on {subject.thread!r} is reviewed first")]
    if policy.mode == "pre":
        return [Finding(RULE, "pending", "premoderated", "the site reviews every comment before it is published")]
    if policy.mode == "pre_links" and not subject.trusted and any(not link.is_email for link in subject.text.links):
        return [Finding(RULE, "pending", "links_premoderated", "the site reviews comments with links first")]
    return []
