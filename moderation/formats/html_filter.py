"""``filter_html``: limit allowed HTML tags (Drupal's filter_html), engine-agnostic.

Reads Drupal's ``allowed_html`` syntax into an :class:`HtmlPolicy`, hands the
text to a sanitizer engine (see ``engines.py``), and, when asked for a report,
counts what the *input* loses: from its tags directly when they are in a simple
shape (most comments; see "counting from the text alone" below), else by
parsing it once with Lexbor.
"""
from __future__ import annotations

import re
from functools import lru_cache

from moderation.formats import fast_paths
from moderation.formats.engines import (
    URL_ATTRIBUTES, HtmlPolicy, Nh3Engine, get_engine)
from moderation.formats.guard import SIMPLE_ELEMENTS, SIMPLE_VOID_ELEMENTS, parse_fragment
from moderation.formats.html_prepass import flatten_deep_nesting
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
    if fast_paths.ON and not ("<" in text or "&" in text or ">" in text or "\xa0" in text):
        return text.strip(_TRIMMED)  # no markup, nothing the serializer would escape
    renamed = text
    if "<" in text:
        text, flattened = flatten_deep_nesting(text)  # parsers go quadratic on deep trees
        simple_shape = False
        if report is not None:
            report.flattened_tags += flattened
            simple_shape = fast_paths.ON and count_removals_from_text(text, policy, report)
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


# --- counting from the text alone ---------------------------------------------------
#
# The parse above counts tree nodes. Where the text's every tag is read the same
# way by any HTML tokenizer and creates exactly one node, the tags themselves can
# be counted instead, at regex speed. The shape accepted (anything else is parsed):
#
# - text without "<", and "<" not followed by a letter, "!", "/" or "?" (the
#   tokenizer emits such a "<" as text): no comments, doctypes, CDATA or bogus
#   comments, and since every element below keeps the tokenizer in the data
#   state, every later "<" is read the same way;
# - start and end tags of SIMPLE_ELEMENTS (guard.py: no implied parents, no
#   renaming, no raw text), any ASCII case, with attributes in a plain form
#   (white space before each, values without "&", "<", NUL or CR, so a value is
#   exactly its characters); duplicates after the first are dropped, as the
#   tokenizer drops them;
# - the formatting elements (a, b, em, ...) are cloned by the tree builder when
#   left open across blocks, so unless allowed and bare they must be closed right
#   after text: <a href="x">text</a> is one node;
# - <script>/<style> with text content (no "<") and their end tag;
# - an end tag that makes an element (a stray </p> or </br>) only when allowed;
# - a start or end tag cut off by the end of the text, which the tokenizer drops.
#
# Each start tag then is exactly one node, named as written, so "<name" is in the
# text and the counts are the parse's. Tests compare both on random tag soup.

_FORMATTING_ELEMENTS = frozenset({
    "a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong",
    "tt", "u"}) & SIMPLE_ELEMENTS
_RAW_TEXT_ELEMENTS = ("script", "style")
_SPACE = r"[ \t\n\x0c]"


def _attribute_in_text(group: str) -> str:
    """An attribute in plain form; ``group`` is "(" to capture (name, "v", 'v', v), else "(?:"."""
    return (rf"""{group}[A-Za-z_:][A-Za-z0-9_:.-]*+)"""
            rf"""(?:{_SPACE}*+={_SPACE}*+"""
            rf"""(?:"{group}[^"&<\x00\r]*+)"|'{group}[^'&<\x00\r]*+)'"""
            rf"""|{group}[^ \t\n\x0c\r"'<=`&>\x00]++)))?+""")


_ATTRIBUTE_IN_TEXT = _attribute_in_text("(?:")
_ATTRIBUTES = re.compile(_attribute_in_text("("))


# Tried first, in this order: the tags comments use most. (Any order is correct:
# every name is followed by a character that cannot continue a tag name.)
_COMMON_TAGS = ("em", "strong", "p", "br", "a", "blockquote", "b", "i", "code")


def _alternatives(names) -> str:
    return "|".join(sorted(names, key=lambda name: (
        _COMMON_TAGS.index(name) if name in _COMMON_TAGS else len(_COMMON_TAGS), name)))


@lru_cache(maxsize=64)
def _text_shape(policy: HtmlPolicy) -> tuple[re.Pattern, re.Pattern, dict]:
    """For ``policy``: the segment pattern for lower-case tag names, the one for any
    case, and the counts of start tags seen before.

    A segment is a run of things that never count (text, a "<" that is text, end
    tags, bare allowed start tags), then optionally one start tag that may count:
    its name is group 1 (a formatting element, closed after text), 2 (script or
    style, with their text and end tag) or 3 (another element), its attribute
    text group 4; or else group 5 takes the "<" that stopped the run. Lower case
    first: the regex engine skips a branch on its first character only when that
    is a plain literal, which (?i) prevents.
    """
    return (_segment_pattern(policy, any_case=False), _segment_pattern(policy, any_case=True),
            {_SEGMENT_END: ()})


