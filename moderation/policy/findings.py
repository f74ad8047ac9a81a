"""What a rule found, and the decision made of all findings."""
from __future__ import annotations

from dataclasses import dataclass, field

# How bad an outcome is: the decision is the worst outcome any finding asks for.
SEVERITY = {"approved": 0, "pending": 1, "rejected": 2, "spam": 3}


@dataclass(frozen=True)
class Evidence:
    """Where a finding is in the comment: offsets in its text as readers see it
    (``policy.text.comment_text`` of the rendered HTML), and those characters."""

    text: str
    start: int
    end: int
    note: str = ""  # e.g. the listed term, or the list it is on

    def to_dict(self) -> dict:
        data = {"text": self.text, "start": self.start, "end": self.end}
        if self.note:
            data["note"] = self.note
        return data


@dataclass(frozen=True)
class Finding:
    """One rule's finding: the outcome it asks for, a reason code, a sentence, and evidence.
    ``outcome`` "approved" records without acting (a shadow score, a trusted commenter)."""

    rule: str
    outcome: str
    code: str
    detail: str
    evidence: tuple[Evidence, ...] = ()

    def to_dict(self) -> dict:
        data = {"rule": self.rule, "outcome": self.outcome, "code": self.code, "detail": self.detail}
        if self.evidence:
            data["evidence"] = [item.to_dict() for item in self.evidence]
        return data


@dataclass(frozen=True)
class Decision:
    """Where a comment goes: the worst outcome of its findings (approved when none acts)."""

    status: str
    findings: tuple[Finding, ...] = ()
    policy_version: str = ""
    score: float | None = None  # the offensive-language score, when a classifier ran
    classifier: str = ""

    @classmethod
    def of(cls, findings: list[Finding], policy_version: str, score: float | None = None,
           classifier: str = "") -> "Decision":
        status = max((finding.outcome for finding in findings), key=SEVERITY.__getitem__, default="approved")
        return cls(status, tuple(findings), policy_version, score, classifier)

    @property
    def reason_codes(self) -> list[str]:
        """Codes of the findings that decided (those asking for the final outcome)."""
        return [finding.code for finding in self.findings if finding.outcome == self.status]
