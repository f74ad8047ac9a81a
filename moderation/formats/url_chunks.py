"""Where ``filter_url`` may link, as Drupal finds it: comments hidden, then chunk by chunk.

Drupal (``FilterUrl::process``), for each of its three passes, hides comments,
splits the text into tags (``<.+?>``) and the text chunks between them, skips
the chunks inside ``<a>``, ``<code>``, ``<pre>``, ``<script>`` and ``<style>``,
and matches inside each remaining chunk; we also cut chunks at escaped
delimiters (``&lt;``...), so a chunk is made of *segments*. This module is that
exact implementation; :mod:`moderation.formats.url_scan` is its fast path.
"""
import re
from typing import Callable

# Drupal searches each tag chunk for "<(a|script|style|code|pre)(?:\s|>)", then
# for "</name>" (no /u: ASCII only).
IGNORED_TAG_OPEN = re.compile(r"<(a|script|style|code|pre)(?:\s|>)", re.I | re.A)
IGNORED_TAG_CLOSE = {name: re.compile(f"</{name}>", re.I | re.A)
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


# --- The chunk walk. ---

def map_linkable_chunks(text: str, needle: str, link_chunk: Callable[[str], str]) -> str:
    """``text`` (comments hidden) with ``link_chunk`` applied to the text chunks
    (between tags, outside ignored elements) that contain ``needle``."""
    last_gt = text.rfind(">")
    pieces = []
    position = 0
    while True:
        opening = IGNORED_TAG_OPEN.search(text, position)
        tag_end = text.find(">", opening.start() + 2) + 1 if opening else 0
        region_end = tag_end if tag_end else len(text)
        tags_end = min(last_gt + 1, region_end) - position
        pieces.append(_link_region(text[position:region_end], tags_end, needle, link_chunk))
        if not tag_end:
            return "".join(pieces)
        closing = IGNORED_TAG_CLOSE[opening.group(1).lower()].search(text, region_end)
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