def _segment_pattern(policy: HtmlPolicy, *, any_case: bool) -> re.Pattern:
    attributes = f"(?:{_SPACE}++{_ATTRIBUTE_IN_TEXT})*+"
    start_end = f"{_SPACE}*+/?>"
    allowed = policy.tags & SIMPLE_ELEMENTS
    ending = (SIMPLE_ELEMENTS - SIMPLE_VOID_ELEMENTS) - ({"p"} - allowed)
    if "br" in allowed:
        ending |= {"br"}

    def start(names):
        return [f"(?:{_alternatives(names)}){start_end}"] if names else []

    def end(names):
        return [f"/(?:{_alternatives(names)}){_SPACE}*+>"] if names else []

    quiet = [*start(allowed), *end(ending & allowed),
             "(?![A-Za-z!/?])",  # a "<" that is text
             *end(ending - allowed),
             "/?[A-Za-z][^>]*+\\Z"]  # a tag the text ends in: the tokenizer drops it
    counted = (f"<(?:({_alternatives(_FORMATTING_ELEMENTS)})|({_alternatives(_RAW_TEXT_ELEMENTS)})"
               f"|({_alternatives(SIMPLE_ELEMENTS - _FORMATTING_ELEMENTS)}))({attributes})"
               f"(?(1){start_end}[^<]*+</\\1{_SPACE}*+>"
               f"|(?(2){_SPACE}*+>[^<]*+</\\2{_SPACE}*+>|{start_end}))")
    flags = re.ASCII | re.IGNORECASE if any_case else 0
    # Group 5 takes a "<" the shape does not cover (findall then reports it as
    # _OUT_OF_SHAPE), and the rest of the text goes with it: no point reading on.
    quiet_run = f"[^<]*+(?:<(?:{'|'.join(quiet)})[^<]*+)*+"
    return re.compile(f"{quiet_run}(?:{counted}|(<)[\\s\\S]*+)?+", flags)


_SEGMENT_END = ("", "", "", "", "")   # findall's tuple for a segment without a start tag
_OUT_OF_SHAPE = ("", "", "", "", "<")  # ... for one that stopped at an unknown "<"


def count_removals_from_text(text: str, policy: HtmlPolicy, report: RenderReport) -> bool:
    """Count removals without parsing when ``text`` has the simple shape described above.

    Returns False, with ``report`` untouched, when it does not: then only a parse can say.
    """
    shape = policy.derived.get("report shape")
    if shape is None:
        shape = policy.derived["report shape"] = _text_shape(policy)
    lower_case, any_case, known_tags = shape
    # findall repeats the segment pattern from where the last match ended (it matches
    # everywhere, at least a "<" or the empty string at the end): one tuple per
    # segment, (formatting name, raw-text name, other name, attributes, unknown "<").
    tags = lower_case.findall(text)
    if _OUT_OF_SHAPE in tags:
        tags = any_case.findall(text)
        if _OUT_OF_SHAPE in tags:
            return False
    for tag in tags:
        counts = known_tags.get(tag)
        if counts is None:
            if len(known_tags) >= _KNOWN_TAGS_LIMIT:
                known_tags.clear()
                known_tags[_SEGMENT_END] = ()
            counts = known_tags[tag] = _start_tag_counts(tag[0] or tag[1] or tag[2], tag[3], policy)
        for counter_name, name in counts:
            counter = getattr(report, counter_name)
            counter[name] = counter.get(name, 0) + 1  # Counter's own += is slower
    return True


_KNOWN_TAGS_LIMIT = 512  # per policy: start tags seen before, with what they count


def _start_tag_counts(tag: str, attributes: str, policy: HtmlPolicy) -> tuple:
    """What one start tag (name and attribute text) counts: ((report counter, name), ...)."""
    tag = tag.lower()
    allowed = tag in policy.tags
    counts = [] if allowed else [("removed_tags", tag)]
    seen = set()
    for name, double, single, unquoted in _ATTRIBUTES.findall(attributes):
        name = name.lower()
        if name in seen:  # the tokenizer keeps the first of duplicate attributes
            continue
        seen.add(name)
        value = double or single or unquoted  # findall gives "" for groups not taken
        if name in URL_ATTRIBUTES or name.endswith(":href"):  # as _count_url
            scheme = url_scheme(value)
            if scheme is not None and scheme not in policy.protocols:
                counts.append(("unsafe_urls", scheme))
        if not allowed or not policy.keeps_attribute(tag, name, value):
            counts.append(("removed_attributes", name))
    return tuple(counts)


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
    # it, except where nh3 cannot have written one: it only decodes references its tokenizer
    # sees, no named reference spells a C0 control (only &Tab; and &NewLine;, which stay) and a
    # Rust string holds no lone surrogate, so without "&#" in its input (the pre-pass only
    # changes it when it flattens tags) its output is as normalized as its input. Saves a pass.
    # ("#" first: one memchr, where a search for "&#" walks the text char by char.)
    flattened_before = report.flattened_tags
    html = filter_normalized_html(text, settings["policy"], engine, report)
    if (fast_paths.ON and type(engine) is Nh3Engine and report.flattened_tags == flattened_before
            and ("#" not in text or "&#" not in text)):
        return html
    return normalize_text(html)


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
