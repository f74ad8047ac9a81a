"""``filter_autop``'s fast paths: Drupal's output for the common shapes, written directly.

Each one answers for the chain in ``autop.py`` (``_autop_sections``, ``_autop_chunk``) or
declines with None, and is taken only when ``fast_paths.AUTOP_SHORTCUTS``: the formats tests run both ways
(tests/formats/conftest.py), and ``tests/formats/test_autop_fast_paths.py`` checks each route
against a literal port of Drupal's chain. The shapes:

- one line of plain text (:func:`_one_paragraph`);
- no markup, or no markup the chain acts on (:func:`without_block_tags`), with simple line
  breaks written by two literal replacements (:func:`_simple_line_breaks`);
- quotes on their own lines as the only block tags (:func:`_autop_quoted_paragraphs`);
- no raw section (pre, script, ...): the whole text is one chunk.

Each states why it gives Drupal's output. Measured gains: docs/benchmarks.md.
"""
from __future__ import annotations

import re

# The exact steps; read at call time (this module and autop.py import each other).
from moderation.formats import autop as chain


def autop_shortcut(text: str) -> str | None:
    """The fast paths: the output for the common shapes (no markup; one line; quotes on their
    own lines; no raw section), or None for the exact chain."""
    if "<" not in text:
        if "\n" not in text and "&" not in text:  # one line of plain text
            return _one_paragraph(text)
        return without_block_tags(text)
    pieces = chain._SPLIT_AT_MARKUP.split(text)
    if len(pieces) == 1:
        return without_block_tags(text)
    marks = frozenset(pieces[1::2])
    if marks <= _BLOCKQUOTE_MARKS:
        quoted = _autop_quoted_paragraphs(text, pieces)
        if quoted is not None:
            return quoted
    # Each mark starts with "<", so joined they hold a raw-section start only where one of
    # them does.
    if not chain._RAW_SECTION_START.search("".join(marks)):
        return chain._autop_chunk(text, marks)
    return None


_BLOCKQUOTE_MARKS = frozenset(("<blockquote", "</blockquote"))
# What the chain makes of a quote tag on its own line: "\n<blockquote>" and
# "</blockquote>\n" between paragraphs, "<blockquote>" at the text's start
# and "</blockquote>" at its end.
_QUOTE_OPENS = "</p>\n<blockquote><p>"
_QUOTE_CLOSES = "</p></blockquote>\n<p>"
_QUOTE_OPENS_TEXT = "<blockquote><p>"
_QUOTE_CLOSES_TEXT = "</p></blockquote>\n"
# A newline after a space or tab (or CR, FF, VT), or the first of three.
_NEWLINE_AFTER_INLINE_WS_OR_3 = re.compile(r"\n(?:(?<=[ \t\r\f\v]\n)|\n\n)", re.A)
# _simple_line_breaks' literals: each newline's <br />, and two of them (a pair of newlines,
# which then becomes chain._PARAGRAPH_BREAK_HTML).
_LINE_BREAK_HTML = "<br />\n"
_TWO_LINE_BREAKS_HTML = "<br />\n<br />\n"


def _one_paragraph(line: str) -> str:
    """A line (no newline) without block tags: one paragraph, or none when it
    is only white space (Drupal's empty-paragraph step drops it).  The trim
    and the line-break steps find nothing: the only newline is the one after
    the closing ``</p>``."""
    return f"<p>{line}</p>\n" if line.strip(chain._WS) else ""  # (an f-string: one copy)


def without_block_tags(chunk: str) -> str:
    """``chain._autop_chunk`` for a chunk in which the markup scan found nothing."""
    chunk = chunk.rstrip("\n")  # Drupal's |\n*$| -> ""
    if "\n" not in chunk:
        chunk = _one_paragraph(chunk)
    elif _has_simple_line_breaks(chunk, len(chunk)):
        chunk = f"<p>{_simple_line_breaks(chunk)}</p>\n"
    else:
        chunk = _paragraphs_and_line_breaks(chunk, "<p>", "</p>\n")
    if "&" in chunk:  # /&([^#])(?![A-Za-z0-9]{1,8};)/ -> "&amp;$1"
        chunk = chain._BARE_AMPERSAND.sub(chain._escape_ampersand, chunk)
    return chunk


def _has_simple_line_breaks(text: str, end: int) -> bool:
    """Whether ``text[:end]`` (not empty) starts with no newline, ends with no
    white space, and each of its newlines stands alone or in a pair, with no
    space, tab or other white space before it.

    For such a text (and no block tag in it) Drupal's chain from the trim to
    the ``<br />`` steps comes down to :func:`_simple_line_breaks`: the trim
    finds nothing to cut, each pair is a paragraph break that leaves no empty
    paragraph, and each lone newline follows a character other than white
    space, is followed by no ``</p>`` or ``<p>`` (those come after pairs
    only), and so gets its ``<br />``.
    """
    return (end > 0 and text[0] != "\n" and text[end - 1] not in chain._WS
            and not _NEWLINE_AFTER_INLINE_WS_OR_3.search(text, 0, end))


def _simple_line_breaks(text: str) -> str:
    """Paragraph breaks and ``<br />`` for a text :func:`_has_simple_line_breaks`
    accepts: every newline gets its ``<br />``, then each doubled one (a pair
    of newlines; there are no triples) becomes the paragraph break.  Two
    literal replacements are cheaper than the paragraph and line-break regex
    passes (and the search that chooses between line-break algorithms)."""
    return text.replace("\n", _LINE_BREAK_HTML).replace(_TWO_LINE_BREAKS_HTML,
                                                        chain._PARAGRAPH_BREAK_HTML)


