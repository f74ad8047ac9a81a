"""Who wrote it: banned commenters are refused, trusted ones skip pre-moderation of new
commenters and of links, new commenters wait under ``pre_new``, and a commenter whose recent
comments were mostly refused is held.

A commenter is their e-mail address (normalised: lower case, no ``+tag``), else the IP the
site reported. Their recent decisions (``history``: one letter per decision, newest first:
``a`` approved, ``p`` pending, ``r`` rejected, ``s`` spam; the store keeps the last 20 per site)
come from the store (``store/commenters.py``).
"""
import ipaddress

from moderation.policy.findings import Finding
from moderation.commenter import normalized_email

RULE = "commenters"


def check(subject) -> list[Finding]:
    settings = subject.policy.commenters
    email = normalized_email(subject.author_email) if subject.author_email else ""
    banned = _listed(settings.banned, email, subject.client_ip)
    if banned:
        return [Finding(RULE, "rejected", "banned_commenter", f"the commenter is banned ({banned})")]
    trusted = _listed(settings.trusted, email, "")
    if trusted:
        subject.trusted = True
        return [Finding(RULE, "approved", "trusted_commenter", f"a trusted commenter ({trusted})")]
    findings = []
    history = subject.commenter_history or ""
    approved = history.count("a")
    if subject.policy.thread_mode(subject.thread) == "pre_new" and approved < settings.pre_new_count:
        findings.append(Finding(RULE, "pending", "new_commenter",
                                f"{approved} of the commenter's comments approved so far; "
                                f"the site publishes after {settings.pre_new_count}"))
    refused = sum(history.count(letter) for letter in "rs")
    decided = len(history)
    if (settings.history_rejected_share and decided >= settings.history_min
            and refused >= settings.history_rejected_share * decided):
        findings.append(Finding(RULE, "pending", "recent_history",
                                f"{refused} of the commenter's last {decided} comments were rejected or spam"))
    return findings


def _listed(entries, email: str, ip: str) -> str:
    """The list entry that names this commenter, or ''."""
    domain = email.rpartition("@")[2]
    address = _ip(ip)
    for entry in entries:
        entry = entry.strip().lower()
        if "@" in entry:
            if entry == email or (entry.startswith("@") and domain and (domain == entry[1:]
                                                                        or domain.endswith("." + entry[1:]))):
                return entry
        elif address is not None:
            try:
                if address in ipaddress.ip_network(entry, strict=False):
                    return entry
            except ValueError:
                continue
    return ""


def _ip(text: str):
    try:
        return ipaddress.ip_address(text.strip()) if text else None
    except ValueError:
        return None
