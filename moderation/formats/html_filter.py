"""``filter_html``: limit allowed HTML tags (Drupal's filter_html), engine-agnostic.

Reads Drupal's ``allowed_html`` syntax into an :class:`HtmlPolicy`, hands the
text to a sanitizer engine (see ``engines.py``), and, when asked for a report,
counts what the text loses by parsing the *input* once with Lexbor.
"""
from __future__ import annotations

import re
from functools import lru_cache

from moderation.formats.engines import (
    URL_ATTRIBUTES, HtmlPolicy, get_engine)
from moderation.formats.guard import parse_fragment
from moderation.formats.normalize import normalize_text
from moderation.formats.protocols import ALLOWED_PROTOCOLS, url_scheme
from moderation.formats.report import RenderReport

DEFAULT_ALLOWED_HTML = "<em> <strong> <blockquote> <br> <p>"

# Tags no allowed_html setting can turn on: their content is raw text that an
# HTML serializer writes unescaped (script, style, xmp, iframe, ...), they switch
# the parser into foreign content (svg, math), or they change the page around the
# comment (base, meta, link, form, template). Listed ones are dropped from the policy.
NEVER_ALLOWED_TAGS = frozenset({
    "script", "style", "xmp", "iframe", "noembed", "noframes", "plaintext", "noscript",
    "template", "svg", "math", "base", "meta", "link", "object", "embed", "applet",
    "frame", "frameset", "form", "html", "head", "body", "title", "textarea",
})

# Spec: "style and any on* attribute are never kept, even if listed". srcset holds
# several URLs that the one-scheme check cannot vouch for.
NEVER_ALLOWED_ATTRIBUTES = frozenset({"style", "srcset"})

# ASCII white space, trimmed from the output (PHP's trim() set, not Unicode spaces).
_TRIMMED = " \t\n\r\x0b\x0c"

# Text without any of these has no markup and nothing the serializer would escape.
_NEEDS_SANITIZER = re.compile("[<>&\xa0]")

_TAG_GROUP = re.compile(r"""<\s*+([^\s<>"/=]++)((?:[^<>"]|"[^"]*+")*+)>""")
_ATTRIBUTE = re.compile(r"""([^\s="<>/]++)(?:\s*+=\s*+"([^"]*+)")?+""")
_TAG_NAME = re.compile(r"[a-z][a-z0-9-]*+")


class AllowedHtmlError(ValueError):
    """An ``allowed_html`` setting that is not Drupal's ``<tag attr attr>`` syntax."""


@lru_cache(maxsize=256)
def parse_allowed_html(allowed_html: str, nofollow: bool = False,
                       protocols: tuple[str, ...] = ALLOWED_PROTOCOLS) -> HtmlPolicy:
    """Read ``<a href hreflang> <blockquote cite> <a llama="epic majestical">`` into a policy.

    A tag listed twice gets the union of its attributes. Raises
    :class:`AllowedHtmlError` on anything that is not a list of such groups.
    """
    tags: dict[str, set[str]] = {}
    values: dict[tuple[str, str], frozenset[str]] = {}
    position = 0
    for group in _TAG_GROUP.finditer(allowed_html):
        _require_blank(allowed_html[position:group.start()], allowed_html)
        position = group.end()
        tag = group.group(1).lower()
        if not _TAG_NAME.fullmatch(tag):
            raise AllowedHtmlError(f"allowed_html: {tag!r} is not a tag name (in {allowed_html!r})")
        attributes = tags.setdefault(tag, set())
        for attr in _ATTRIBUTE.finditer(group.group(2)):
            name = attr.group(1).lower()
            if name.startswith("on") or name in NEVER_ALLOWED_ATTRIBUTES:
                continue
            attributes.add(name)
            if attr.group(2) is not None and attr.group(2).split():
                values[(tag, name)] = frozenset(attr.group(2).split())
        if _ATTRIBUTE.sub("", group.group(2)).strip():
            raise AllowedHtmlError(
                f"allowed_html: cannot read the attributes of <{tag}> in {allowed_html!r}")
    _require_blank(allowed_html[position:], allowed_html)
    kept = {tag: attrs for tag, attrs in tags.items() if tag not in NEVER_ALLOWED_TAGS}
    return HtmlPolicy(
        tags=frozenset(kept),
        attributes=tuple(sorted((tag, frozenset(attrs)) for tag, attrs in kept.items() if attrs)),
        attribute_values=tuple(sorted(
            (tag, name, allowed) for (tag, name), allowed in values.items() if tag in kept)),
        protocols=tuple(protocols),
        nofollow=nofollow,
    )


