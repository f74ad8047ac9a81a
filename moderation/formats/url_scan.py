"""``filter_url``'s fast path (``fast_paths.ANCHOR_SCAN``): where to link, found anchor by
anchor instead of chunk by chunk (:mod:`moderation.formats.url_chunks`, Drupal's way).

:func:`scan_links` answers the chunk walk's questions per *anchor* (a ``:`` after a
scheme name, an ``@``, a ``www.``): anchors are rare, and a 20 KB comment has hundreds of
tags. It works on the original text, pass after pass, each pass outside the links the
earlier ones made. That is exact when :func:`scannable` holds; otherwise the caller
walks the chunks. The formats tests run with this module off too, and compare the two
on random markup (tests/formats/test_url_filter.py).
"""
import re
from bisect import bisect_right

from moderation.formats.url_chunks import ESCAPED_DELIMITER, IGNORED_TAG_CLOSE, IGNORED_TAG_OPEN
from moderation.formats.url_matching import (
    MAX_LOCAL_PART, QUICK_EMAIL_DOMAIN, QUICK_FULL_URL, QUICK_HOST_AND_TRAIL, Segment,
    quick_answer)


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
    while opening := IGNORED_TAG_OPEN.search(text, position):
        tag_end = text.find(">", opening.start() + 2) + 1
        closing = IGNORED_TAG_CLOSE[opening.group(1).lower()].search(text, tag_end)
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
    n-th end; ``schemes`` is the full-URL pass's SchemeFinder.

    Pass after pass, as Drupal, but anchor by anchor: each pass finds its next
    anchor (a ``:`` after a scheme name, an ``@``, a ``www.``) in the original
    text, and the *segment* holding it (:func:`_segment_around`) only when the
    anchor is past the current one. The earlier passes' links are blocked
    regions for the later ones, as Drupal's second pass skips the insides of the
    first one's ``<a>`` elements. Each search starts where the previous one
    stopped: linear time.
    """
    url_label, email_label, www_label = labels
    urls = (_full_urls(text, url_label, schemes, patterns, (blocked_starts, blocked_ends))
            if url_label is not None else [])
    emails = (_emails(text, email_label, patterns, _blocked_with(blocked_starts, blocked_ends, urls))
              if email_label is not None and "@" in text else [])
    links = _in_order(urls, emails)
    wwws = (_www_addresses(text, www_label, patterns, _blocked_with(blocked_starts, blocked_ends, links))
            if www_label is not None and "www." in text else [])
    return _in_order(links, wwws)


def _in_order(links: list, more: list) -> list:
    """Two sorted lists of disjoint links as one (timsort merges the two runs)."""
    if not more:
        return links
    return sorted(links + more) if links else more


def _blocked_with(blocked_starts, blocked_ends, links: list) -> tuple[list, list]:
    """The blocked regions and the links (sorted, disjoint; a link is never inside a
    blocked region) as one sorted pair of lists: a later pass links in neither."""
    if not links:
        return blocked_starts, blocked_ends
    if not blocked_starts:
        return [link[0] for link in links], [link[1] for link in links]
    regions = sorted([*zip(blocked_starts, blocked_ends), *((link[0], link[1]) for link in links)])
    return [start for start, _ in regions], [end for _, end in regions]


def _segment_around(text: str, anchor: int, position: int, blocked: tuple,
                    next_tag: int) -> tuple[int, int, bool, int]:
    """``(low, high, has_ampersand, next_tag)``: the segment ``[low, high)`` holding
    ``anchor`` (the text before ``position`` is done), whether it holds an "&", and the
    first "<" at or after some point before ``high`` (kept for the next call). ``low`` is
    -1 when the anchor is inside a tag or a blocked region: the pass goes on from ``high``.
    """
    length = len(text)
    low, next_blocked = position, length
    blocked_starts, blocked_ends = blocked
    if blocked_starts:
        index = bisect_right(blocked_starts, anchor)
        if index:
            blocked_end = blocked_ends[index - 1]
            if anchor < blocked_end:
                return -1, blocked_end, False, next_tag
            if blocked_end > low:
                low = blocked_end
        if index < len(blocked_starts):
            next_blocked = blocked_starts[index]
    gt = text.rfind(">", low, anchor)
    if gt >= 0:
        if gt and text[gt - 1] == "<":
            raise NeedsChunkWalk
        low = gt + 1                            # a tag's end or a stray ">"
    if next_tag < low:
        next_tag = text.find("<", low)
        if next_tag < 0:
            next_tag = length
    if next_tag < anchor:                       # the anchor is inside that tag
        return -1, text.find(">", anchor) + 1, False, next_tag
    high = next_tag if next_tag < next_blocked else next_blocked
    ampersand = text.find("&", low, high)
    if ampersand < 0:
        return low, high, False, next_tag
    low, high = _between_escaped_delimiters(text, low, anchor, high, ampersand)
    return low, high, True, next_tag


def _between_escaped_delimiters(text: str, low: int, anchor: int, high: int, ampersand: int) -> tuple[int, int]:
    """``[low, high)`` narrowed to the escaped delimiters (``&lt;``...) around ``anchor``;
    ``ampersand`` is the first "&" in it."""
    if ampersand < anchor:
        # The last delimiter before the anchor starts at the last "&" that starts one (no
        # "&" in one); each "&" is looked at once.
        ampersand = text.rfind("&", low, anchor)
        while ampersand >= 0:
            delimiter = ESCAPED_DELIMITER.match(text, ampersand, anchor)
            if delimiter:
                low = delimiter.end()
                break
            ampersand = text.rfind("&", low, ampersand)
        ampersand = anchor
    delimiter = ESCAPED_DELIMITER.search(text, ampersand, high)
    return low, (delimiter.start() if delimiter else high)


def _cuts_no_reference(text: str, match: re.Match, start: int, limit: int) -> bool:
    """True when a quick match surely ends outside any character reference: no "&" in it,
    or it ends the segment, or the character after it cannot go on a reference (else
    ``url_matching.quick_answer`` looks closer)."""
    end = match.end()
    return text.find("&", start, end) < 0 or end == limit or text[end] not in _IN_REFERENCES


# --- the passes: in each, the usual link is handled inline (its loop runs once per
# link, where a call costs ~0.1 us), and the exact Segment code is made on first need.

def _full_urls(text: str, label, schemes, patterns, blocked: tuple) -> list:
    """Drupal's first pass: the full URLs, left to right."""
    links = []
    last_chars, name_search, longest = schemes.last_chars, schemes.name_before_colon.search, schemes.longest
    plain = schemes.plain
    low = high = lower = measured = 0   # the segment [low, high); lower: where a URL may start
    next_tag, has_ampersand, segment = -1, False, None
    colon = text.find(":")
    while colon >= 0:
        search_from = colon + 1
        if text[colon - 1:colon] in last_chars:     # maybe after a scheme name
            if colon >= high:                       # a new segment
                low, high, has_ampersand, next_tag = _segment_around(text, colon, high, blocked, next_tag)
                lower, segment = low, None
            # SchemeFinder.name_start, inline: the leftmost name ending at the colon, starting at
            # or after lower (none in a tag or a blocked region: low is -1 there).
            name = (name_search(text, lower if lower > colon - longest else colon - longest, colon)
                    if colon > lower >= 0 else None)
            if name is not None:
                match = QUICK_FULL_URL.match(text, search_from, high) if search_from >= measured else None
                if match is not None and (not has_ampersand or _cuts_no_reference(text, match, search_from, high)):
                    end, measured = match.end(), match.end("run") + 1   # quick_answer's usual answer
                    host_start, host_end = _url_host(text, match, name.start(), colon, end) if plain else _NO_HOST
                else:
                    end, measured, segment, host_start, host_end = _full_url_otherwise(
                        text, patterns, plain, name.start(), colon, low, high, match, measured, segment)
                if end >= 0:
                    links.append((name.start(), end, label, host_start, host_end))
                    search_from = end
                lower = search_from
        colon = text.find(":", search_from)
    return links


