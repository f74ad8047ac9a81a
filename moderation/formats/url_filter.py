"""``filter_url``: Drupal 11's "Convert URLs into links", in linear time.

As in Drupal (``FilterUrl::process``): three passes (full URLs with a scheme,
then e-mail addresses, then ``www.`` addresses), each over the text between tags,
skipping HTML comments and the insides of ``<a>``, ``<code>``, ``<pre>``,
``<script>`` and ``<style>``; each match is entity-decoded, then escaped, for the
href and the (trimmed) link text. The matching itself, which Drupal does with
regular expressions that backtrack catastrophically on hostile input, is in
:mod:`moderation.formats.url_matching`.

Two intended differences from Drupal 11, both about escaped text:

* (the spec's) an escaped ``<``, ``>``, ``"`` or ``'`` (``&lt;``, ``&gt;``,
  ``&quot;``, ``&#039;`` and their other spellings) ends a URL, so escaped text
  never carries them into an href;
* a link never ends inside a character reference: Drupal links ``?a=1&amp`` out
  of ``?a=1&amp;`` (Plain text for ``?a=1&``) and shows ``&amp`` plus a stray
  ``;``; we end the link before the reference, so the text reads as typed.
"""
import re
from functools import lru_cache
from typing import Callable, NamedTuple

from moderation.formats.entity_decoding import decode_entities
from moderation.formats.normalize import normalize_text
from moderation.formats.protocols import ALLOWED_PROTOCOLS
from moderation.formats.report import RenderReport
from moderation.formats.url_matching import (
    SchemeFinder, Segment, find_emails, find_full_urls, find_www, patterns_for)

# Tags whose contents are never linked: Drupal searches each tag chunk for
# "<(a|script|style|code|pre)(?:\s|>)", then for "</name>" (no /u: ASCII only).
_IGNORED_TAG_OPEN = re.compile(r"<(a|script|style|code|pre)(?:\s|>)", re.I | re.A)
_IGNORED_TAG_CLOSE = {name: re.compile(f"</{name}>", re.I | re.A)
                      for name in ("a", "script", "style", "code", "pre")}

# An escaped "<", ">", '"' or "'": ends a URL in escaped (Plain text) input.
_ESCAPED_DELIMITER = re.compile(
    r"&(?:lt|LT|gt|GT|quot|QUOT|apos|#0*(?:34|39|60|62)|#[xX]0*(?:22|27|3[cCeE]));")

_ELLIPSIS = "\u2026"


def filter_url(text: str, max_length: int = 72, rel: str | None = None, *,
               protocols=ALLOWED_PROTOCOLS, report: RenderReport | None = None) -> str:
    """Turn URLs, ``www.`` addresses and e-mail addresses in ``text`` into links.

    ``max_length`` limits the link text (Drupal's ``filter_url_length``); ``rel``
    (e.g. ``"nofollow ugc"``) is added to each link this filter creates;
    ``protocols`` are the schemes recognised in full URLs (case-sensitive, as in
    Drupal); ``report`` counts the links created and their hosts.
    """
    text = normalize_text(text)
    if ":" not in text and "@" not in text and "www." not in text:
        return text
    linker = _Linker(max_length, rel, report, patterns_for(text))
    for link_pass in (_full_url_pass(tuple(protocols)), _EMAIL_PASS, _WWW_PASS):
        if link_pass is not None and link_pass.needle in text:
            text = _map_linkable_text(text, link_pass.needle,
                                      lambda chunk: linker.link_chunk(chunk, link_pass))
    return text


class _LinkPass(NamedTuple):
    """One of Drupal's three passes."""
    needle: str           # text without it has nothing for this pass
    find_spans: Callable  # Segment -> (start, end) spans, left to right
    href_prefix: str      # "", "mailto:" or "http://"
    host_of: Callable     # decoded match -> host for the report