def _paragraphs_and_line_breaks(chunk: str, head: str, tail: str) -> str:
    """The steps of ``chain._autop_chunk`` from the trim to the ``<br />`` steps, for
    a chunk (ends trimmed of newlines) with no block tag of the reader's;
    ``head`` and ``tail`` stand for the first ``<p>`` and the last ``</p>\\n``."""
    chunk = chain._trim_newlines(chunk)
    if "\n" in chunk:
        chunk = chain._PARAGRAPH_BREAK.sub(chain._PARAGRAPH_BREAK_HTML, chunk)
    chunk = "".join((head, chunk, tail))
    if chunk.startswith(chain._WS_AFTER_P):  # an empty first paragraph: see chain._autop_chunk
        chunk = chain._EMPTY_PARAGRAPH.sub("", chunk)
    return chain._line_break_steps(chunk, False, False)


def _quote_layout(pieces: list) -> "tuple[str, list, str] | None":
    """The paragraphs and quotes of a text whose only marks are quote tags,
    read from its ``chain._SPLIT_AT_MARKUP.split``; None unless each tag stands on
    its own line.

    The shape: each mark is a whole "<blockquote>" or "</blockquote>" (no
    attribute); one or two newlines come before an opening tag, unless it
    starts the text, and after a closing one, unless it ends the text
    (trailing newlines aside); and between two tags, and before the first
    and after the last, is text that is not empty and has no white space
    next to a tag.

    Returns (head, body, tail): ``body`` holds the texts without the tags
    and their newlines at even indexes, and between each two the output
    for the tag between them (a joint: ``_QUOTE_OPENS`` or
    ``_QUOTE_CLOSES``); ``head`` and ``tail`` are the output before the
    first text and after the last (a tag at the text's start or end is part
    of them).
    """
    last = len(pieces) - 1
    last_text = pieces[last].rstrip("\n")  # Drupal's |\n*$| -> ""
    opened_at_start = pieces[1] == "<blockquote" and not pieces[0]
    closed_at_end = pieces[last - 1] == "</blockquote" and last_text == ">"
    first = 2 if opened_at_start else 0
    body = []
    # The texts are at even indexes, each between the marks at index - 1 and
    # index + 1 (if any); the ones the head or tail stand for are skipped.
    for index in range(first, last - 1 if closed_at_end else last + 1, 2):
        text = pieces[index] if index < last else last_text
        found = _quoted_text(pieces, index, last, text)
        if found is None:
            return None
        begin, end, joint = found
        if index > first:
            body.append(joint)
        body.append(text[begin:end])
    return (_QUOTE_OPENS_TEXT if opened_at_start else "<p>", body,
            _QUOTE_CLOSES_TEXT if closed_at_end else "</p>\n")


def _quoted_text(pieces: list, index: int, last: int, text: str) -> "tuple[int, int, str] | None":
    """``(begin, end, joint)``: where the text at ``pieces[index]`` lies without the tags'
    ">" and newlines around it, and the output for the tag before it (the ``joint``); None
    when the text or the tags around it are not in the shape :func:`_quote_layout` reads."""
    begin, end, joint = 0, len(text), ""
    if index:  # after a mark: its ">", then a closing tag's newlines
        if text[:1] != ">":
            return None
        if pieces[index - 1] == "<blockquote":
            begin, joint = 1, _QUOTE_OPENS
        elif text[1:2] == "\n":
            begin, joint = (3 if text[2:3] == "\n" else 2), _QUOTE_CLOSES
        else:
            return None
        if end == begin or text[begin] in chain._WS:
            return None
    if index < last:  # before a mark: an opening tag's newlines
        if pieces[index + 1] == "<blockquote":
            if text[end - 1:end] != "\n":
                return None
            end -= 2 if text[end - 2:end - 1] == "\n" else 1
        if end <= begin or text[end - 1] in chain._WS:
            return None
    return begin, end, joint


def _autop_quoted_paragraphs(whole_text: str, pieces: list) -> "str | None":
    """The whole chain for a text whose only block tags are quotes on their
    own lines (the shape :func:`_quote_layout` reads), from
    ``chain._SPLIT_AT_MARKUP.split(text)``; None for any other shape.

    Why the joints are Drupal's output: its spacing puts a newline before
    ``<blockquote>`` and two after ``</blockquote>``, which with the reader's
    newlines make a paragraph break and nothing else; the paragraph and
    blockquote steps then give the ``_QUOTE_*`` constants.  No other step can
    match at or next to them: their newlines follow ``</p>`` or precede
    ``<p>``, the texts next to them start and end with other than white
    space, and there is no other block tag.  So the texts between them take
    the steps of a text without block tags.
    """
    layout = _quote_layout(pieces)
    if layout is None:
        return None
    head, body, tail = layout
    # Each text starts and ends with other than white space where it meets a
    # tag's one or two newlines, so a search of the whole text (but its
    # trailing newlines) tells whether all the texts' line breaks are simple.
    last = pieces[-1]
    if _has_simple_line_breaks(whole_text, len(whole_text) - len(last) + len(last.rstrip("\n"))):
        # _simple_line_breaks, inlined: a call per text costs more than the work
        body[::2] = [text.replace("\n", _LINE_BREAK_HTML).replace(_TWO_LINE_BREAKS_HTML,
                                                                  chain._PARAGRAPH_BREAK_HTML)
                     for text in body[::2]]
        body.insert(0, head)
        body.append(tail)
        chunk = "".join(body)
    elif tail == "</p>\n":
        chunk = _paragraphs_and_line_breaks("".join(body), head, tail)
    else:  # the <br /> that the last newline, after </blockquote>, would get is dropped
        chunk = _paragraphs_and_line_breaks("".join(body), head, tail[:-1]) + "\n"
    if "&" in chunk:
        chunk = chain._BARE_AMPERSAND.sub(chain._escape_ampersand, chunk)
    return chunk