def _full_url_otherwise(text: str, patterns, plain: bool, start: int, colon: int, low: int, high: int,
                        match, measured: int, segment):
    """``(end or -1, measured, segment, host start, host end)`` of the full URL at ``start``
    where the usual answer is not at hand: a quick match to check against character
    references (``quick_answer``), or none (before ``measured``, or no quick match), where
    the exact :class:`Segment` code decides. ``plain``: the schemes' ``SchemeFinder.plain``."""
    end = None
    if colon + 1 >= measured:
        end, measured = quick_answer(text, match, colon + 1, high)
    if end is not None:
        host_start, host_end = _url_host(text, match, start, colon, end) if plain else _NO_HOST
        return end, measured, segment, host_start, host_end
    segment = segment or Segment(text[low:high], patterns)
    end = segment.full_url_end(colon - low)
    return (end + low if end >= 0 else -1), measured, segment, -1, -1


def _emails(text: str, label, patterns, blocked: tuple) -> list:
    """Drupal's second pass: the e-mail addresses outside the full URLs (blocked)."""
    links = []
    email_at, last_non_domain_char = patterns.email_at.match, patterns.last_non_domain_char.match
    low = high = lower = measured = 0   # the segment [low, high); lower: where an address may start
    next_tag, segment = -1, None
    at = text.find("@")
    while at >= 0:
        if at >= high:                          # a new segment
            low, high, _, next_tag = _segment_around(text, at, high, blocked, next_tag)
            lower, segment = low, None
            if low < 0:                         # in a tag or a blocked region
                at = text.find("@", high)
                continue
        # The usual domain first: it implies email_at's necessary condition, which only the
        # rest must pass. (A quick host has no "&", so it can never cut a reference.)
        end = None
        if at + 1 >= measured:
            match = QUICK_EMAIL_DOMAIN.match(text, at + 1, high)
            end, measured = ((match.end(), match.end("run") + 1) if match is not None
                             else quick_answer(text, match, at + 1, high))
        start = at
        if end is not None or email_at(text, at):   # url_matching.local_part_start, inline
            window = at - MAX_LOCAL_PART if at - MAX_LOCAL_PART > lower else lower
            boundary = last_non_domain_char(text, window, at)
            start = boundary.end() if boundary else window
        if start < at and end is None:
            end, segment = _exact_end(text, patterns, segment, low, high, at + 1, True)
        if start < at and end >= 0:
            links.append((start, end, label, at + 1, end))
            lower = end
        at = text.find("@", lower if lower > at else at + 1)
    return links


