"""A comment as a moderator's card shows it: plain values for the templates, nothing to escape
by hand (Jinja escapes every value; the rendered HTML goes into a sandboxed iframe's srcdoc).

The text readers see is ``policy.text.comment_text`` of the stored HTML, the same function the
rules read, so each finding's evidence offsets point at the same characters here.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from moderation.commenter import commenter_id
from moderation.policy.text import comment_text
from moderation.store.comments import Comment

# What the render report's names mean to a moderator.
REPORT_LABELS = {
    "removed_tags": "tags removed", "removed_attributes": "attributes removed", "unsafe_urls": "unsafe links removed",
    "comments_removed": "HTML comments removed", "flattened_tags": "tags flattened (nested too deep)",
    "links_created": "links made", "link_hosts": "linked hosts", "guard_acted": "output guard acted",
    "guard_removed": "removed by the output guard",
}


@dataclass(frozen=True)
class Segment:
    text: str
    marked: bool = False
    title: str = ""  # the rules whose evidence this is


@dataclass(frozen=True)
class Card:
    comment: Comment
    segments: tuple[Segment, ...]  # the reader-visible text, evidence marked
    findings: tuple[dict, ...]
    report_lines: tuple[tuple[str, str], ...]
    waiting_seconds: float | None  # since it was decided (pending), else None
    thread_link: str               # thread_url when it is an http(s) URL, else ""
    commenter: str                 # commenter id (email:… or ip:…), "" when unknown
    frame_html: str                # the srcdoc of the sandboxed frame

    @property
    def comment_id(self) -> str:
        return self.comment.id


def card_of(comment: Comment, now: float | None = None, frame_css: str = "") -> Card:
    now = time.time() if now is None else now
    text = comment_text(comment.html).text.rstrip() if comment.html else ""
    findings = tuple(finding for finding in comment.reasons if isinstance(finding, dict))
    started = comment.decided_at or comment.created_at
    return Card(
        comment=comment,
        segments=highlight(text, findings) if text else (Segment(comment.body),),
        findings=findings,
        report_lines=report_lines(comment.report),
        waiting_seconds=max(0.0, now - started) if comment.status == "pending" else None,
        thread_link=comment.thread_url if _is_web_url(comment.thread_url) else "",
        commenter=commenter_id(comment.author_email, comment.client_ip),
        frame_html=frame_document(comment.html, frame_css),
    )


def highlight(text: str, findings: tuple[dict, ...]) -> tuple[Segment, ...]:
    """``text`` cut into segments, those covered by any finding's evidence marked (overlapping
    spans merged; offsets out of range, from an older render, are left out)."""
    spans: list[tuple[int, int, str]] = []
    for finding in findings:
        for item in finding.get("evidence") or ():
            start, end = item.get("start"), item.get("end")
            if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
                spans.append((start, end, str(finding.get("rule") or finding.get("code") or "")))
    segments: list[Segment] = []
    position = 0
    for start, end, rules in _merged(sorted(spans)):
        if start > position:
            segments.append(Segment(text[position:start]))
        segments.append(Segment(text[start:end], True, rules))
        position = end
    if position < len(text):
        segments.append(Segment(text[position:]))
    return tuple(segments)


def _merged(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    merged: list[list] = []
    for start, end, rule in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
            if rule and rule not in merged[-1][2]:
                merged[-1][2].append(rule)
        else:
            merged.append([start, end, [rule] if rule else []])
    return [(start, end, ", ".join(rules)) for start, end, rules in merged]


def report_lines(report: dict) -> tuple[tuple[str, str], ...]:
    """The render report as (label, value) lines: only what it found."""
    lines = []
    for name, value in (report or {}).items():
        if not value:
            continue
        if isinstance(value, dict):
            shown = ", ".join(f"{key} ×{count}" for key, count in value.items())
        elif value is True:
            shown = "yes"
        else:
            shown = str(value)
        lines.append((REPORT_LABELS.get(name, name.replace("_", " ")), shown))
    return tuple(lines)


def frame_document(html: str, css_url: str) -> str:
    """The sandboxed frame's document: our sanitized HTML and the dashboard's frame stylesheet."""
    link = f'<link rel="stylesheet" href="{css_url}">' if css_url else ""
    return f'<!doctype html><html><head><meta charset="utf-8">{link}</head><body>{html}</body></html>'


def _is_web_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def age_text(seconds: float | None) -> str:
    """A short human age: 45 s, 12 min, 3 h 05, 2 d 4 h."""
    if seconds is None:
        return ""
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d}"
    return f"{seconds // 86400} d {seconds % 86400 // 3600} h"