class _Linker:
    """Turns the spans a pass finds into ``<a>`` elements, as Drupal's callbacks
    (``parseFullLinks``, ``parseEmailLinks``, ``parsePartialLinks``) do."""

    def __init__(self, max_length: int, rel: str | None, report: RenderReport | None,
                 patterns):
        self.max_length = max_length
        self.rel_attribute = "" if rel is None else f' rel="{escape(rel)}"'
        self.report = report
        self.patterns = patterns

    def link_chunk(self, chunk: str, link_pass: _LinkPass) -> str:
        """``chunk`` with its matches linked. Escaped delimiters cut it into
        segments first, so no match spans one."""
        pieces = []
        position = 0
        for delimiter in _ESCAPED_DELIMITER.finditer(chunk):
            self._link_segment(chunk[position:delimiter.start()], link_pass, pieces)
            pieces.append(delimiter.group())
            position = delimiter.end()
        self._link_segment(chunk[position:], link_pass, pieces)
        return "".join(pieces)

    def _link_segment(self, segment: str, link_pass: _LinkPass, pieces: list) -> None:
        position = 0
        if link_pass.needle in segment:
            for start, end in link_pass.find_spans(Segment(segment, self.patterns)):
                matched = decode_entities(segment[start:end])
                pieces.append(segment[position:start])
                pieces.append(f'<a href="{escape(link_pass.href_prefix + matched)}"'
                              f'{self.rel_attribute}>{escape(trim(matched, self.max_length))}</a>')
                position = end
                if self.report is not None:
                    self._count(matched, link_pass)
        pieces.append(segment[position:] if position else segment)

    def _count(self, matched: str, link_pass: _LinkPass) -> None:
        self.report.links_created += 1
        host = link_pass.host_of(matched)
        if host:
            self.report.link_hosts[host] += 1


@lru_cache(maxsize=32)
def _full_url_pass(protocols: tuple) -> _LinkPass | None:
    """The full-URL pass for these protocol names (Drupal: no /i, so case matters)."""
    if not any(protocols):
        return None
    schemes = SchemeFinder(protocols)
    return _LinkPass(":", lambda segment: find_full_urls(segment, schemes), "", _url_host)


def _url_host(url: str) -> str:
    """The lower-cased host a browser would see in ``url`` ('' if none)."""
    scheme, _, rest = url.partition(":")
    if scheme.lower() == "mailto":
        return _email_host(rest)
    authority = re.split(r"[/?#\\]", rest.lstrip("/\\"), maxsplit=1)[0]
    return authority.rpartition("@")[2].partition(":")[0].lower()


def _email_host(address: str) -> str:
    return address.rpartition("@")[2].partition("?")[0].lower()


def _www_host(address: str) -> str:
    return _url_host("http://" + address)


_EMAIL_PASS = _LinkPass("@", find_emails, "mailto:", _email_host)
_WWW_PASS = _LinkPass("www.", find_www, "http://", _www_host)


# --- Drupal's chunking: comments, tags and the text between them. ---

# Drupal's "<!--(.*?)-->"/s and "<.+?>"/s. Scanned only up to the last "-->" or
# ">", every "<!--" or "<" there has its end, so each match costs its length and
# the patterns cannot retry from every "<" (quadratic in Drupal).
_COMMENT = re.compile(r"(<!--.*?-->)", re.S)
_TAG = re.compile(r"(<.[^>]*>)", re.S)
# Stands in for a comment, as Drupal's "<!-- hash -->" does: it has no ">" but
# its last character, and NUL cannot occur in normalized text.
_COMMENT_PLACEHOLDER = "<!--\0-->"


def _map_linkable_text(text: str, needle: str, link_chunk: Callable[[str], str]) -> str:
    """``text`` with ``link_chunk`` applied to the text chunks (between tags,
    outside comments and ignored elements) that contain ``needle``."""
    comments = []
    comments_end = text.rfind("-->") + 3
    if "<!--" in text[:comments_end]:
        parts = _COMMENT.split(text[:comments_end])
        if len(parts) > 1:
            parts[-1] += text[comments_end:]
            text = _COMMENT_PLACEHOLDER.join(parts[0::2])
            comments = parts[1::2]
    text = _link_outside_ignored_elements(text, needle, link_chunk)
    if comments:
        kept = text.split(_COMMENT_PLACEHOLDER)
        text = "".join(part for pair in zip(kept, comments + [""]) for part in pair)
    return text


def _link_outside_ignored_elements(text: str, needle: str, link_chunk) -> str:
    """Drupal skips the chunks after a tag chunk containing an opening ``a``,
    ``script``, ``style``, ``code`` or ``pre`` tag until a later tag chunk
    contains its closing tag. Such a tag chunk ends at the first ``>`` two or
    more characters after the tag's ``<``, so regions are found by search."""
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


# --- Drupal's Html::escape and Unicode::truncate (decodeEntities: entity_decoding). ---

def escape(text: str) -> str:
    """Drupal's ``Html::escape``: ``& < > " '`` as ``&amp; &lt; &gt; &quot; &#039;``."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#039;"))


def trim(text: str, max_length: int) -> str:
    """Drupal's ``Unicode::truncate($text, $max_length, FALSE, TRUE)``: longer
    text keeps its first ``max_length - 1`` characters, minus trailing periods,
    plus an ellipsis."""
    max_length = max(max_length, 0)
    if len(text) <= max_length:
        return text
    ellipsis = _ELLIPSIS[:max_length]
    kept = max(max_length - len(ellipsis), 0)
    return text[:kept].rstrip(".") + ellipsis
