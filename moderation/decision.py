"""The interim moderation policy: approve, unless the text tried to carry active content.

Until the moderation policy issue lands, a comment is held for review
(``pending``) when its render report shows stripped script-like tags, event
handler attributes, URLs with unsafe schemes, or an output-guard intervention,
or when nothing of it is left to read once rendered (``"<a "`` repeated, a
lone ``<!--``: publishing it would show an empty comment); otherwise it is
approved. The decision works on the report's dict form and the rendered HTML
(what the store keeps), so a stored comment can be re-decided without
re-rendering.
"""
from __future__ import annotations

import html as html_module
import re
import unicodedata
from dataclasses import dataclass, field

from moderation.formats.report import ACTIVE_TAGS  # elements whose removal means "active content"

POLICY_VERSION = "interim-2"
# Text between tags (the renderer escapes every < and > that is not markup).
_TEXT_RUN = re.compile(r"(?:^|>)([^<]+)")


@dataclass(frozen=True)
class ModerationDecision:
    """Where a comment goes and why."""

    status: str  # "approved" | "pending"
    reasons: list[dict] = field(default_factory=list)  # [{"code": …, "detail": …}]
    policy_version: str = POLICY_VERSION


def has_visible_text(html: str) -> bool:
    """True when the rendered HTML shows at least one character that is not white space,
    a control or a format character (zero-width space, joiners, bidi marks)."""
    for run in _TEXT_RUN.finditer(html):  # usually the first run decides
        text = html_module.unescape(run.group(1))
        if any(not char.isspace() and unicodedata.category(char) not in ("Cc", "Cf") for char in text):
            return True
    return False


def decide(report: dict, html: str) -> ModerationDecision:
    """Decide from a render report dict (``RenderReport.to_dict()``) and the rendered HTML."""
    reasons = []
    if not has_visible_text(html):
        reasons.append({"code": "empty_after_render",
                        "detail": "nothing readable is left once rendered; the raw text is kept for review"})
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
