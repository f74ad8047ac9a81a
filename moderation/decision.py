"""The interim moderation policy: approve, unless the text tried to carry active content.

Until the moderation policy issue lands, a comment is held for review
(``pending``) when its render report shows stripped script-like tags, event
handler attributes, URLs with unsafe schemes, or an output-guard intervention;
otherwise it is approved. The decision works on the report's dict form (what
the store keeps), so a stored comment can be re-decided without re-rendering.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from moderation.formats.report import ACTIVE_TAGS  # elements whose removal means "active content"

POLICY_VERSION = "interim-1"


@dataclass(frozen=True)
class ModerationDecision:
    """Where a comment goes and why."""

    status: str  # "approved" | "pending"
    reasons: list[dict] = field(default_factory=list)  # [{"code": …, "detail": …}]
    policy_version: str = POLICY_VERSION


def decide(report: dict) -> ModerationDecision:
    """Decide from a render report dict (``RenderReport.to_dict()``)."""
    reasons = []
    for tag, count in sorted(report.get("removed_tags", {}).items()):
        if tag in ACTIVE_TAGS:
            reasons.append({"code": "active_tag_removed", "detail": f"<{tag}> removed ({count}x)"})
    for attribute, count in sorted(report.get("removed_attributes", {}).items()):
        if attribute.startswith("on"):
            reasons.append({"code": "event_handler_removed", "detail": f"{attribute}= removed ({count}x)"})
    for scheme, count in sorted(report.get("unsafe_urls", {}).items()):
        reasons.append({"code": "unsafe_url_removed", "detail": f"{scheme}: URL dropped ({count}x)"})
    if report.get("guard_acted"):
        reasons.append({"code": "output_guard_acted", "detail": "the output guard removed markup"})
    if report.get("active_content_removed") and not reasons:
        reasons.append({"code": "active_content_removed", "detail": "the renderer removed active content"})
    if reasons:
        return ModerationDecision("pending", reasons)
    return ModerationDecision("approved", [{"code": "no_active_content", "detail": "nothing active was removed"}])
