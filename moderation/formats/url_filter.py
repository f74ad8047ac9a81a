"""``filter_url``: Drupal 11's "Convert URLs into links", in linear time.

As in Drupal (``FilterUrl::process``): three passes (full URLs with a scheme,
then e-mail addresses, then ``www.`` addresses), each over the text between tags,
skipping HTML comments and the insides of ``<a>``, ``<code>``, ``<pre>``,
``<script>`` and ``<style>``; each match is entity-decoded, then escaped, for the
href and the (trimmed) link text. The matching itself, which Drupal does with
regular expressions that backtrack catastrophically on hostile input, is in
:mod:`moderation.formats.url_matching`; where to match (tags, comments, ignored
elements) is in :mod:`moderation.formats.url_chunks`, and its fast path, anchor by
anchor on the whole text rather than chunk by chunk, in :mod:`moderation.formats.url_scan`.

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

from moderation.formats import fast_paths
from moderation.formats.entity_decoding import decode_entities
from moderation.formats.escape import html_escape
from moderation.formats.normalize import normalize_text
from moderation.formats.protocols import ALLOWED_PROTOCOLS
from moderation.formats.report import RenderReport
from moderation.formats.text_filter import Markup, Output, TextFilter, integer_at_least, string
from moderation.formats.url_matching import (
    SchemeFinder, Segment, find_emails, find_full_urls, find_www, patterns_for)
from moderation.formats.url_chunks import (
    ESCAPED_DELIMITER, has_comment_or_ignored_tag, hide_comments, map_linkable_chunks, restore_comments)
from moderation.formats.url_scan import NeedsChunkWalk, ignored_regions, scan_links, scannable

_ELLIPSIS = "\u2026"
_NEEDS_ESCAPING = re.compile("[&<>\"']")


def filter_url(text: str, max_length: int = 72, rel: str | None = None, *,
               protocols=ALLOWED_PROTOCOLS, report: RenderReport | None = None) -> str:
    """Turn URLs, ``www.`` addresses and e-mail addresses in ``text`` into links.

    ``max_length`` limits the link text (Drupal's ``filter_url_length``); ``rel``
    (e.g. ``"nofollow ugc"``) is added to each link this filter creates;
    ``protocols`` are the schemes recognised in full URLs (case-sensitive, as in
    Drupal); ``report`` counts the links created and their hosts.
    """
    return filter_normalized_url(normalize_text(text), max_length, rel, protocols, report)


def filter_normalized_url(text: str, max_length: int, rel: str | None, protocols,
                          report: RenderReport | None, *, markup_free: bool = False) -> str:
    """:func:`filter_url` for ``render``, which has normalized ``text`` already.

    ``markup_free=True`` is the caller's promise that ``text`` holds no HTML
    comment (no ``<!--``) and no opening tag of an element whose inside is not
    linked (nothing matching ``<(a|code|pre|script|style)(\\s|>)`` in any
    case): true of ``filter_html``'s output under a policy that allows none of
    those tags (both engines drop comments and write only allowed tags) and of
    ``filter_html_escape``'s. The search for them (a whole-text scan) is then
    skipped; the output is the same.
    """
    if ":" not in text and "@" not in text and "www." not in text:
        return text
    return _filtered(text, max_length, rel, protocols, report, markup_free=markup_free)


def _filtered(text: str, max_length: int, rel: str | None, protocols,
              report: RenderReport | None, *, by_anchors: bool = True,
              markup_free: bool = False) -> str:
    """``filter_url`` on normalized text: Drupal's passes chunk by chunk, unless the anchor
    scan (a fast path: :func:`_linked_by_anchors`) answers first; ``by_anchors=False`` forces
    the chunk walk (the tests compare the two)."""
    passes = _passes_for(text, protocols)
    if passes is None:
        return text
    patterns = patterns_for(text)
    comments = None
    markup = not markup_free and has_comment_or_ignored_tag(text)
    if markup:
        text, comments = hide_comments(text)
    linked = None
    if by_anchors and fast_paths.ANCHOR_SCAN:
        linked = _linked_by_anchors(text, passes, markup, patterns, max_length, rel, report)
    if linked is None:
        linker = _Linker(max_length, rel, report, patterns)
        linked = _link_by_chunks(text, [link_pass for link_pass in passes if link_pass is not None], linker)
    return restore_comments(linked, comments) if comments else linked


def _passes_for(text: str, protocols) -> tuple | None:
    """Drupal's three passes, in order, each None where the text cannot have its links; None
    when it has none at all. The www. pass always (the scan's one search for "www." tells
    whether it has anything to do)."""
    full_url_pass = (_DEFAULT_FULL_URL_PASS if protocols is ALLOWED_PROTOCOLS
                     else _full_url_pass(tuple(protocols)))
    passes = (full_url_pass if full_url_pass is not None and ":" in text else None,
              _EMAIL_PASS if "@" in text else None,
              _WWW_PASS)
    if passes[0] is None and passes[1] is None and "www." not in text:
        return None
    return passes


def _linked_by_anchors(text: str, passes: tuple, markup: bool, patterns, max_length: int,
                       rel: str | None, report: RenderReport | None) -> str | None:
    """The fast path: the passes anchor by anchor over the original text (url_scan.scan_links, whose
    labels are the passes themselves), then one join; None where it declines (a text that is
    not scannable, a "<>" before an anchor). Elements are made only after a whole scan, so a
    scan that declines leaves no link counted in the report."""
    full_url_pass = passes[0]
    if not scannable(text) or (full_url_pass is not None and not full_url_pass.scannable):
        return None
    blocked_starts, blocked_ends = ignored_regions(text) if markup else ((), ())
    try:
        links = scan_links(text, passes, blocked_starts, blocked_ends, patterns,
                           full_url_pass.schemes if full_url_pass is not None else None)
    except NeedsChunkWalk:
        return None
    if not links:
        return text
    join = _join_few if len(links) < _FEW_LINKS else _join
    return join(text, links, max_length, _rel_attribute(rel), report)


def _join(text: str, links: list, max_length: int, rel_attribute: str,
          report: RenderReport | None) -> str:
    """``text`` with each link replaced by its ``<a>`` element, as
    :func:`_anchor_element` writes it. ``links``: :func:`scan_links`'s
    ``(start, end, link pass, host start, host end)``, sorted, disjoint;
    ``report`` counts the hosts, the text at ``host start:host end``
    (lower-cased) or, where host start is -1, the pass's ``host_of`` the
    decoded match.

    The matches are decoded and escaped all at once, joined by NULs: NUL is not
    in normalized text, no reference holds one, and none decodes to one
    (``&#0;`` stays as it is), so splitting gives back one piece per match.
    That costs a few microseconds however few the links: below
    ``_FEW_LINKS`` links, :func:`_join_few` is quicker. The elements are
    written here in one comprehension, not by calling :func:`_anchor_element`:
    a call per link costs ~30 ns, ~1.5 us on a long comment's 50 links.
    """
    starts, ends, link_passes, host_starts, host_ends = zip(*links)
    matches = [text[start:end] for start, end in zip(starts, ends)]
    joined = "\0".join(matches)
    if "&" in joined:
        joined = decode_entities(joined)
        matches = joined.split("\0")
    shown = html_escape(joined).split("\0")
    if max(map(len, matches)) > max_length:
        link_texts = [escaped if len(matched) <= max_length
                      else html_escape(trim(matched, max_length))
                      for matched, escaped in zip(matches, shown)]
    else:
        link_texts = shown
    elements = [f'<a href="{link_pass.href_prefix}{escaped}"{rel_attribute}>{link_text}</a>'
                for link_pass, escaped, link_text in zip(link_passes, shown, link_texts)]
    if report is not None:
        _record_links(report, text, matches, link_passes, host_starts, host_ends)
    pieces = [None] * (2 * len(elements) + 1)
    pieces[0::2] = [text[start:end] for start, end in zip((0, *ends), (*starts, len(text)))]
    pieces[1::2] = elements
    return "".join(pieces)


def _record_links(report: RenderReport, text: str, matches: list, link_passes, host_starts, host_ends) -> None:
    """Count the links and their hosts: ``text[host start:host end]`` lower-cased, or the
    pass's ``host_of`` the decoded match where host start is -1."""
    report.links_created += len(matches)
    if -1 in host_starts:
        hosts = [text[start:end].lower() if start >= 0 else link_pass.host_of(matched)
                 for start, end, link_pass, matched in zip(host_starts, host_ends, link_passes, matches)]
    else:
        hosts = [text[start:end].lower() for start, end in zip(host_starts, host_ends)]
    if "" in hosts:
        hosts = [host for host in hosts if host]
    report.link_hosts.update(hosts)


_FEW_LINKS = 10      # measured: below it, _join_few is quicker than _join


def _join_few(text: str, links: list, max_length: int, rel_attribute: str,
              report: RenderReport | None) -> str:
    """:func:`_join` link by link."""
    pieces = []
    append = pieces.append
    position = 0
    host_counts = report.link_hosts if report is not None else None
    for start, end, link_pass, host_start, host_end in links:
        matched = text[start:end]
        if "&" in matched:
            matched = decode_entities(matched)
        append(text[position:start])
        append(_anchor_element(link_pass.href_prefix, matched, rel_attribute, max_length))
        position = end
        if host_counts is not None:
            host = (text[host_start:host_end].lower() if host_start >= 0
                    else link_pass.host_of(matched))
            if host:
                host_counts[host] = host_counts.get(host, 0) + 1
    append(text[position:])
    if report is not None:
        report.links_created += len(links)
    return "".join(pieces)


def _anchor_element(href_prefix: str, matched: str, rel_attribute: str,
                    max_length: int) -> str:
    """The ``<a>`` element for a decoded match, its text trimmed to
    ``max_length`` (the prefixes need no escaping)."""
    # escape(), inline: this runs for most links.
    escaped = html_escape(matched) if _NEEDS_ESCAPING.search(matched) else matched
    if len(matched) <= max_length:
        return f'<a href="{href_prefix}{escaped}"{rel_attribute}>{escaped}</a>'
    return (f'<a href="{href_prefix}{escaped}"{rel_attribute}>'
            f'{escape(trim(matched, max_length))}</a>')


def _link_by_chunks(text: str, passes, linker: "_Linker") -> str:
    """Drupal's way: each pass over the previous pass's output, chunk by chunk."""
    for link_pass in passes:
        if link_pass.needle in text:
            text = map_linkable_chunks(text, link_pass.needle,
                                       lambda chunk: linker.link_chunk(chunk, link_pass))
    return text


class _LinkPass(NamedTuple):
    """One of Drupal's three passes."""
    needle: str           # text without it has nothing for this pass
    find_spans: Callable  # Segment -> (start, end) spans, left to right
    href_prefix: str      # "", "mailto:" or "http://"
    host_of: Callable     # decoded match -> host for the report
    schemes: SchemeFinder | None = None   # the full-URL pass's
    scannable: bool = True  # False: scheme names with ">" need the chunk walk


class _Linker:
    """Turns matches into ``<a>`` elements, as Drupal's callbacks
    (``parseFullLinks``, ``parseEmailLinks``, ``parsePartialLinks``) do."""

    def __init__(self, max_length: int, rel: str | None, report: RenderReport | None,
                 patterns):
        self.max_length = max_length
        self.rel_attribute = _rel_attribute(rel)
        self.report = report
        self.patterns = patterns

    def anchor(self, raw_match: str, link_pass: _LinkPass) -> str:
        """The ``<a>`` element for a match (text as it stands in the input)."""
        matched = decode_entities(raw_match) if "&" in raw_match else raw_match
        if self.report is not None:
            self._count(matched, link_pass)
        return _anchor_element(link_pass.href_prefix, matched, self.rel_attribute,
                               self.max_length)

    def link_chunk(self, chunk: str, link_pass: _LinkPass) -> str:
        """``chunk`` with its matches linked. Escaped delimiters cut it into
        segments first, so no match spans one."""
        pieces = []
        position = 0
        for delimiter in ESCAPED_DELIMITER.finditer(chunk):
            self._link_segment(chunk[position:delimiter.start()], link_pass, pieces)
            pieces.append(delimiter.group())
            position = delimiter.end()
        self._link_segment(chunk[position:], link_pass, pieces)
        return "".join(pieces)

    def _link_segment(self, segment: str, link_pass: _LinkPass, pieces: list) -> None:
        position = 0
        if link_pass.needle in segment:
            for start, end in link_pass.find_spans(Segment(segment, self.patterns)):
                pieces.append(segment[position:start])
                pieces.append(self.anchor(segment[start:end], link_pass))
                position = end
        pieces.append(segment[position:] if position else segment)

    def _count(self, matched: str, link_pass: _LinkPass) -> None:
        self.report.links_created += 1
        host = link_pass.host_of(matched)
        if host:
            self.report.link_hosts[host] += 1


def _rel_attribute(rel: str | None) -> str:
    return "" if rel is None else f' rel="{escape(rel)}"'


# Cached for filter_url's callers with their own protocols (each pass compiles a SchemeFinder);
# render uses the default pass, built once below.
@lru_cache(maxsize=32)
def _full_url_pass(protocols: tuple) -> _LinkPass | None:
    """The full-URL pass for these protocol names (Drupal: no /i, so case matters)."""
    if not any(protocols):
        return None
    schemes = SchemeFinder(protocols)
    return _LinkPass(":", lambda segment: find_full_urls(segment, schemes), "",
                     _url_host, schemes, scannable=not any(">" in name for name in protocols))


# After the scheme's ":" (or at a www. address's start): the slashes, an
# optional "user@" (greedy: up to the authority's last "@"), then the host, which
# ends at ":", "/", "?", "#" or "\\". Anchored and tried once, so linear.
_HOST_AFTER_SCHEME = re.compile(r"[/\\]*+(?:[^/?#\\]*@)?([^/?#\\:]*)")


def _url_host(url: str) -> str:
    """The lower-cased host a browser would see in ``url`` ('' if none)."""
    colon = url.find(":")
    if colon < 0:
        return ""
    if colon == 6 and url[:6].lower() == "mailto":
        return _email_host(url[7:])
    return _HOST_AFTER_SCHEME.match(url, colon + 1)[1].lower()


def _email_host(address: str) -> str:
    return address.rpartition("@")[2].partition("?")[0].lower()


def _www_host(address: str) -> str:
    """``_url_host("http://" + address)``."""
    return _HOST_AFTER_SCHEME.match(address)[1].lower()


_EMAIL_PASS = _LinkPass("@", find_emails, "mailto:", _email_host)
_WWW_PASS = _LinkPass("www.", find_www, "http://", _www_host)
_DEFAULT_FULL_URL_PASS = _full_url_pass(ALLOWED_PROTOCOLS)


# --- Drupal's Html::escape and Unicode::truncate (decodeEntities: entity_decoding). ---

def escape(text: str) -> str:
    """:func:`html_escape`, skipping the copies when nothing needs escaping."""
    return html_escape(text) if _NEEDS_ESCAPING.search(text) else text


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


# --- the declaration (text_filter.py) ----------------------------------------------

# Elements whose insides filter_url leaves alone: when the text cannot hold them (nor comments),
# the search for them is skipped (filter_normalized_url's markup_free).
UNLINKED_ELEMENTS = frozenset({"a", "code", "pre", "script", "style"})
LINKS = Output({"a": frozenset({"href", "rel"})})


def _prepare(settings, before: Markup) -> dict:
    return {**settings, "markup_free": not before.comments and not before.could_hold(UNLINKED_ELEMENTS)}


def _run(text: str, settings, _engine, report: RenderReport | None) -> str:
    return filter_normalized_url(text, settings["max_length"], settings["rel"], ALLOWED_PROTOCOLS, report,
                                 markup_free=settings["markup_free"])


def _leaves(_settings, before: Markup) -> Markup:
    return Markup(None if before.elements is None else before.elements | {"a"}, before.comments)


FILTER = TextFilter(
    id="filter_url",
    settings=(integer_at_least("max_length", 1, 72), string("rel", None)),
    run=_run,
    tip=lambda _settings: "Web page addresses and e-mail addresses turn into links automatically.",
    prepare=_prepare,
    leaves=_leaves,
    writes=lambda _settings: LINKS,
)
