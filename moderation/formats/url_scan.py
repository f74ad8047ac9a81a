"""Where ``filter_url`` may link: Drupal's chunking, found without visiting every tag.

Drupal (``FilterUrl::process``), for each of its three passes, hides comments,
splits the text into tags (``<.+?>``) and the text chunks between them, skips
the chunks inside ``<a>``, ``<code>``, ``<pre>``, ``<script>`` and ``<style>``,
and matches inside each remaining chunk; we also cut chunks at escaped
delimiters (``&lt;``...), so a chunk is made of *segments*.

:func:`scan_pass` answers the same questions per *anchor* (a ``:`` after a
scheme name, an ``@``, a ``www.``) instead of per chunk: anchors are rare, and
a 20 KB comment has hundreds of tags. It works on the original text for all
three passes, with the links of earlier passes as further no-go regions. That
is exact when :func:`scannable` holds; otherwise :func:`map_linkable_chunks`
walks the chunks one by one, as Drupal does.
"""
import re
from bisect import bisect_right
from typing import Callable

from moderation.formats.url_matching import (
    MAX_LOCAL_PART, QUICK_EMAIL_DOMAIN, QUICK_FULL_URL, QUICK_HOST_AND_TRAIL, Segment,
    quick_answer)

# Drupal searches each tag chunk for "<(a|script|style|code|pre)(?:\s|>)", then
# for "</name>" (no /u: ASCII only).
_IGNORED_TAG_OPEN = re.compile(r"<(a|script|style|code|pre)(?:\s|>)", re.I | re.A)
_IGNORED_TAG_CLOSE = {name: re.compile(f"</{name}>", re.I | re.A)
                      for name in ("a", "script", "style", "code", "pre")}

# Either of the above or "<!--": text without one has neither comments nor
# ignored elements (one scan instead of two).
_COMMENT_OR_IGNORED_TAG = re.compile(
    r"<(?=[!aAsScCpP])(?:!--|(?i:a|script|style|code|pre)(?:\s|>))", re.A)

# An escaped "<", ">", '"' or "'": ends a URL in escaped (Plain text) input.
ESCAPED_DELIMITER = re.compile(
    r"&(?:lt|LT|gt|GT|quot|QUOT|apos|#0*(?:34|39|60|62)|#[xX]0*(?:22|27|3[cCeE]));")
# With an endpos, the last escaped delimiter before it (".*" steps back in C).
_LAST_ESCAPED_DELIMITER = re.compile(".*" + ESCAPED_DELIMITER.pattern, re.S)


# --- Comments: hidden once for all three passes. ---

# Drupal's "<!--(.*?)-->"/s and "<.+?>"/s. Scanned only up to the last "-->" or
# ">", every "<!--" or "<" there has its end, so each match costs its length and
# the patterns cannot retry from every "<" (quadratic in Drupal).
_COMMENT = re.compile(r"(<!--.*?-->)", re.S)
_TAG = re.compile(r"(<.[^>]*>)", re.S)
# Stands in for a comment, as Drupal's "<!-- hash -->" does: it has no ">" but
# its last character, and NUL cannot occur in normalized text.
_COMMENT_PLACEHOLDER = "<!--\0-->"


def has_comment_or_ignored_tag(text: str) -> bool:
    """False when ``text`` surely has no comment and no ignored element."""
    return _COMMENT_OR_IGNORED_TAG.search(text) is not None


def hide_comments(text: str) -> tuple[str, list[str]]:
    """``text`` with each comment replaced by a placeholder tag, and the comments.

    Drupal hides them again before each pass; once is the same, since a link
    holds neither ``<!--`` nor ``-->`` and is never made inside a comment.
    """
    comments_end = text.rfind("-->") + 3
    if "<!--" in text[:comments_end]:
        parts = _COMMENT.split(text[:comments_end])
        if len(parts) > 1:
            parts[-1] += text[comments_end:]
            return _COMMENT_PLACEHOLDER.join(parts[0::2]), parts[1::2]
    return text, []


def restore_comments(text: str, comments: list[str]) -> str:
    if not comments:
        return text
    kept = text.split(_COMMENT_PLACEHOLDER)
    return "".join(part for pair in zip(kept, comments + [""]) for part in pair)


# --- The anchor-driven scan. ---

def scannable(text: str) -> bool:
    """True when links cannot change where tags are: every ``<`` has a ``>`` at
    least two characters after it, so each ``<`` outside a tag starts one.

    A ``<`` with no ``>`` after it is text; a link created after it would give
    it one, and Drupal's next pass would see a tag there.
    """
    return text.find("<", max(text.rfind(">") - 1, 0)) < 0


