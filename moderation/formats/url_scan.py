"""Where ``filter_url`` may link: Drupal's chunking, found without visiting every tag.

Drupal (``FilterUrl::process``), for each of its three passes, hides comments,
splits the text into tags (``<.+?>``) and the text chunks between them, skips
the chunks inside ``<a>``, ``<code>``, ``<pre>``, ``<script>`` and ``<style>``,
and matches inside each remaining chunk; we also cut chunks at escaped
delimiters (``&lt;``...), so a chunk is made of *segments*.

:func:`scan_links` answers the same questions per *anchor* (a ``:`` after a
scheme name, an ``@``, a ``www.``) instead of per chunk: anchors are rare, and
a 20 KB comment has hundreds of tags. It works on the original text for all
three passes at once, segment by segment, each pass in the gaps the earlier
passes' links leave. That is exact when :func:`scannable` holds; otherwise
:func:`map_linkable_chunks` walks the chunks one by one, as Drupal does.
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


def ignored_regions(text: str) -> tuple[list[int], list[int]]:
    """The starts and the ends of the insides of ``<a>``, ``<code>``, ``<pre>``,
    ``<script>`` and ``<style>`` elements in a :func:`scannable` text (sorted,
    disjoint: the n-th start and the n-th end make a region).

    Drupal skips the chunks after a tag chunk containing such an opening tag
    until a later tag chunk contains its closing tag. That tag chunk ends at the
    first ``>`` two or more characters after the tag's ``<``, and a closing tag
    is always a whole tag chunk's end, so regions are found by search.
    """
    starts = []
    ends = []
    position = 0
    while opening := _IGNORED_TAG_OPEN.search(text, position):
        tag_end = text.find(">", opening.start() + 2) + 1
        closing = _IGNORED_TAG_CLOSE[opening.group(1).lower()].search(text, tag_end)
        position = closing.end() if closing else len(text)
        starts.append(tag_end)
        ends.append(position)
    return starts, ends


# A quick match with an "&" may end inside a character reference (quick_answer
# then defers to the exact code), but only if the reference goes on after it:
# with one of these characters (its path ends at its "?" when it has a query).
_IN_REFERENCES = frozenset("0123456789#;ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def scan_links(text: str, labels: tuple, blocked_starts, blocked_ends, patterns,
               schemes=None) -> list[tuple]:
    """The links Drupal's three passes make in a :func:`scannable` text, left to
    right, as ``(start, end, label, host start, host end)``: the host (for the
    report) is ``text[host start:host end]`` lower-cased, or the pass must read
    it from the decoded match where host start is -1.

    ``labels`` holds, for full URLs, e-mail addresses and ``www.`` addresses
    (url_matching's ``find_full_urls``, ``find_emails``, ``find_www``), the
    value to record for each link of that kind, or None to skip the kind.
    ``blocked_starts`` and ``blocked_ends`` hold the sorted, disjoint regions
    nothing may link in (ignored elements' insides), the n-th start with the
    n-th end; schemes is the full-URL pass's SchemeFinder.

    Anchor by anchor instead of chunk by chunk: the leftmost anchor (a ``:``
    right after a scheme name, an ``@``, a ``www.``) gives the *segment*
    holding it (text between tags, outside blocked regions, between escaped
    delimiters), found with a few searches that start where the previous ones
    stopped. In that segment the passes run in Drupal's
    order, each in the gaps the earlier ones left: as Drupal's second pass sees
    the first pass's links as ``<a>`` elements, whose insides it skips. Every
    search starts past the previous segment, so a text costs linear time.

    The loop's phases (each marked ``# -- ... --`` below):

    1. the next anchor of each kind, and the leftmost of them;
    2. the segment ``[low, high)`` holding it (or skip past the tag or blocked
       region it is in);
    3. full URLs in the segment;
    4. e-mail addresses in the gaps those leave;
    5. ``www.`` addresses in the gaps both leave;

    3-5 each try their quick all-ASCII pattern (``url_matching.quick_answer``,
    the usual case inline) before the exact :class:`Segment` code. At the end
    the links are sorted if a later kind came before an earlier one.

    One function on purpose: this is filter_url's hot path, and a split costs
    a call per anchor. Measured in situ (filter_url inside render, A/B): empty
    calls where phases 3-5 would be plus one SchemeFinder method for "the next
    colon after a scheme name" (instead of its two inline copies) cost
    ~0.7-1.3 us per medium comment and ~2.5-7 us per long one; the method
    alone ~0.6 us and ~1-4 us.
    """
    url_label, email_label, www_label = labels
    find, rfind, length = text.find, text.rfind, len(text)
    # Bound methods, looked up once: each saves an attribute lookup per use.
    # (Without the full-URL pass, colon is length from the start and these
    # are never read.)
    last_chars, name_search, longest_name = (
        (schemes.last_chars, schemes.name_before_colon.search, schemes.longest)
        if url_label is not None else (frozenset(), None, 0))
    last_non_domain_char_match = patterns.last_non_domain_char.match
    quick_url_match = QUICK_FULL_URL.match
    quick_email_match = QUICK_EMAIL_DOMAIN.match
    quick_www_match = QUICK_HOST_AND_TRAIL.match
    links = []      # (start, end, label, host start, host end), the host for the report
    plain_schemes = url_label is not None and schemes.plain
    unsorted = False
    # The next anchor of each kind at or after ``position`` (``length``: none;
    # -1: to be looked for). ``colon_name`` is the scheme name's start.
    colon = -1 if url_label is not None else length
    colon_name = 0
    at = -1 if email_label is not None else length
    www = -1 if www_label is not None else length
    position = 0            # the text before it is done
    next_tag = -1           # the first "<" at or after some point before position
    url_measured = email_measured = www_measured = 0   # see url_matching.quick_answer
    while True:
        # -- the next anchor of each kind, then the leftmost --
        if colon < position:
            colon = find(":", position)
            while colon >= 0:
                # SchemeFinder.search, inline (twice: see the docstring): a
                # name that ends at the colon and starts at or after position.
                if colon > position and text[colon - 1] in last_chars:
                    name = name_search(text, position if position > colon - longest_name
                                       else colon - longest_name, colon)
                    if name is not None:
                        colon_name = name.start()
                        break
                colon = find(":", colon + 1)
            if colon < 0:
                colon = length
        if at < position:
            at = find("@", position)
            if at < 0:
                at = length
        if www < position:
            www = find("www.", position)
            if www < 0:
                www = length
        anchor = colon if colon < at else at
        if www < anchor:
            anchor = www
        if anchor >= length:
            break

        # -- the segment holding it: not in a tag, a blocked region, a comment --
        low = position
        next_blocked = length
        if blocked_starts:
            index = bisect_right(blocked_starts, anchor)
            if index:
                blocked_end = blocked_ends[index - 1]
                if anchor < blocked_end:
                    position = blocked_end
                    continue
                if blocked_end > low:
                    low = blocked_end
            if index < len(blocked_starts):
                next_blocked = blocked_starts[index]
        gt = rfind(">", low, anchor)
        if gt >= 0:
            if gt and text[gt - 1] == "<":
                raise NeedsChunkWalk
            low = gt + 1                        # a tag's end or a stray ">"
        if next_tag < low:
            next_tag = find("<", low)
            if next_tag < 0:
                next_tag = length
        if next_tag < anchor:                   # the anchor is inside that tag
            position = find(">", anchor) + 1
            continue
        high = next_tag if next_tag < next_blocked else next_blocked
        ampersand = find("&", low, high)
        has_ampersand = ampersand >= 0
        if has_ampersand:                       # escaped delimiters cut segments
            if ampersand < anchor:
                # The last one before the anchor starts at the last "&" that
                # starts one (no "&" in one); each "&" is looked at once.
                ampersand = rfind("&", low, anchor)
                while ampersand >= 0:
                    delimiter = ESCAPED_DELIMITER.match(text, ampersand, anchor)
                    if delimiter:
                        low = delimiter.end()
                        break
                    ampersand = rfind("&", low, ampersand)
                ampersand = anchor
            delimiter = ESCAPED_DELIMITER.search(text, ampersand, high)
            if delimiter:
                high = delimiter.start()
        position = high

        # -- full URLs in [low, high) --
        first = len(links)                      # the segment's links start there
        if colon < high:
            lower = low             # where the next match may start
            segment = None          # the exact matcher, made on first need
            start = colon_name if colon_name >= lower else schemes.name_start(text, lower, colon)
            while True:
                search_from = colon + 1
                if start >= 0:
                    end = None
                    if search_from >= url_measured:
                        match = quick_url_match(text, search_from, high)
                        if match is not None and (
                                not has_ampersand or find("&", search_from, match.end()) < 0
                                or match.end() == high or text[match.end()] not in _IN_REFERENCES):
                            end = match.end()       # quick_answer's usual answer, inline
                            url_measured = match.end("run") + 1
                        else:
                            end, url_measured = quick_answer(text, match, search_from, high)
                    host_start = host_end = -1
                    if end is None:
                        if segment is None:
                            segment = Segment(text[low:high], patterns)
                        end = segment.full_url_end(colon - low)
                        if end >= 0:
                            end += low
                    elif plain_schemes:
                        # The quick host is the one a browser sees if "/", "?",
                        # "#" or the end follows it (url_filter._url_host).
                        host_end = match.end("host")
                        if ((host_end == end or text[host_end] in "/?#")
                                and (colon - start != 6
                                     or text[start:colon].lower() != "mailto")):
                            host_start = search_from + 2
                    if end >= 0:
                        links.append((start, end, url_label, host_start, host_end))
                        lower = search_from = end
                    else:
                        lower = search_from
                # The next colon after a scheme name that starts at or after
                # lower: SchemeFinder.search, inline, as in phase 1.
                start = -1
                colon = find(":", search_from, high)
                while colon >= 0:
                    if colon > lower and text[colon - 1] in last_chars:
                        name = name_search(text, lower if lower > colon - longest_name
                                           else colon - longest_name, colon)
                        if name is not None:
                            start = name.start()
                            break
                    colon = find(":", colon + 1, high)
                if colon < 0:
                    break
            colon = -1                          # looked for again from position
        url_links_end = len(links)

        # -- e-mail addresses, in the gaps between those --
        if at < high:
            block = first                       # the first full URL not before the gap
            gap_low = lower = low
            gap_high = links[first][0] if first < url_links_end else high
            segment = None
            while True:
                while block < url_links_end and links[block][1] <= at:
                    gap_low = lower = links[block][1]
                    block += 1
                    gap_high = links[block][0] if block < url_links_end else high
                    segment = None
                search_from = at + 1
                if at >= gap_high:              # inside a full URL
                    search_from = links[block][1]
                else:
                    # The usual domain first: it implies email_at's necessary
                    # condition, which only the rest must pass.
                    end = None
                    if search_from >= email_measured:
                        match = quick_email_match(text, search_from, gap_high)
                        # A quick host has no "&" (no path either), so it can
                        # never cut a character reference.
                        if match is not None:
                            end = match.end()
                            email_measured = match.end("run") + 1
                        else:
                            end, email_measured = quick_answer(
                                text, match, search_from, gap_high)
                    # url_matching.local_part_start, inline.
                    start = at
                    if end is not None or patterns.email_at.match(text, at):
                        window = at - MAX_LOCAL_PART if at - MAX_LOCAL_PART > lower else lower
                        boundary = last_non_domain_char_match(text, window, at)
                        start = boundary.end() if boundary else window
                    if start < at:
                        if end is None:
                            if segment is None:
                                segment = Segment(text[gap_low:gap_high], patterns)
                            end = segment.domain_end(search_from - gap_low, prefix_required=True)
                            if end >= 0:
                                end += gap_low
                        if end >= 0:
                            links.append((start, end, email_label, search_from, end))
                            lower = search_from = end
                at = find("@", search_from, high)
                if at < 0:
                    break
            at = -1
            if first < url_links_end < len(links):
                unsorted = True                 # e-mail addresses after full URLs

        # -- www. addresses, in the gaps between those --
        if www < high:
            blocks_end = www_links_start = len(links)
            if first < url_links_end < blocks_end:
                blocks, block, blocks_end = sorted(links[first:]), 0, blocks_end - first
            else:
                blocks, block = links, first
            gap_low = low
            gap_high = blocks[block][0] if block < blocks_end else high
            segment = None
            while True:
                while block < blocks_end and blocks[block][1] <= www:
                    gap_low = blocks[block][1]
                    block += 1
                    gap_high = blocks[block][0] if block < blocks_end else high
                    segment = None
                search_from = www + 1
                if www >= gap_high:             # inside an earlier link
                    search_from = blocks[block][1]
                elif www + 4 < gap_high:        # "www." and a host character, in the gap
                    # (a "www." without one has no host: domain_end says so)
                    quick_start = www + 4
                    end = None
                    host_start = host_end = -1
                    if quick_start >= www_measured:
                        match = quick_www_match(text, quick_start, gap_high)
                        if match is not None and (
                                not has_ampersand or find("&", quick_start, match.end()) < 0
                                or match.end() == gap_high
                                or text[match.end()] not in _IN_REFERENCES):
                            end = match.end()
                            www_measured = match.end("run") + 1
                        else:
                            end, www_measured = quick_answer(text, match, quick_start, gap_high)
                        if end is not None:
                            host_end = match.end("host")
                            if host_end == end or text[host_end] in "/?#":
                                host_start = www
                    if end is None:
                        if segment is None:
                            segment = Segment(text[gap_low:gap_high], patterns)
                        end = segment.domain_end(quick_start - gap_low, prefix_required=False)
                        if end >= 0:
                            end = segment.trail_end(end) + gap_low
                    if end >= 0:
                        links.append((www, end, www_label, host_start, host_end))
                        search_from = end
                www = find("www.", search_from, high)
                if www < 0:
                    break
            www = -1
            if first < www_links_start < len(links):
                unsorted = True                 # www. addresses after other links
    if unsorted:    # the segments' links, kind after kind
        links.sort()    # by start: links are disjoint
    return links


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
