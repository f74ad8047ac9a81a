"""What the rules read: a comment's text as readers see it, from the rendered HTML.

Rules read the rendered HTML rather than the raw text: that is what would be published, and
evasions by markup are gone in it (``f&#117;ck`` is decoded, ``f<em></em>uck`` is one word).
Our renderer's output is well-formed and holds only the format's tags, so a tag pattern is
enough to read it: block tags (``p``, ``br``, ``blockquote``, ...) become a line break, inline
tags (``em``, ``strong``, ``a``) vanish, entities are decoded.

Offsets of evidence are offsets in :attr:`CommentText.text`; ``comment_text`` is a pure
function of the stored HTML, so the dashboard finds the same characters again.
"""
from __future__ import annotations

import functools
import html as html_module
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

# A tag of our own output; quoted attribute values may hold '>'.
_TAG = re.compile(r"""<(/?)([a-zA-Z][a-zA-Z0-9]*)((?:[^>"']|"[^"]*"|'[^']*')*)>""")
_HREF = re.compile(r"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
_BLOCK_TAGS = frozenset({"p", "br", "blockquote", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
                         "pre", "hr", "table", "tr", "td", "th", "dd", "dt", "dl"})


@dataclass(frozen=True)
class Link:
    url: str
    host: str     # lower-case host, or the domain of an e-mail address
    is_email: bool


@dataclass(frozen=True)
class CommentText:
    """A rendered comment as text, with where its block quotes are and what it links to."""

    text: str
    blockquotes: tuple[tuple[int, int], ...]  # (start, end) offsets of text inside <blockquote>
    links: tuple[Link, ...]

    def in_blockquote(self, start: int, end: int) -> bool:
        return any(quote_start <= start and end <= quote_end for quote_start, quote_end in self.blockquotes)


@functools.lru_cache(maxsize=256)
def comment_text(html: str) -> CommentText:
    """The text of rendered HTML (module docstring). Cached: a worker reads each comment's text
    for its near-duplicate keys, then for each rule."""
    parts: list[str] = []
    length = 0
    quote_starts: list[int] = []
    quotes: list[tuple[int, int]] = []
    links: list[Link] = []
    position = 0
    for tag in _TAG.finditer(html):
        if tag.start() > position:
            text = html_module.unescape(html[position:tag.start()])
            parts.append(text)
            length += len(text)
        position = tag.end()
        closing, name = tag.group(1) == "/", tag.group(2).lower()
        if name == "blockquote":
            if not closing:
                quote_starts.append(length)
            elif quote_starts:
                quotes.append((quote_starts.pop(), length))
        if name == "a" and not closing:
            link = _link(tag.group(3))
            if link:
                links.append(link)
        if name in _BLOCK_TAGS and length and not parts[-1].endswith("\n"):
            parts.append("\n")
            length += 1
    tail = html_module.unescape(html[position:])
    parts.append(tail)
    length += len(tail)
    quotes.extend((start, length) for start in quote_starts)  # unclosed: to the end
    return CommentText("".join(parts), tuple(sorted(quotes)), tuple(links))


def _link(attributes: str) -> Link | None:
    found = _HREF.search(attributes)
    if not found:
        return None
    url = html_module.unescape(next(group for group in found.groups() if group is not None))
    if url.lower().startswith("mailto:"):
        address = url[len("mailto:"):].split("?", 1)[0]
        return Link(url, address.rpartition("@")[2].lower(), True)
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        host = ""
    return Link(url, host.lower().rstrip("."), False)
