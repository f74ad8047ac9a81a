"""Where ``filter_url`` may link: Drupal's chunking, found without visiting every tag.

Drupal (``FilterUrl::process``), for each of its three passes, hides comments,
splits the text into tags (``<.+?>``) and the text chunks between them, skips
the chunks inside ``<a>``, ``<code>``, ``<pre>``, ``<script>`` and ``<style>``,
and matches inside each remaining chunk; we also cut chunks at escaped
delimiters (``&lt;``...), so a chunk is made of *segments*.

:class:`AnchorScanner` answers the same questions per *anchor* (a ``:`` after a
scheme name, an ``@``, a ``www.``) instead of per chunk: anchors are rare, and
a 20 KB comment has hundreds of tags. It works on the original text for all
three passes, with the links of earlier passes as further no-go regions. That
is exact when :func:`scannable` holds; otherwise :func:`map_linkable_chunks`
walks the chunks one by one, as Drupal does.
"""
import re
from bisect import bisect_right
from typing import Callable

from moderation.formats.url_matching import QuickMatcher, Segment, local_part_start

# Drupal searches each tag chunk for "<(a|script|style|code|pre)(?:\s|>)", then
# for "</name>" (no /u: ASCII only).
_IGNORED_TAG_OPEN = re.compile(r"<(a|script|style|code|pre)(?:\s|>)", re.I | re.A)
_IGNORED_TAG_CLOSE = {name: re.compile(f"</{name}>", re.I | re.A)
                      for name in ("a", "script", "style", "code", "pre")}

# Either of the above or "<!--": text without one has neither comments nor
# ignored elements (one scan instead of two).
_COMMENT_OR_IGNORED_TAG = re.compile(r"<(?:!--|(?i:a|script|style|code|pre)(?:\s|>))", re.A)

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


class AnchorScanner:
    """Each pass's matches over a :func:`scannable` text, anchor by anchor.

    ``blocked`` lists the sorted, disjoint regions nothing may link in (ignored
    elements, earlier passes' links). Each anchor's segment is found with a few
    searches that start where the previous ones stopped, so a pass costs linear
    time; the finders' state (``lower``: where the next match may start) is
    kept per segment, as Drupal's per-chunk matching does.
    """

    def __init__(self, text: str, patterns):
        self.text = text
        self.patterns = patterns
        self.quick = QuickMatcher(text)

    def start_pass(self, blocked: list[tuple[int, int]]) -> None:
        self.blocked_starts = [start for start, _ in blocked]
        self.blocked_ends = [end for _, end in blocked]
        self.quick.measured_to = 0
        self.outside_tags_from = 0   # not inside a tag (at most at one's "<")
        self.next_tag = -1           # the first "<" at or after outside_tags_from
        self.low = self.high = 0     # the current segment
        self.lower = 0               # where the next match may start in it
        self.segment = None          # the exact matcher for it, made on first need

    # -- segments --

    def enter(self, anchor: int) -> int:
        """Make the segment holding ``anchor`` (at or after the current one's
        end) current and return -1, or return where to search on when
        ``anchor`` is in a tag or a blocked region."""
        text = self.text
        low = max(self.outside_tags_from, self.high)
        next_blocked = len(text)
        if self.blocked_starts:
            index = bisect_right(self.blocked_starts, anchor)
            if index:
                blocked_end = self.blocked_ends[index - 1]
                if anchor < blocked_end:
                    self.outside_tags_from = blocked_end
                    return blocked_end
                low = max(low, blocked_end)
            if index < len(self.blocked_starts):
                next_blocked = self.blocked_starts[index]
        gt = text.rfind(">", low, anchor)
        if gt >= 0:
            if gt and text[gt - 1] == "<":
                raise NeedsChunkWalk
            low = gt + 1                            # a tag's end or a stray ">"
        self.outside_tags_from = low
        tag = self.next_tag
        if tag < low:
            tag = text.find("<", low)
            self.next_tag = tag = tag if tag >= 0 else len(text)
        if tag < anchor:                            # the anchor is in that tag
            self.outside_tags_from = text.find(">", anchor) + 1
            return self.outside_tags_from
        high = min(tag, next_blocked)
        if text.find("&", low, high) >= 0:
            delimiter = ESCAPED_DELIMITER.search(text, anchor, high)
            if delimiter:
                high = delimiter.start()
            delimiter = _LAST_ESCAPED_DELIMITER.match(text, low, anchor)
            if delimiter:
                low = delimiter.end()
        self.low = self.lower = low
        self.high = high
        self.segment = None
        return -1

    def _exact(self) -> Segment:
        if self.segment is None:
            self.segment = Segment(self.text[self.low:self.high], self.patterns)
        return self.segment

    # -- the three passes (url_matching's finders, anchor by anchor) --

    def full_url_spans(self, schemes) -> list[tuple[int, int]]:
        text = self.text
        name_start = schemes.name_start
        spans = []
        position = 0
        while (colon := text.find(":", position)) >= 0:
            position = colon + 1
            # self.lower may be the previous segment's: a looser bound, rechecked.
            lower = self.lower
            start = name_start(text, lower, colon)
            if start < 0:
                continue
            if colon >= self.high:
                resume = self.enter(colon)
                if resume >= 0:
                    position = resume
                    continue
                if self.lower != lower:
                    start = name_start(text, self.lower, colon)
                    if start < 0:
                        continue
            end = self.quick.end(QuickMatcher.FULL_URL, colon + 1, self.high)
            if end is None:
                end = self._shifted(self._exact().full_url_end(colon - self.low))
            if end >= 0:
                spans.append((start, end))
                position = end
            self.lower = position
        return spans

    def email_spans(self) -> list[tuple[int, int]]:
        text = self.text
        patterns = self.patterns
        email_at = patterns.email_at
        spans = []
        position = 0
        while (at := text.find("@", position)) >= 0:
            position = at + 1
            if not email_at.match(text, at):
                continue
            if at >= self.high:
                resume = self.enter(at)
                if resume >= 0:
                    position = resume
                    continue
            start = local_part_start(text, patterns, self.lower, at)
            if start < at:
                end = self.quick.end(QuickMatcher.EMAIL_DOMAIN, at + 1, self.high)
                if end is None:
                    end = self._shifted(self._exact().domain_end(at + 1 - self.low, True))
                if end >= 0:
                    spans.append((start, end))
                    self.lower = position = end
        return spans

    def www_spans(self) -> list[tuple[int, int]]:
        text = self.text
        www_pattern = self.patterns.www
        spans = []
        position = 0
        while www := www_pattern.search(text, position):
            anchor = www.start()
            position = anchor + 1
            if anchor >= self.high:
                resume = self.enter(anchor)
                if resume >= 0:
                    position = resume
                    continue
            host_start = www.end()
            if host_start >= self.high:          # "www." and a host character: in the segment
                continue
            end = self.quick.end(QuickMatcher.HOST_AND_TRAIL, host_start, self.high)
            if end is None:
                segment = self._exact()
                host_end = segment.domain_end(host_start - self.low, prefix_required=False)
                end = self._shifted(segment.trail_end(host_end) if host_end >= 0 else -1)
            if end >= 0:
                spans.append((anchor, end))
                position = end
        return spans

    def _shifted(self, segment_end: int) -> int:
        return segment_end + self.low if segment_end >= 0 else -1


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
