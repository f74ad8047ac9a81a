"""``filter_html``: limit allowed HTML tags (Drupal's filter_html), engine-agnostic.

Reads Drupal's ``allowed_html`` syntax into an :class:`HtmlPolicy`, hands the
text to a sanitizer engine (see ``engines.py``), and, when asked for a report,
counts what the *input* loses: from its tags directly when they are in a simple
shape (most comments; a fast path, ``html_text_counts.py``), else by parsing it
once with Lexbor.
"""
from __future__ import annotations

import re
from functools import lru_cache

from moderation.formats import fast_paths
from moderation.formats.engines import (
    URL_ATTRIBUTES, HtmlPolicy, get_engine)
from moderation.formats.guard import parse_fragment
from moderation.formats.html_prepass import flatten_deep_nesting
from moderation.formats.html_text_counts import count_removals_from_text
from moderation.formats.kept_text import RENAME_MARK, keep_text_of_removed_tags
from moderation.formats.normalize import normalize_text
from moderation.formats.protocols import ALLOWED_PROTOCOLS, url_scheme
from moderation.formats.report import RenderReport
from moderation.formats.text_filter import Markup, Output, TextFilter, boolean, string

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

_TAG_GROUP = re.compile(r"""<\s*+([^\s<>"/=]++)((?:[^<>"]|"[^"]*+")*+)>""")
_ATTRIBUTE = re.compile(r"""([^\s="<>/]++)(?:\s*+=\s*+"([^"]*+)")?+""")
_TAG_NAME = re.compile(r"[a-z][a-z0-9-]*+")


class AllowedHtmlError(ValueError):
    """An ``allowed_html`` setting that is not Drupal's ``<tag attr attr>`` syntax."""


# Cached: one policy object per setting, so what is derived from it (HtmlPolicy.derived: the
# nh3 Cleaner, the report's patterns) is built once, not on every filter_html call.
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
    policy = parse_allowed_html(allowed_html, bool(nofollow), tuple(protocols))
    # Normalized again, as render does: a reference may spell a control character (&#1;).
    return normalize_text(filter_normalized_html(normalize_text(text), policy, cleaner, report))


def filter_normalized_html(text: str, policy: HtmlPolicy, cleaner,
                           report: RenderReport | None) -> str:
    """:func:`filter_html` for ``render``, which has normalized ``text`` and holds the
    parsed policy and the engine object already. Not for text that skipped
    ``normalize_text``."""
    # Four substring tests (memchr) beat one character-class regex scan ~4x.
    if fast_paths.HTML_NO_MARKUP and not ("<" in text or "&" in text or ">" in text or "\xa0" in text):
        return text.strip(_TRIMMED)  # no markup, nothing the serializer would escape
    renamed = text
    if "<" in text:
        text, flattened = flatten_deep_nesting(text)  # parsers go quadratic on deep trees
        simple_shape = False
        if report is not None:
            report.flattened_tags += flattened
            simple_shape = fast_paths.HTML_COUNT_FROM_TEXT and count_removals_from_text(text, policy, report)
            if not simple_shape:
                _record_removals_from_tree(text, policy, report)  # record_removals, one call less
        # (the simple shape only holds tags of SIMPLE_ELEMENTS, none of them renamed)
        renamed = text if simple_shape else keep_text_of_removed_tags(text, policy.tags)
    cleaned = cleaner.clean(renamed, policy)
    if renamed is not text:
        cleaned = cleaned.replace(RENAME_MARK, "")
    return cleaned.strip(_TRIMMED)


def record_removals(text: str, policy: HtmlPolicy, report: RenderReport) -> None:
    """Count what ``policy`` removes from ``text``: tags, attributes, URL schemes, comments.

    Every attribute that does not survive is counted by name (including those of
    removed elements, so ``<img onerror=...>`` counts ``onerror``). Elements the
    parser implies without the text naming them (``<tbody>``) are not counted.

    Counted from the text alone when it is in the simple shape
    :func:`count_removals_from_text` recognizes; otherwise from a Lexbor parse.
    """
    if not count_removals_from_text(text, policy, report):
        _record_removals_from_tree(text, policy, report)


def _record_removals_from_tree(text: str, policy: HtmlPolicy, report: RenderReport) -> None:
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


# --- the declaration (text_filter.py) ----------------------------------------------

def allowed_html_problem(allowed_html: str) -> str | None:
    """What is wrong with an ``allowed_html`` setting, or None."""
    try:
        parse_allowed_html(allowed_html)
    except AllowedHtmlError as error:
        return str(error)
    listed = {group[1:-1].split()[0].lower() for group in allowed_tag_groups(allowed_html)}
    forbidden = sorted(listed & NEVER_ALLOWED_TAGS)
    if forbidden:
        return "allowed_html lists tag(s) that can never be allowed: " + " ".join(f"<{tag}>" for tag in forbidden)
    return None


def policy_output(policy: HtmlPolicy) -> Output:
    """What the policy lets through to the published HTML (with rel on links under nofollow)."""
    elements = {tag: frozenset(policy.attributes_for(tag)) for tag in policy.tags}
    if policy.nofollow and "a" in elements:
        elements["a"] |= {"rel"}
    return Output(elements, policy.attribute_values)


def _policy(settings) -> HtmlPolicy:
    return parse_allowed_html(settings["allowed_html"], settings["nofollow"])


def _run(text: str, settings, engine, report: RenderReport | None) -> str:
    # render has normalized the text. The sanitizer decodes character references, which may
    # spell control characters (&#13;), so its output is normalized again for the filters after
    # it. (Skipping that where nh3 cannot have written one bought nothing measurable:
    # bench/fast_paths.py, issue #13.)
    return normalize_text(filter_normalized_html(text, settings["policy"], engine, report))


FILTER = TextFilter(
    id="filter_html",
    settings=(string("allowed_html", DEFAULT_ALLOWED_HTML, allowed_html_problem), boolean("nofollow", False)),
    run=_run,
    tip=lambda settings: "Allowed HTML tags: " + " ".join(allowed_tag_groups(settings["allowed_html"])),
    prepare=lambda settings, _before: {**settings, "policy": _policy(settings)},
    # Both engines drop comments and write only the policy's elements.
    leaves=lambda settings, _before: Markup(_policy(settings).tags, comments=False),
    writes=lambda settings: policy_output(_policy(settings)),
)
