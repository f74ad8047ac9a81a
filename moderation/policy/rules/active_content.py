"""Active content the sanitizer removed (script, event handlers, unsafe URLs), and comments
that render to nothing readable."""
import html as html_module
import re
import unicodedata

from moderation.formats.report import ACTIVE_TAGS
from moderation.policy.findings import Finding

RULE = "active_content"
_TEXT_RUN = re.compile(r"(?:^|>)([^<]+)")  # text between tags: the renderer escapes every other < and >
_NAME_PARTS = re.compile(r"[^a-z0-9]+")


def has_visible_text(html: str) -> bool:
    """True when the rendered HTML shows a character that is not white space, a control or a
    format character (zero-width space, joiners, bidi marks)."""
    for run in _TEXT_RUN.finditer(html):  # usually the first run decides
        text = html_module.unescape(run.group(1))
        if any(not char.isspace() and unicodedata.category(char) not in ("Cc", "Cf") for char in text):
            return True
    return False


def check(subject) -> list[Finding]:
    report, outcome = subject.report, subject.policy.active_content.outcome
    findings = []
    if not has_visible_text(subject.html):
        findings.append(Finding(RULE, "pending", "empty_after_render",
                                "nothing readable is left once rendered; the raw text is kept for review"))
    for tag, count in sorted(report.get("removed_tags", {}).items()):
        # A tag name made to slip past a filter ("scr<script") is active if any part of it is.
        if tag in ACTIVE_TAGS or any(part in ACTIVE_TAGS for part in _NAME_PARTS.split(tag.lower())):
            findings.append(Finding(RULE, outcome, "active_tag_removed", f"<{tag}> removed ({count}x)"))
    for attribute, count in sorted(report.get("removed_attributes", {}).items()):
        if attribute.startswith("on"):
            findings.append(Finding(RULE, outcome, "event_handler_removed", f"{attribute}= removed ({count}x)"))
    for scheme, count in sorted(report.get("unsafe_urls", {}).items()):
        findings.append(Finding(RULE, outcome, "unsafe_url_removed", f"{scheme}: URL dropped ({count}x)"))
    if report.get("guard_acted"):
        findings.append(Finding(RULE, outcome, "output_guard_acted", "the output guard removed markup"))
    if report.get("active_content_removed") and not findings:
        findings.append(Finding(RULE, outcome, "active_content_removed", "the renderer removed active content"))
    return findings
