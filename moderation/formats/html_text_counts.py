"""``filter_html``'s fast path for the report: count what the policy removes from the text's
tags alone, at regex speed, where the text is in a shape every HTML tokenizer reads the same
way; else decline (False) and ``html_filter._record_removals_from_tree`` parses it with Lexbor.

Taken only when ``fast_paths.HTML_COUNT_FROM_TEXT``; tests/formats/test_html_filter.py
compares both counts on random tag soup, and the formats tests run with the fast paths off too.
"""
from __future__ import annotations

import re

from moderation.formats.engines import URL_ATTRIBUTES, HtmlPolicy
from moderation.formats.guard_text_proof import SIMPLE_ELEMENTS, SIMPLE_VOID_ELEMENTS
from moderation.formats.protocols import url_scheme
from moderation.formats.report import RenderReport


# --- counting from the text alone ---------------------------------------------------
#
# html_filter's parse counts tree nodes. Where the text's every tag is read the same
# way by any HTML tokenizer and creates exactly one node, the tags themselves can
# be counted instead, at regex speed. The shape accepted (anything else is parsed):
#
# - text without "<", and "<" not followed by a letter, "!", "/" or "?" (the
#   tokenizer emits such a "<" as text): no comments, doctypes, CDATA or bogus
#   comments, and since every element below keeps the tokenizer in the data
#   state, every later "<" is read the same way;
# - start and end tags of SIMPLE_ELEMENTS (guard_text_proof.py: no implied parents, no
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