def _www_addresses(text: str, label, patterns, blocked: tuple) -> list:
    """Drupal's third pass: the ``www.`` addresses outside the earlier links (blocked)."""
    links = []
    high = measured = 0                 # the segment ends at high
    next_tag, has_ampersand, segment = -1, False, None
    www = text.find("www.")
    while www >= 0:
        if www >= high:                         # a new segment
            low, high, has_ampersand, next_tag = _segment_around(text, www, high, blocked, next_tag)
            segment = None
            if low < 0:                         # in a tag or a blocked region
                www = text.find("www.", high)
                continue
        end = None
        if www + 4 < high and www + 4 >= measured:  # "www." and a host character: try the quick way
            match = QUICK_HOST_AND_TRAIL.match(text, www + 4, high)
            if match is not None and (not has_ampersand or _cuts_no_reference(text, match, www + 4, high)):
                end, measured = match.end(), match.end("run") + 1
            else:
                end, measured = quick_answer(text, match, www + 4, high)
        if end is not None:
            links.append((www, end, label, *_url_host(text, match, www, -1, end)))
        elif www + 4 < high:                    # (without a host character, no address)
            end, segment = _exact_end(text, patterns, segment, low, high, www + 4, False)
            if end >= 0:
                links.append((www, end, label, -1, -1))
        www = text.find("www.", end if end is not None and end >= 0 else www + 1)
    return links


def _exact_end(text: str, patterns, segment, low: int, high: int, host_start: int, email: bool):
    """``(end or -1, segment)``: the end of the e-mail domain (``email``) or ``www.``
    address whose host starts at ``host_start``, by the exact :class:`Segment` code for
    ``[low, high)`` (``segment``, made here on first need)."""
    segment = segment or Segment(text[low:high], patterns)
    end = segment.domain_end(host_start - low, prefix_required=email)
    if end >= 0 and not email:
        end = segment.trail_end(end)
    return (end + low if end >= 0 else -1), segment


_NO_HOST = (-1, -1)


def _url_host(text: str, match: re.Match, start: int, colon: int, end: int) -> tuple[int, int]:
    """``(host start, host end)`` for the report from a quick match: the quick host is the
    one a browser sees if "/", "?", "#" or the end follows it (url_filter._url_host), and a
    mailto: link has none; ``(-1, host end)`` where the pass must decode the match instead.
    ``colon`` is the scheme's colon, -1 for a www. address (its host starts at ``start``)."""
    host_end = match.end("host")
    if host_end != end and text[host_end] not in "/?#":
        return -1, host_end
    if colon < 0:
        return start, host_end
    if colon - start == 6 and text[start:colon].lower() == "mailto":
        return -1, host_end
    return colon + 3, host_end
