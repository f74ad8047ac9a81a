"""Spam without links: phrases of fake jobs, scams and contact-me-elsewhere campaigns
(``config/spam_phrases.txt``): two different ones make spam, one holds the comment."""
from moderation.policy.findings import Finding

RULE = "spam_phrases"


def check(subject) -> list[Finding]:
    if not subject.policy.spam_phrases.enabled:
        return []
    matches = subject.compiled.spam_phrases.find(subject.text.text)
    phrases = sorted({match.term for match in matches})
    if not phrases:
        return []
    evidence = tuple(subject.evidence(match.start, match.end, match.term) for match in matches)
    outcome = "spam" if len(phrases) >= 2 else "pending"
    return [Finding(RULE, outcome, "spam_phrases" if outcome == "spam" else "spam_phrase",
                    "spam phrases: " + ", ".join(repr(phrase) for phrase in phrases), evidence)]