def allowed_tag_groups(allowed_html: str) -> list[str]:
    """The setting's ``<tag attr ...>`` groups, white space normalized (for the tips)."""
    return [" ".join(group.group(0)[1:-1].split()).join("<>")
            for group in _TAG_GROUP.finditer(allowed_html)]


def _require_blank(between: str, allowed_html: str) -> None:
    if between.strip():
        raise AllowedHtmlError(
            f"allowed_html: unexpected {between.strip()!r} in {allowed_html!r}; "
            "expected tags like <em> <a href hreflang>")


def filter_html(text: str, allowed_html: str = DEFAULT_ALLOWED_HTML, nofollow: bool = False, *,
                engine=None, protocols=ALLOWED_PROTOCOLS,
                report: RenderReport | None = None) -> str:
    """Keep only the allowed tags and attributes; text of removed tags stays, escaped.

    ``engine`` is an engine name, an engine object, or None for the configured one.
    """
    cleaner = engine if hasattr(engine, "clean") else get_engine(engine)  # bad names fail early
    text = normalize_text(text)
    if not _NEEDS_SANITIZER.search(text):
        return text.strip(_TRIMMED)
    policy = parse_allowed_html(allowed_html, bool(nofollow), tuple(protocols))
    if report is not None and "<" in text:
        record_removals(text, policy, report)
    return cleaner.clean(text, policy).strip(_TRIMMED)


def record_removals(text: str, policy: HtmlPolicy, report: RenderReport) -> None:
    """Count what ``policy`` removes from ``text``: tags, attributes, URL schemes, comments.

    Every attribute that does not survive is counted by name (including those of
    removed elements, so ``<img onerror=...>`` counts ``onerror``). Elements the
    parser implies without the text naming them (``<tbody>``) are not counted.
    """
    written: dict[str, bool] = {}  # removed tag name -> does the text spell "<name"?
    lowered = None
    allowed_tags = policy.tags
    container = parse_fragment(text)
    nodes = container.traverse(include_text=False)
    next(nodes)  # the container itself
    for node in nodes:
        tag = node.tag
        if tag in allowed_tags:
            attrs = node.attributes
            for name, value in attrs.items() if attrs else ():
                _count_url(name, value, policy, report)
                if not policy.keeps_attribute(tag, name, value):
                    report.removed_attributes[name] += 1
            continue
        if tag is None or tag == "-comment":  # comments; Lexbor keeps <?...?> as its own kind
            report.comments_removed += 1
            continue
        if tag.startswith("-"):  # any other non-element node Lexbor may name
            continue
        if tag not in written:
            if lowered is None:
                lowered = text.lower()
            written[tag] = "<" + tag in lowered
        if written[tag]:
            report.removed_tags[tag] += 1
        for name, value in node.attributes.items():
            _count_url(name, value, policy, report)
            report.removed_attributes[name] += 1


def _count_url(name: str, value: str | None, policy: HtmlPolicy, report: RenderReport) -> None:
    if name in URL_ATTRIBUTES or name.endswith(":href"):
        scheme = url_scheme(value or "")
        if scheme is not None and scheme not in policy.protocols:
            report.unsafe_urls[scheme] += 1