class NeedsChunkWalk(Exception):
    """A ``<>`` right before an anchor: whether that ``<`` opens a tag depends
    on all the text before it. Rare enough to hand the text to the chunk walk."""


def ignored_regions(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of the insides of ``<a>``, ``<code>``, ``<pre>``,
    ``<script>`` and ``<style>`` elements, in a :func:`scannable` text.

    Drupal skips the chunks after a tag chunk containing such an opening tag
    until a later tag chunk contains its closing tag. That tag chunk ends at the
    first ``>`` two or more characters after the tag's ``<``, and a closing tag
    is always a whole tag chunk's end, so regions are found by search.
    """
    regions = []
    position = 0
    while opening := _IGNORED_TAG_OPEN.search(text, position):
        tag_end = text.find(">", opening.start() + 2) + 1
        closing = _IGNORED_TAG_CLOSE[opening.group(1).lower()].search(text, tag_end)
        position = closing.end() if closing else len(text)
        regions.append((tag_end, position))
    return regions


FULL_URLS, EMAILS, WWW = "full URLs", "e-mail addresses", "www. addresses"


def scan_pass(text: str, kind: str, blocked: list[tuple[int, int]], patterns,
              schemes=None) -> list[tuple[int, int]]:
    """The ``(start, end)`` spans one pass links in a :func:`scannable` text,
    left to right: url_matching's ``find_full_urls``, ``find_emails`` or
    ``find_www`` (``kind``), run anchor by anchor on the whole text.

    ``blocked`` lists the sorted, disjoint regions nothing may link in (ignored
    elements' insides, earlier passes' links). For each anchor past the current
    segment, the next segment is found with a few searches that start where the
    previous ones stopped, so a pass costs linear time. Inlined on purpose: this
    loop is filter_url's hot path, and method calls per anchor doubled its cost.
    """
    if blocked:
        blocked_starts = [start for start, _ in blocked]
        blocked_ends = [end for _, end in blocked]
    else:
        blocked_starts = blocked_ends = blocked
    find, rfind, length = text.find, text.rfind, len(text)
    full_urls, emails, www_addresses = kind == FULL_URLS, kind == EMAILS, kind == WWW
    # Bound methods, looked up once: each saves an attribute lookup per anchor.
    if full_urls:
        needle, quick_match = ":", QUICK_FULL_URL.match
        last_chars, name_search, longest_name = (
            schemes.last_chars, schemes.name_before_colon.search, schemes.longest)
    elif emails:
        needle, quick_match = "@", QUICK_EMAIL_DOMAIN.match
        email_at_match = patterns.email_at.match
        last_non_domain_char_match = patterns.last_non_domain_char.match
    else:
        www_search, quick_match = patterns.www.search, QUICK_HOST_AND_TRAIL.match
    spans = []
    add_span = spans.append
    position = 0
    outside_tags_from = 0   # no tag holds this position (it may start one)
    next_tag = -1           # the first "<" at or after outside_tags_from
    low = high = 0          # the current segment
    lower = 0               # where its next match may start (the finders' position)
    segment = None          # the exact matcher for it, made on first need
    measured_to = 0         # see url_matching.quick_end
    has_ampersand = False   # in the current segment
    while True:
        # -- the next anchor: cheap necessary conditions on the whole text --
        if www_addresses:
            www = www_search(text, position)
            if www is None:
                break
            anchor = www.start()
        else:
            anchor = find(needle, position)
            if anchor < 0:
                break
        position = anchor + 1
        if full_urls:
            # SchemeFinder.name_start, inline. The name may start no earlier
            # than ``lower``; until the segment is known, the previous one's
            # (lower) is a looser bound.
            if anchor <= lower or text[anchor - 1] not in last_chars:
                continue
            name = name_search(text, lower if lower > anchor - longest_name
                               else anchor - longest_name, anchor)
            if name is None:
                continue
            start = name.start()
        elif emails and not email_at_match(text, anchor):
            continue

        # -- the segment holding it: not in a tag, a blocked region, a comment --
        if anchor >= high:
            segment_low = outside_tags_from if outside_tags_from > high else high
            next_blocked = length
            if blocked_starts:
                index = bisect_right(blocked_starts, anchor)
                if index:
                    blocked_end = blocked_ends[index - 1]
                    if anchor < blocked_end:
                        outside_tags_from = position = blocked_end
                        continue
                    if blocked_end > segment_low:
                        segment_low = blocked_end
                if index < len(blocked_starts):
                    next_blocked = blocked_starts[index]
            gt = rfind(">", segment_low, anchor)
            if gt >= 0:
                if gt and text[gt - 1] == "<":
                    raise NeedsChunkWalk
                segment_low = gt + 1                # a tag's end or a stray ">"
            outside_tags_from = segment_low
            if next_tag < segment_low:
                next_tag = find("<", segment_low)
                if next_tag < 0:
                    next_tag = length
            if next_tag < anchor:                   # the anchor is inside that tag
                outside_tags_from = position = find(">", anchor) + 1
                continue
            high = next_tag if next_tag < next_blocked else next_blocked
            has_ampersand = find("&", segment_low, high) >= 0
            if has_ampersand:                       # escaped delimiters cut segments
                delimiter = ESCAPED_DELIMITER.search(text, anchor, high)
                if delimiter:
                    high = delimiter.start()
                delimiter = _LAST_ESCAPED_DELIMITER.match(text, segment_low, anchor)
                if delimiter:
                    segment_low = delimiter.end()
            low = lower = segment_low
            segment = None
            if full_urls and start < lower:
                start = schemes.name_start(text, lower, anchor)
                if start < 0:
                    continue

        # -- the match at the anchor --
        if emails:
            # url_matching.local_part_start, inline.
            window = anchor - MAX_LOCAL_PART if anchor - MAX_LOCAL_PART > lower else lower
            boundary = last_non_domain_char_match(text, window, anchor)
            start = boundary.end() if boundary else window
            if start == anchor:
                continue
            quick_start = anchor + 1
        elif www_addresses:
            start = anchor
            quick_start = www.end()
            if quick_start >= high:                 # "www." and a host character: in the segment
                continue
        else:
            quick_start = anchor + 1
        end = None
        if quick_start >= measured_to:
            match = quick_match(text, quick_start, high)
            if match is not None and (not has_ampersand
                                      or find("&", quick_start, match.end()) < 0):
                end = match.end()                   # quick_end's usual answer, inline
                measured_to = match.end("run") + 1
            else:
                end, measured_to = quick_answer(text, match, quick_start, high)
        if end is None:
            if segment is None:
                segment = Segment(text[low:high], patterns)
            end = _exact_end(segment, kind, anchor - low, quick_start - low)
            if end >= 0:
                end += low
        if end >= 0:
            add_span((start, end))
            position = end
            if not www_addresses:
                lower = end
        elif full_urls:
            lower = position
    return spans


def _exact_end(segment: Segment, kind: str, anchor: int, after_anchor: int) -> int:
    """The match's end (segment coordinates) from the exact matcher, or -1."""
    if kind == FULL_URLS:
        return segment.full_url_end(anchor)
    if kind == EMAILS:
        return segment.domain_end(after_anchor, prefix_required=True)
    host_end = segment.domain_end(after_anchor, prefix_required=False)
    return segment.trail_end(host_end) if host_end >= 0 else -1


# --- The chunk walk, for texts that are not scannable. ---

def map_linkable_chunks(text: str, needle: str, link_chunk: Callable[[str], str]) -> str:
    """``text`` (comments hidden) with ``link_chunk`` applied to the text chunks
    (between tags, outside ignored elements) that contain ``needle``."""
    last_gt = text.rfind(">")
    pieces = []
    position = 0
    while True:
        opening = _IGNORED_TAG_OPEN.search(text, position)
        tag_end = text.find(">", opening.start() + 2) + 1 if opening else 0
        region_end = tag_end if tag_end else len(text)
        tags_end = min(last_gt + 1, region_end) - position
        pieces.append(_link_region(text[position:region_end], tags_end, needle, link_chunk))
        if not tag_end:
            return "".join(pieces)
        closing = _IGNORED_TAG_CLOSE[opening.group(1).lower()].search(text, region_end)
        position = closing.end() if closing else len(text)
        pieces.append(text[region_end:position])


def _link_region(region: str, tags_end: int, needle: str, link_chunk) -> str:
    """``region`` with its text chunks that contain ``needle`` linked; tags can
    only occur before ``tags_end`` (the last ``>``)."""
    if needle not in region:
        return region
    if tags_end <= 0:
        return link_chunk(region)
    chunks = _TAG.split(region[:tags_end])
    chunks[-1] += region[tags_end:]
    for index in range(0, len(chunks), 2):
        if needle in chunks[index]:
            chunks[index] = link_chunk(chunks[index])
    return "".join(chunks)
