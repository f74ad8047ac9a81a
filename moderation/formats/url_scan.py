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
    n-th end; ``schemes`` is the full-URL pass's SchemeFinder.

    Anchor by anchor instead of chunk by chunk: the leftmost anchor (a ``:`` after a scheme
    name, an ``@``, a ``www.``) gives the *segment* holding it (:func:`_segment_around`).
    There the passes run in Drupal's order (:class:`_LinkScan`), each in the gaps the
    earlier ones left, as Drupal's second pass skips the insides of the first one's
    ``<a>`` elements. Each search starts past the previous segment: linear time.
    """
    scan = _LinkScan(text, labels, patterns, schemes)
    links = scan.links
    find, length = text.find, len(text)
    position = 0            # the text before it is done
    next_tag = -1           # the first "<" at or after some point before position
    # The next anchor of each kind at or after position: -1, to look for; length, none (or
    # the kind is off). colon_name: where the scheme name before colon starts.
    colon, at, www = (-1 if label is not None else length for label in labels)
    colon_name = 0
    while True:
        if colon < position:
            colon_name, colon = schemes.search(text, position) or (0, length)
        if at < position:
            at = find("@", position)
            if at < 0:
                at = length
        if www < position:
            www = find("www.", position)
            if www < 0:
                www = length
        anchor = min(colon, at, www)
        if anchor >= length:
            return scan.links_in_order()
        low, high, has_ampersand, next_tag = _segment_around(
            text, anchor, position, blocked_starts, blocked_ends, next_tag)
        position = high
        if low < 0:                             # in a tag or a blocked region
            continue
        first = len(links)
        if colon < high:
            scan.full_urls(low, high, colon, colon_name, has_ampersand)
            colon = -1
        urls_end = len(links)
        if at < high:
            scan.emails(low, high, at, first, urls_end)
            at = -1
        if www < high:
            scan.www_addresses(low, high, www, first, urls_end, has_ampersand)
            www = -1


def _segment_around(text: str, anchor: int, position: int, blocked_starts, blocked_ends,
                    next_tag: int) -> tuple[int, int, bool, int]:
    """``(low, high, has_ampersand, next_tag)``: the segment ``[low, high)`` holding
    ``anchor`` (the text before ``position`` is done), whether it holds an "&", and the
    first "<" at or after some point before ``high`` (kept for the next call). ``low`` is
    -1 when the anchor is inside a tag or a blocked region: the scan goes on from ``high``.
    """
    length = len(text)
    low, next_blocked = position, length
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


class _Gaps:
    """The gaps that the links ``blocks[block:blocks_end]`` (sorted, disjoint) leave in
    ``[low, high)``, walked left to right: ``low`` and ``high`` bound the current gap."""

    __slots__ = ("blocks", "block", "blocks_end", "low", "high", "segment_high")

    def __init__(self, blocks: list, block: int, blocks_end: int, low: int, high: int):
        self.blocks, self.block, self.blocks_end = blocks, block, blocks_end
        self.segment_high = high
        self.low = low
        self.high = blocks[block][0] if block < blocks_end else high

    def move_to(self, anchor: int) -> int:
        """Skip the links that end at or before ``anchor``; where the scan goes on: ``anchor``
        in the current gap, else the end of the link ``anchor`` is in."""
        blocks = self.blocks
        while self.block < self.blocks_end and blocks[self.block][1] <= anchor:
            self.low = blocks[self.block][1]
            self.block += 1
            self.high = blocks[self.block][0] if self.block < self.blocks_end else self.segment_high
        return anchor if anchor < self.high else blocks[self.block][1]


class _LinkScan:
    """One :func:`scan_links` call's state: the text, what each kind records, the links so
    far, and how far each quick pattern has measured (``url_matching.quick_answer``).

    Each phase runs once per segment; inside, the usual link is handled inline, since its
    loop runs once per link (a call per link costs ~0.1 us, ~5% of filter_url on a long
    comment), and the exact :class:`Segment` code is made on first need."""

    __slots__ = ("text", "patterns", "schemes", "url_label", "email_label", "www_label",
                 "plain_schemes", "links", "url_measured", "email_measured", "www_measured",
                 "unsorted")

    def __init__(self, text: str, labels: tuple, patterns, schemes):
        self.text = text
        self.url_label, self.email_label, self.www_label = labels
        self.patterns = patterns
        self.schemes = schemes
        self.plain_schemes = self.url_label is not None and schemes.plain
        self.links: list[tuple] = []
        self.url_measured = self.email_measured = self.www_measured = 0
        self.unsorted = False           # a later kind found before an earlier one in a segment

    def links_in_order(self) -> list[tuple]:
        if self.unsorted:               # the segments' links, kind after kind
            self.links.sort()           # by start: links are disjoint
        return self.links

    # -- full URLs --
    def full_urls(self, low: int, high: int, colon: int, start: int, has_ampersand: bool) -> None:
        """The full URLs in ``[low, high)``, from the scheme colon ``colon`` (its name starts
        at ``start``) on: the usual one by its quick pattern, else :meth:`_full_url_otherwise`."""
        text, schemes, links, label = self.text, self.schemes, self.links, self.url_label
        measured, plain = self.url_measured, self.plain_schemes
        lower = low                     # where the next match may start
        segment = None                  # the exact matcher, made on first need
        if start < lower:
            start = schemes.name_start(text, lower, colon)
        while colon >= 0:
            search_from = colon + 1
            if start >= 0:
                match = QUICK_FULL_URL.match(text, search_from, high) if search_from >= measured else None
                if match is not None and (not has_ampersand or _cuts_no_reference(text, match, search_from, high)):
                    end, measured = match.end(), match.end("run") + 1   # quick_answer's usual answer
                    # The quick host is the one a browser sees if "/", "?", "#" or the end
                    # follows it (url_filter._url_host); mailto: has none (6: a name that
                    # long reads its host from the match).
                    host_end = match.end("host")
                    host_start = (colon + 3 if plain and colon - start != 6
                                  and (host_end == end or text[host_end] in "/?#") else -1)
                else:
                    end, measured, segment, host_start, host_end = self._full_url_otherwise(
                        start, colon, low, high, match, measured, segment)
                if end >= 0:
                    links.append((start, end, label, host_start, host_end))
                    search_from = end
                lower = search_from
            start, colon = schemes.search(text, search_from, high, lower) or _NONE_FOUND
        self.url_measured = measured

    def _full_url_otherwise(self, start: int, colon: int, low: int, high: int, match, measured: int, segment):
        """``(end or -1, measured, segment, host start, host end)`` of the full URL at ``start``
        where the usual answer is not at hand: a quick match to check against character
        references (``quick_answer``), or none (before ``measured``, or no quick match), where
        the exact :class:`Segment` code decides."""
        text = self.text
        end = None
        if colon + 1 >= measured:
            end, measured = quick_answer(text, match, colon + 1, high)
        if end is not None:
            host_start, host_end = _url_host(text, match, start, colon, end) if self.plain_schemes else _NO_HOST
            return end, measured, segment, host_start, host_end
        segment = segment or Segment(text[low:high], self.patterns)
        end = segment.full_url_end(colon - low)
        return (end + low if end >= 0 else -1), measured, segment, -1, -1

    # -- e-mail addresses, in the gaps the full URLs leave --
    def emails(self, low: int, high: int, at: int, first: int, urls_end: int) -> None:
        """The e-mail addresses in ``[low, high)`` from the ``@`` at ``at`` on, outside the full
        URLs ``links[first:urls_end]``."""
        text, links, label = self.text, self.links, self.email_label
        gaps = _Gaps(links, first, urls_end, low, high) if urls_end > first else None
        gap_low, gap_high = (low, high) if gaps is None else (gaps.low, gaps.high)
        lower = low                     # where the next address may start
        segment = None
        while at >= 0:
            search_from = at + 1
            if gaps is not None:
                search_from = gaps.move_to(at) + 1
                if gaps.low != gap_low:
                    lower = gap_low = gaps.low
                    gap_high, segment = gaps.high, None
            if search_from == at + 1:   # the "@" is in a gap
                start, end, segment = self._email(at, lower, gap_low, gap_high, segment)
                if end >= 0:
                    links.append((start, end, label, search_from, end))
                    lower = search_from = end
            at = text.find("@", search_from, high)
        if first < urls_end < len(links):
            self.unsorted = True        # e-mail addresses after full URLs

    def _email(self, at: int, lower: int, gap_low: int, gap_high: int, segment):
        """``(start, end or -1, segment)`` of the e-mail address around the ``@`` at ``at``."""
        text, patterns = self.text, self.patterns
        # The usual domain first: it implies email_at's necessary condition, which only the
        # rest must pass. (A quick host has no "&", so it can never cut a reference.)
        end = None
        if at + 1 >= self.email_measured:
            match = QUICK_EMAIL_DOMAIN.match(text, at + 1, gap_high)
            if match is not None:
                end, self.email_measured = match.end(), match.end("run") + 1
            else:
                end, self.email_measured = quick_answer(text, match, at + 1, gap_high)
        start = at
        if end is not None or patterns.email_at.match(text, at):   # url_matching.local_part_start
            window = at - MAX_LOCAL_PART if at - MAX_LOCAL_PART > lower else lower
            boundary = patterns.last_non_domain_char.match(text, window, at)
            start = boundary.end() if boundary else window
        if start >= at:
            return start, -1, segment
        if end is None:
            segment = segment or Segment(text[gap_low:gap_high], patterns)
            end = segment.domain_end(at + 1 - gap_low, prefix_required=True)
            end = end + gap_low if end >= 0 else -1
        return start, end, segment

    # -- www. addresses, in the gaps the earlier links leave --
    def www_addresses(self, low: int, high: int, www: int, first: int, urls_end: int, has_ampersand: bool) -> None:
        """The ``www.`` addresses in ``[low, high)`` from ``www`` on, outside the links
        ``links[first:]``."""
        text, links, label = self.text, self.links, self.www_label
        links_start = len(links)
        if first < urls_end < links_start:      # full URLs, then e-mail addresses: in order
            gaps = _Gaps(sorted(links[first:]), 0, links_start - first, low, high)
        else:
            gaps = _Gaps(links, first, links_start, low, high)
        segment = None                  # the exact matcher for the current gap
        while www >= 0:
            search_from = www + 1
            if links_start > first:
                gap_low = gaps.low
                search_from = gaps.move_to(www) + 1
                if gaps.low != gap_low:
                    segment = None
            if search_from == www + 1 and www + 4 < gaps.high:  # "www." and a host character, in a gap
                end, host_start, host_end, segment = self._www_address(www, gaps, segment, has_ampersand)
                if end >= 0:
                    links.append((www, end, label, host_start, host_end))
                    search_from = end
            www = text.find("www.", search_from, high)
        if first < links_start < len(links):
            self.unsorted = True        # www. addresses after other links

    def _www_address(self, www: int, gaps: _Gaps, segment, has_ampersand: bool):
        """``(end or -1, host start, host end, segment)`` of the ``www.`` address at ``www``."""
        text, quick_start = self.text, www + 4
        if quick_start >= self.www_measured:
            match = QUICK_HOST_AND_TRAIL.match(text, quick_start, gaps.high)
            if match is not None and (not has_ampersand or _cuts_no_reference(text, match, quick_start, gaps.high)):
                end, self.www_measured = match.end(), match.end("run") + 1
            else:
                end, self.www_measured = quick_answer(text, match, quick_start, gaps.high)
            if end is not None:
                return (end, *_url_host(text, match, www, -1, end), segment)
        segment = segment or Segment(text[gaps.low:gaps.high], self.patterns)
        end = segment.domain_end(quick_start - gaps.low, prefix_required=False)
        return (segment.trail_end(end) + gaps.low if end >= 0 else -1), -1, -1, segment


_NO_HOST = (-1, -1)
_NONE_FOUND = (-1, -1)


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
