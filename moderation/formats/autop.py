"""``filter_autop``: convert line breaks into HTML, exactly as Drupal 11 does.

Drupal's ``FilterAutoP::process`` (WordPress lineage) is a chain of PCRE
``preg_replace`` calls.  This module reproduces its output character for
character, but several of those patterns backtrack quadratically in a
backtracking engine on hostile input (64 KB of spaces, thousands of ``<div``
with no ``>``, ``<!--`` with no ``-->``).  Each such step is rewritten here
into a form that gives the same leftmost-first result in linear time; the
comment on each step says what Drupal does and why the rewrite is equivalent.
``tests/formats/test_autop.py`` checks every rewrite against a literal
transliteration of Drupal's chain on tricky inputs.

Speed (every pass over a 20 KB comment costs ~0.5 us/KB in Python's engine,
so passes are what is saved): one scan of the reader's markup decides which
steps can match at all; steps that cannot are skipped; several steps run as
one pass when their matches cannot interact; patterns start with a literal
and reject common inline tags early; replacements are literals or small
functions (3.11 expands ``\\1`` templates in Python).  The shapes most
comments have skip the general chain: text without block tags whose newlines
are single or paired gets its paragraphs and ``<br />`` from two literal
replacements, and quotes on their own lines are put in as the fixed strings
the chain would make of them.  Each shortcut states why it gives Drupal's
output, and has a differential test.

Drupal runs its patterns without the ``/u`` flag, i.e. on bytes: ``\\s`` is
ASCII white space and case-insensitivity is ASCII only, so every pattern here
is compiled with ``re.ASCII`` and ``\\s`` is spelled out as ``_WS_CLASS``.
"""
import re

from moderation.formats import autop_shortcuts, fast_paths
from moderation.formats.normalize import normalize_text
from moderation.formats.text_filter import Markup, Output, TextFilter

# PCRE's \s without /u (PCRE2 includes VT).  After normalize_text only space,
# TAB and LF can occur, but the class stays faithful to Drupal's.
_WS = " \t\n\r\f\v"
_WS_CLASS = r"[ \t\n\r\f\v]"
_INLINE_WS = " \t\r\f\v"  # \s without the newline

# Drupal 11's block-level tags.  Used as a name prefix, like Drupal: "<p" also
# matches "<param", which Drupal treats as a block tag too.
BLOCK_TAG_NAMES = (
    "table", "thead", "tfoot", "caption", "col", "colgroup", "tbody", "tr", "td", "th",
    "div", "dl", "dd", "dt", "ul", "ol", "li", "pre", "select", "option", "form", "map",
    "area", "blockquote", "address", "math", "input", "p", "h1", "h2", "h3", "h4", "h5",
    "h6", "fieldset", "legend", "hr", "article", "aside", "details", "figcaption",
    "figure", "footer", "header", "hgroup", "menu", "nav", "section", "summary")


def _alternation(words, as_prefix: bool = False) -> str:
    """A regex for exactly ``words``, factored by common prefixes.

    Python's engine tries the branches of ``a|b|c`` one by one, so Drupal's
    flat list of 50 names costs 50 tries at every ``<``; factored, it costs
    one try per distinct first letter.  The language is unchanged (the
    engine backtracks into the optional tails).  With ``as_prefix`` the
    regex is only used where anything may follow the name, so words that
    extend another word ("colgroup" after "col") are left out.
    """
    words = set(words)
    if as_prefix:
        words = {w for w in words if not any(w != v and w.startswith(v) for v in words)}
    return _factor(sorted(words))


def _factor(words: list[str]) -> str:
    tails_by_first = {}
    for word in words:
        if word:
            tails_by_first.setdefault(word[0], []).append(word[1:])
    single_letters = "".join(first for first, tails in tails_by_first.items()
                             if tails == [""])
    branches = [re.escape(first) + _factor(tails)
                for first, tails in tails_by_first.items() if tails != [""]]
    if len(single_letters) == 1:
        branches.append(re.escape(single_letters))
    elif single_letters:
        branches.append("[" + single_letters + "]")
    if not branches:
        return ""
    if "" in words:  # a word ends here: the rest is optional
        return "(?:" + "|".join(branches) + ")?"
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"


_BLOCK = _alternation(BLOCK_TAG_NAMES)                        # a whole tag name
_BLOCK_PREFIX = _alternation(BLOCK_TAG_NAMES, as_prefix=True)  # starts a tag name
def _any_case(word: str) -> str:
    """``word`` with each ASCII letter as ``[xX]``: like ``re.I`` on bytes, but
    ``re.I`` would cost a case-folded comparison at every character."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c)
                   for c in word)


# After "<": rejects the most common inline tags with one quick test, before a
# pattern tries its names at each "<".  None of them starts with a block-tag
# or raw-section name (nor "br />", "P>", "blockquote"), so no match is lost.
_COMMON_INLINE_TAGS = ("a", "em", "strong", "cite", "code", "span", "b", "i", "u", "s", "q",
                       "img", "sub", "sup", "small", "abbr", "del", "ins", "mark")
_NOT_COMMON_INLINE_TAG = r"(?!/?(?:" + "|".join(_COMMON_INLINE_TAGS) + r")[ >])"

# Where Drupal's preg_split can match: "<!--", or an opening/closing tag whose
# name starts with one of the raw-content element names.
# The look-ahead rejects most "<" (links, <em>...) before trying eight names.
_RAW_NAMES = ("pre", "script", "style", "object", "iframe", "drupal-media", "svg")
_RAW_SECTION_START = re.compile(
    r"</?(?=[pPsSoOiIdD!])(?:" + "|".join(_RAW_NAMES) + r"|!--)", re.I | re.A)
# What _autop_chunk needs to know of the reader's markup, in one pass: each
# "<br />", each block tag's start (up to the shortest block name it begins
# with, so "<li", "</blockquote"), "<blockquote" in any other case, and "<P>".
# The scan also finds the starts of raw sections ("pre" is tried before the
# block names, so "<pre" is not reported as "<p"): when it finds none, the
# text is a single chunk and the raw-section split is skipped.
_MARKUP_OF_INTEREST = re.compile(
    r"<" + _NOT_COMMON_INLINE_TAG +
    r"(?:br />|/?(?:pre|" + _BLOCK_PREFIX + r")|"
    + _any_case("blockquote") + r"|P>|(?=/?[pPsSoOiIdD!])/?(?:"
    + "|".join(_any_case(name) for name in _RAW_NAMES) + r"|!--))", re.A)
# The same scan as a split: the marks at odd indexes, the text between them at
# even ones (one pass, and the quoted-paragraph path needs the pieces).  The
# one group added here must be the only one: re.split returns every group, so
# a group inside the scan would put extra items between the pieces.
assert _MARKUP_OF_INTEREST.groups == 0, "_SPLIT_AT_MARKUP needs a scan without groups"
_SPLIT_AT_MARKUP = re.compile("(" + _MARKUP_OF_INTEREST.pattern + ")", re.A)

_DOUBLE_BR = re.compile(r"<br />" + _WS_CLASS + r"*+<br />", re.A)
_BLOCK_CLOSE = re.compile(r"</" + _BLOCK + r">", re.A)
_BLOCK_OPEN_OR_CLOSE = re.compile(
    r"<" + _NOT_COMMON_INLINE_TAG
    + r"(?:" + _BLOCK_PREFIX + r"[^>]*+>|/" + _BLOCK + r">)", re.A)
# The block-name prefix each block mark of _MARKUP_OF_INTEREST spells ("<pre" is
# reported as itself but is a "p" prefix to _BLOCK_OPEN_OR_CLOSE).
_PREFIX_WORDS = {word for word in BLOCK_TAG_NAMES
                 if not any(word != other and word.startswith(other) for other in BLOCK_TAG_NAMES)}
_PREFIX_WORD_OF_MARK = {mark: word for word in _PREFIX_WORDS
                        for mark in ("<" + word, "</" + word)}
_PREFIX_WORD_OF_MARK.update({"<pre": "p", "</pre": "p"})
_block_spacing_patterns: dict = {}


def _block_spacing_pattern(marks) -> "re.Pattern | None":
    """``_BLOCK_OPEN_OR_CLOSE`` narrowed to the block names ``marks`` show; None if none.

    Each "<" is tried by the markup scan (no mark holds a second "<"), and a
    block tag there is reported as "<" or "</" plus its block-name prefix, so
    every match of the full pattern starts with a prefix in the set, and the
    narrowed pattern matches exactly there, with the same extent. Fewer names
    and no inline-tag rejection (which never changes a match) make the scan
    ~25% cheaper on a text whose only block tags are blockquotes.
    """
    words = frozenset(_PREFIX_WORD_OF_MARK[mark] for mark in marks
                      if mark in _PREFIX_WORD_OF_MARK)
    pattern = _block_spacing_patterns.get(words)
    if pattern is None and words not in _block_spacing_patterns:
        if len(_block_spacing_patterns) >= 256:
            _block_spacing_patterns.clear()
        pattern = None
        if words:
            names = [name for name in BLOCK_TAG_NAMES if name.startswith(tuple(words))]
            pattern = re.compile(r"<(?:" + _alternation(words, as_prefix=True) + r"[^>]*+>|/"
                                 + _alternation(names) + r">)", re.A)
        _block_spacing_patterns[words] = pattern
    return pattern


_NEWLINES_3PLUS = re.compile(r"\n\n\n+", re.A)  # a literal prefix: 10x faster than \n{3,}
_PARAGRAPH_BREAK = re.compile(r"\n" + _WS_CLASS + r"*\n\n?(?=.)", re.A)


# |<p><blockquote([^>]*)>|i, and the str_replace that follows it in Drupal:
# "</blockquote></p>" (neither can create, hide or overlap the other's matches).
_BLOCKQUOTE_AND_P = re.compile(
    r"<" + _any_case("p><blockquote") + r"([^>]*+)>|</blockquote></p>", re.A)
_EMPTY_PARAGRAPH = re.compile(r"<p>" + _WS_CLASS + r"*+</p>\n?", re.A)
_P_BEFORE_BLOCK = re.compile(
    r"<p>" + _WS_CLASS + r"*+(</?" + _BLOCK_PREFIX + r"[^>]*+>)", re.A)
_P_BEFORE_BLOCK_START = re.compile(r"<p>" + _WS_CLASS + r"*+</?" + _BLOCK_PREFIX, re.A)
_BLOCK_TAG_NAME = re.compile(r"</?" + _BLOCK_PREFIX, re.A)
_GT_THEN_P_CLOSE = re.compile(r">" + _WS_CLASS + r"*+</p>", re.A)
_GT_THEN_BR = re.compile(r">" + _WS_CLASS + r"*+<br />", re.A)
_NEWLINE_RUN = re.compile(r"\n" + _WS_CLASS + r"*+", re.A)
# Drupal captures the white space and tag after <br /> to put them back; a
# look-ahead leaves them in place (a literal replacement, no per-match Python),
# and no later match could have started inside them.
_TAGS_AFTER_DROPPED_BR = r"</?(?:p|li|div|dl|dd|dt|th|pre|td|ul|ol)>"
_BR_BEFORE_BLOCK = re.compile(r"<br />(?=" + _WS_CLASS + r"*+" + _TAGS_AFTER_DROPPED_BR + ")",
                              re.A)
# A newline that is not the first character of its white-space run.
_NEWLINE_AFTER_WS = re.compile(r"\n(?<=[ \t\n\r\f\v]\n)", re.A)
_NEWLINE_AFTER_INLINE_WS = re.compile(r"\n(?<=[ \t\r\f\v]\n)", re.A)
_TWO_NEWLINES_IN_A_RUN = re.compile(r"\n[ \t\r\f\v]*+\n", re.A)
_NEWLINE_NOT_AFTER_BR = re.compile(
    r"\n(?<!<br />\n)(?:(?<!</p>\n)(?<!<p>\n)|(?=" + _WS_CLASS + r"*+<br />))", re.A)
# In _line_breaks_at_lone_newlines: a newline that keeps its <br />.
_NEWLINE_KEEPING_BR = re.compile(
    r"\n(?<!</p>\n)(?<!<p>\n)(?!" + _WS_CLASS + r"*+" + _TAGS_AFTER_DROPPED_BR + ")", re.A)
# Drupal: &([^#])(?![A-Za-z0-9]{1,8};) on bytes.  A non-ASCII character is a
# multi-byte sequence there: [^#] takes its lead byte and the look-ahead sees a
# continuation byte, so it always matches.  Consuming the whole character is
# equivalent, since continuation bytes can never be "&".
# What a paragraph break becomes.
_PARAGRAPH_BREAK_HTML = "</p>\n<p>"
_BARE_AMPERSAND = re.compile(
    r"&(?=[^\x00-\x7f]|[^#](?![A-Za-z0-9]{1,8};))(.)", re.A | re.S)

_WS_AFTER_P = tuple("<p>" + space for space in _WS) + ("<p></p>",)

_THEME_DEBUG = "<!-- THEME DEBUG -->"
_TEMPLATE_OUTPUT_STARTS = ("<!-- BEGIN OUTPUT from ",
                           "<!-- \U0001f4a1 BEGIN CUSTOM TEMPLATE OUTPUT from ")


def filter_autop(text: str) -> str:
    """Wrap paragraphs in ``<p>`` and turn single newlines into ``<br />``."""
    return filter_normalized_autop(normalize_text(text))


def filter_normalized_autop(text: str) -> str:
    """:func:`filter_autop` for ``render``, which has normalized ``text`` already: Drupal's
    chain section by section (:func:`_autop_sections`), unless a shortcut answers first."""
    if fast_paths.AUTOP_SHORTCUTS:
        shortcut = autop_shortcuts.autop_shortcut(text)
        if shortcut is not None:
            return shortcut
    return _autop_sections(text)


def _autop_sections(text: str) -> str:
    """Drupal's chain: the text split at comments and raw-content elements (pre, script,
    style, object, iframe, svg), kept verbatim with what they hold; the rest chunk by chunk."""
    chunks = _split_raw_sections(text)
    output = []
    ignoring = False
    ignore_tag = ""
    for i, chunk in enumerate(chunks):
        if i % 2:  # a delimiter: comment or raw-content tag, always kept verbatim
            if not chunk.startswith("<!--"):
                ignoring, ignore_tag = _raw_state(chunk, ignoring, ignore_tag)
        elif not ignoring:
            # Drupal leaves Twig theme-debug comments without paragraphs.
            if i + 1 < len(chunks) and chunks[i + 1] == _THEME_DEBUG:
                chunk = chunk.rstrip("\n")
            elif i > 0 and chunks[i - 1].startswith(_TEMPLATE_OUTPUT_STARTS):
                chunk = chunk.lstrip("\n")
            else:
                chunk = _autop_chunk(chunk)
        output.append(chunk)
    return "".join(output)


def _raw_state(delimiter: str, ignoring: bool, ignore_tag: str) -> tuple[bool, str]:
    """After a raw-content tag: whether the chunks that follow are inside a raw section, and
    its tag (only the same tag closes it)."""
    is_open = delimiter[1] != "/"
    tag = _tag_word(delimiter, 1 if is_open else 2)
    if not ignoring:
        return (True, tag) if is_open else (False, "")
    if not is_open and tag == ignore_tag:
        return False, ""
    return ignoring, ignore_tag


def _tag_word(delimiter: str, start: int) -> str:
    """Drupal's ``preg_split('/[ >]/', substr($chunk, start), 2)[0]``."""
    end = delimiter.find(" ", start)
    gt = delimiter.find(">", start)  # always present: a delimiter ends in ">"
    if end == -1 or gt < end:
        end = gt
    return delimiter[start:end]


class _NextOccurrence:
    """``text.find(needle, pos)`` for non-decreasing ``pos``, amortized O(1).

    Caching the last answer keeps repeated look-ups linear overall: a new
    search only starts past the previous hit.
    """

    def __init__(self, text: str, needle: str):
        self._text, self._needle = text, needle
        self._searched_from, self._found = len(text) + 1, -1

    def find(self, pos: int) -> int:
        if self._searched_from <= pos and (self._found == -1 or self._found >= pos):
            return self._found
        self._searched_from = pos
        self._found = self._text.find(self._needle, pos)
        return self._found


def _split_raw_sections(text: str) -> list[str]:
    """Split like Drupal's ``preg_split`` with ``PREG_SPLIT_DELIM_CAPTURE``.

    Drupal's delimiter is ``<!--.*?-->|</?(?:pre|...|!--)[^>]*>`` (``i`` flag,
    ``.`` not crossing a newline).  Tried naively, every ``<!--`` or ``<pre``
    rescans to the end of the text when no ``-->``/``>`` follows.  Here the
    next ``-->``, newline and ``>`` are looked up through monotone caches, and
    the scan stops once no ``>`` is left (every delimiter ends in ``>``).
    Returns literal, delimiter, literal, ... starting and ending with a literal.
    """
    found = _RAW_SECTION_START.search(text)
    if found is None:  # the common case
        return [text]
    parts = []
    literal_start = 0
    next_gt = _NextOccurrence(text, ">")
    next_comment_end = _NextOccurrence(text, "-->")
    next_newline = _NextOccurrence(text, "\n")
    while found is not None:
        start, end = found.start(), -1
        if text.startswith("<!--", start):
            comment_end = next_comment_end.find(start + 4)
            if comment_end != -1:
                newline = next_newline.find(start + 4)
                if newline == -1 or newline > comment_end:
                    end = comment_end + 3
        if end == -1:
            gt = next_gt.find(found.end())
            if gt == -1:
                break
            end = gt + 1
        parts.append(text[literal_start:start])
        parts.append(text[start:end])
        literal_start = end
        found = _RAW_SECTION_START.search(text, end)
    parts.append(text[literal_start:])
    return parts


def _sub_before_last_gt(pattern: re.Pattern, replacement, chunk: str) -> str:
    """Apply a pattern whose every match starts with ``<`` and ends in ``>``
    only up to the last ``>``.

    Same result as on the whole chunk (no match can end later), but starts
    after the last ``>`` - which would each scan to the end and fail - are
    never tried.  With no ``<`` there, there is nothing to cut off.
    """
    last_gt = chunk.rfind(">")
    if last_gt == -1:
        return chunk
    if chunk.rfind("<") < last_gt:
        return pattern.sub(replacement, chunk)
    return pattern.sub(replacement, chunk[:last_gt + 1]) + chunk[last_gt + 1:]


_chunk_plans: dict = {}


def _chunk_plan(marks: frozenset) -> tuple:
    """What ``_autop_chunk`` derives from a chunk's marks, computed once per
    distinct set of marks (a handful recur: most comments show none, or only
    ``<blockquote`` and ``</blockquote``).

    Returns (has <br />, has "<P>", has a block tag, the block-spacing
    pattern or None, has "<li", has an any-case blockquote tag, every opening
    blockquote mark is lower case).  Any-case "<blockquote" counts as a block
    tag: the step that moves <p> after it writes it in lower case.
    """
    plan = _chunk_plans.get(marks)
    if plan is None:
        block_marks = marks - {"<br />", "<P>"}
        blockquotes = {mark for mark in block_marks if mark.lower() == "<blockquote"}
        plan = ("<br />" in marks, "<P>" in marks, bool(block_marks),
                _block_spacing_pattern(block_marks) if block_marks else None,
                "<li" in block_marks, bool(blockquotes) or "</blockquote" in block_marks,
                blockquotes <= {"<blockquote"})
        if len(_chunk_plans) >= 256:
            _chunk_plans.clear()
        _chunk_plans[marks] = plan
    return plan


def _autop_chunk(chunk: str, marks=None) -> str:
    """Drupal's per-chunk replacement chain, step by step (its pattern quoted).

    Steps that cannot match are skipped.  Besides text, the chunk then holds
    only the ``<p>``, ``</p>``, newlines and ``<br />`` added here, and the
    reader's markup, which one look at the chunk sums up: steps about
    ``<br />``, block tags, ``<li`` or ``</blockquote`` are skipped when the
    reader wrote none (our own ``<p>`` and ``</p>`` are block tags too, but
    they only ever meet those steps' patterns in an empty paragraph, which is
    removed before).  ``marks`` is the set (a frozenset) of the distinct
    strings ``_MARKUP_OF_INTEREST`` finds in the chunk, if the caller has it;
    without it the chunk is scanned here.
    """
    if marks is None:
        marks = frozenset(_MARKUP_OF_INTEREST.findall(chunk)) if "<" in chunk else frozenset()
    if not marks and fast_paths.AUTOP_SHORTCUTS:
        return autop_shortcuts.without_block_tags(chunk)
    (has_line_break_tag, has_upper_case_p, has_block_tag, spacing, has_list_item,
     has_blockquote, lower_case_blockquotes_only) = _chunk_plan(marks)
    # |\n*$| -> "", then pad: "\n\n".  The pad is left implicit (no copy of
    # the chunk): the next two steps cannot touch it (their matches end in
    # "<br />" or ">"), and _trim_newlines cuts it off again.
    chunk = chunk.rstrip("\n")
    if has_line_break_tag:  # |<br />\s*<br />| -> "\n\n"
        chunk = _DOUBLE_BR.sub("\n\n", chunk)
    if spacing is not None:
        # !(<BLOCK[^>]*>)! -> "\n$1", then !(</BLOCK>)! -> "$1\n\n", in one pass,
        # with only the block names the marks show (none: nothing to space)
        chunk = _sub_before_last_gt(spacing, _space_block_tag, chunk)
    chunk = _trim_newlines(chunk)  # /\n\n+/ -> "\n\n", then /^\n|\n\s*\n$/ -> ""
    # '<p>' . /\n\s*\n\n?(.)/ -> "</p>\n<p>$1" . "</p>\n".  Linear as is: a
    # failed start is the only newline of its white-space run.  The character
    # (.) is looked at, not taken: no match can start at it (it is no newline),
    # and the replacement becomes a literal, with no per-match Python.  Every
    # match holds two newlines: a one-line chunk (a fast "in" test) has none.
    if "\n" in chunk:
        chunk = "".join(("<p>", _PARAGRAPH_BREAK.sub(_PARAGRAPH_BREAK_HTML, chunk), "</p>\n"))
    else:
        chunk = "".join(("<p>", chunk, "</p>\n"))
    if has_list_item:  # |<p>(<li.+?)</p>| -> "$1"
        chunk = _unwrap_list_items(chunk)
    if has_blockquote:
        chunk = _move_p_into_blockquotes(chunk, has_upper_case_p or not lower_case_blockquotes_only)
    chunk = _drop_empty_paragraphs(chunk, has_block_tag)
    if has_block_tag:
        # !(</?BLOCK[^>]*>)\s*</p>! -> "$1"
        chunk = _drop_after_block_tags(chunk, _GT_THEN_P_CLOSE)
    chunk = _line_break_steps(chunk, has_line_break_tag and "<br />" in chunk, has_block_tag)
    if "&" in chunk:  # /&([^#])(?![A-Za-z0-9]{1,8};)/ -> "&amp;$1"
        chunk = _BARE_AMPERSAND.sub(_escape_ampersand, chunk)
    return chunk


def _move_p_into_blockquotes(chunk: str, any_case: bool) -> str:
    """|<p><blockquote([^>]*)>|i -> "<blockquote$1><p>", then "</blockquote></p>" ->
    "</p></blockquote>", in one pass (a literal one when every opening tag is a lower-case
    ``<blockquote`` and no ``<P>`` is about: ``any_case`` False)."""
    if any_case:
        return _sub_before_last_gt(_BLOCKQUOTE_AND_P, _move_p_into_blockquote, chunk)
    return _move_p_into_lower_case_blockquotes(chunk)


def _drop_empty_paragraphs(chunk: str, has_block_tag: bool) -> str:
    r"""|<p>\s*</p>\n?| -> "", then !<p>\s*(</?BLOCK[^>]*>)! -> "$1": the second pattern's start
    covers the first's ("p" is a block name), so one search shows whether either can match.
    Without a block tag of the reader's, only a first paragraph of white space can be empty:
    a paragraph break takes in the whole white-space run, and the trailing one is gone already."""
    if not (_P_BEFORE_BLOCK_START.search(chunk) if has_block_tag else chunk.startswith(_WS_AFTER_P)):
        return chunk
    chunk = _EMPTY_PARAGRAPH.sub("", chunk)
    return _sub_before_last_gt(_P_BEFORE_BLOCK, _tag_alone, chunk) if has_block_tag else chunk


# Replacements as functions: Python 3.11 expands a "\\1" template in Python
# for each match, several times slower than a call.
def _move_p_into_blockquote(match: re.Match) -> str:
    if match[1] is None:
        return "</p></blockquote>"
    return "<blockquote" + match[1] + "><p>"


def _move_p_into_lower_case_blockquotes(chunk: str) -> str:
    """Both blockquote steps when the text has no "<P>" and no "<blockquote" but
    in lower case, so the first pattern only matches ``<p><blockquote`` as written.

    Drupal's order, as string searches (several times faster than a regex scan):
    each ``<p><blockquote`` up to the first ``>`` after it becomes
    ``<blockquote...><p>`` (no ``>`` left: no match here or later), then
    ``str_replace("</blockquote></p>", "</p></blockquote>")``.
    """
    start = chunk.find("<p><blockquote")
    if start != -1:
        out = []
        emitted = 0
        while start != -1:
            gt = chunk.find(">", start + 14)
            if gt == -1:
                break
            out.append(chunk[emitted:start])
            out.append(chunk[start + 3:gt + 1])  # "<blockquote" and its attributes
            out.append("<p>")
            emitted = gt + 1
            start = chunk.find("<p><blockquote", emitted)
        out.append(chunk[emitted:])
        chunk = "".join(out)
    return chunk.replace("</blockquote></p>", "</p></blockquote>")


def _tag_alone(match: re.Match) -> str:
    return match[1]


def _escape_ampersand(match: re.Match) -> str:
    return "&amp;" + match[1]


def _line_break_steps(chunk: str, has_line_break_tag: bool, has_block_tag: bool) -> str:
    """Drupal's last three ``<br />`` steps, by the fastest exact route.

    ``|(?<!<br />)\\s*\\n|`` -> "<br />\\n", then
    ``!(</?BLOCK[^>]*>)\\s*<br />!`` -> "$1", then
    ``!<br />(\\s*</?(?:p|li|div|dl|dd|dt|th|pre|td|ul|ol)>)!`` -> "$1".
    """
    lone_newlines = not _NEWLINE_AFTER_WS.search(chunk)
    if not has_line_break_tag:
        if not lone_newlines and not _TWO_NEWLINES_IN_A_RUN.search(chunk):
            # Only spaces or tabs before some newlines: the first pattern
            # takes them with the newline, so they can be dropped first.
            chunk = _drop_inline_ws_before_newlines(chunk)
            lone_newlines = True
        if lone_newlines:  # the common case, the three steps at once
            return _line_breaks_at_lone_newlines(chunk, has_block_tag)
    if lone_newlines:
        # Each newline is its own match, unless it follows a <br />.  After
        # <p> or </p> the second pattern would remove the <br /> again, so it
        # is left out - unless another <br /> follows, which that removal
        # would then have to skip.
        chunk = _NEWLINE_NOT_AFTER_BR.sub("<br />\n", chunk)
    else:
        chunk = _insert_line_breaks(chunk)
    chunk = _drop_after_block_tags(chunk, _GT_THEN_BR)
    if "<br />" in chunk:
        chunk = _BR_BEFORE_BLOCK.sub("", chunk)
    return chunk


def _line_breaks_at_lone_newlines(chunk: str, has_block_tag: bool = True) -> str:
    """The three ``<br />`` steps when no ``<br />`` is present yet and every
    newline starts its white-space run and is the run's only newline.

    Then ``(?<!<br />)\\s*\\n`` matches each newline alone: every one would
    become ``<br />\\n``.  ``!(</?BLOCK[^>]*>)\\s*<br />!`` can then only
    match a ``<br />`` directly after ``>``, and removes it when the text since
    the previous ``>`` holds a block tag's start; ``</p>`` (one per
    paragraph) and ``<p>`` always do.  ``!<br />(\\s*</?(?:p|li|...)>)!``
    removes the ones followed by white space and one of those tags.  So a
    newline gets no ``<br />`` after ``</p>`` or ``<p>`` or before such a tag
    (look-arounds), and the few left after another ``>`` are checked one by
    one - unless the reader wrote no block tag: our own ``<p>`` and ``</p>``
    are then the only ones.  Omitting those ``<br />`` moves no ``>`` that
    decides another case: each omission is next to a ``>`` ending a block tag.
    """
    chunk = _NEWLINE_KEEPING_BR.sub("<br />\n", chunk)
    if not has_block_tag:
        return chunk
    found = chunk.find("><br />\n")
    if found == -1:
        return chunk
    out = []
    emitted = 0
    while found != -1:
        if _BLOCK_TAG_NAME.search(chunk, chunk.rfind(">", 0, found) + 1, found):
            out.append(chunk[emitted:found + 1])
            emitted = found + 7  # drop the "<br />"
        found = chunk.find("><br />\n", found + 7)
    out.append(chunk[emitted:])
    return "".join(out)


def _drop_inline_ws_before_newlines(chunk: str) -> str:
    """Remove the spaces and tabs right before each newline.

    Found from the newline's side: a search for ``[ \\t]+\\n`` would try
    every space of the text.  Each slice ends at a newline and starts at the
    previous one, so ``rstrip`` never crosses a newline and the work stays
    linear.
    """
    out = []
    emitted = 0
    for newline in _NEWLINE_AFTER_INLINE_WS.finditer(chunk):
        end = newline.start()
        out.append(chunk[emitted:end].rstrip(_INLINE_WS))
        emitted = end
    out.append(chunk[emitted:])
    return "".join(out)


def _space_block_tag(tag_match: re.Match) -> str:
    """``\\n`` before a block tag, ``\\n\\n`` after a closing one.

    Drupal's two passes, in one: an opening tag's match runs to its first
    ``>``, so a closing block tag can only be inside it as its very end (as
    in ``<div</div>``), where Drupal's second pass finds it too.
    """
    tag = tag_match.group()
    if tag[1] == "/":
        return tag + "\n\n"
    closing = tag.rfind("</")
    if closing > 0 and _BLOCK_CLOSE.fullmatch(tag, closing):
        return "\n" + tag + "\n\n"
    return "\n" + tag


def _trim_newlines(chunk: str) -> str:
    """Drupal's ``/\\n\\n+/`` -> "\\n\\n", then ``/^\\n|\\n\\s*\\n$/`` -> "", on the
    chunk padded with "\\n\\n", as far as the paragraph step that follows can
    tell.

    Only a leading run of three or more newlines is changed in the end by
    the first pattern: the paragraph step turns every other run of two or
    more into the same "</p>\\n<p>" (or the trim drops it), but ``/^\\n/``
    strips one newline, and "\\n\\n" left there would open a paragraph.
    """
    if chunk.startswith("\n") and (chunk + "\n\n").startswith("\n\n\n"):  # rare
        return _trim_chunk_ends(_NEWLINES_3PLUS.sub("\n\n", chunk + "\n\n"))
    return _trim_unpadded_chunk(chunk)


def _trim_chunk_ends(chunk: str) -> str:
    """Drupal's ``/^\\n|\\n\\s*\\n$/`` -> "" (global), in linear time.

    The chunk always ends in "\\n\\n" here.  The first alternative removes one
    leading newline; the second matches from the first newline of the trailing
    white-space run to the end (``\\s*`` is greedy), provided a second newline
    follows it.  Run naively, ``\\n\\s*\\n$`` rescans from every newline of a
    long white-space run.
    """
    start = 1 if chunk.startswith("\n") else 0
    trailing_ws = len(chunk.rstrip(_WS))
    first_newline = chunk.find("\n", max(trailing_ws, start))
    if first_newline <= len(chunk) - 2:  # the run ends in "\n\n": a match
        return chunk[start:first_newline]
    return chunk[start:]


def _trim_unpadded_chunk(chunk: str) -> str:
    """``_trim_chunk_ends(chunk + "\n\n")`` without building the padded copy.

    With the pad, the trailing white-space run always ends in "\n\n", and is
    cut from its first newline: the first one in ``chunk``'s own trailing
    white space, or else the pad's.  A chunk with no leading newline and no
    newline in its trailing white space is returned as is (no copy).
    """
    if not chunk:  # "\n\n": /^\n/ takes one newline, and one is left
        return "\n"
    start = 1 if chunk[0] == "\n" else 0
    first_newline = chunk.find("\n", max(len(chunk.rstrip(_WS)), start))
    if first_newline == -1:
        first_newline = len(chunk)
    return chunk[start:first_newline]


def _unwrap_list_items(chunk: str) -> str:
    """Drupal's ``|<p>(<li.+?)</p>|`` -> "$1" in linear time.

    A match needs the first ``</p>`` at least one character after ``<li`` with
    no newline before it (``.`` stops at newlines).  The next ``</p>`` and
    newline come from monotone caches instead of a rescan per start.
    """
    out = []
    emitted = search_from = 0
    next_close = _NextOccurrence(chunk, "</p>")
    next_newline = _NextOccurrence(chunk, "\n")
    while True:
        start = chunk.find("<p><li", search_from)
        if start == -1:
            break
        close = next_close.find(start + 7)
        if close == -1:
            break
        newline = next_newline.find(start + 6)
        if newline == -1 or newline > close:
            out.append(chunk[emitted:start])
            out.append(chunk[start + 3:close])
            emitted = search_from = close + 4
        else:
            search_from = start + 1
    out.append(chunk[emitted:])
    return "".join(out)


def _drop_after_block_tags(chunk: str, tail: re.Pattern) -> str:
    """Drupal's ``(</?BLOCK[^>]*>)\\s*TAIL`` -> "$1", in linear time.

    ``tail`` is ``>\\s*TAIL``.  A match ends its tag at the first ``>`` after
    its start, so it exists exactly where ``>\\s*TAIL`` follows a stretch
    (since the previous ``>``) holding a block tag's start; deleting the
    white space and TAIL is then the whole replacement.  Searching from the
    ``>`` side avoids rescanning ``<div<div<div...>`` from each ``<div``, and
    visits far fewer places than every block tag.
    """
    out = []
    emitted = search_from = 0
    while True:
        found = tail.search(chunk, search_from)
        if found is None:
            break
        gt = found.start()
        stretch_start = chunk.rfind(">", 0, gt) + 1
        if _BLOCK_TAG_NAME.search(chunk, stretch_start, gt):
            out.append(chunk[emitted:gt + 1])
            emitted = search_from = found.end()
        else:
            search_from = gt + 1  # TAIL's own ">" may end the next candidate
    if not out:
        return chunk
    out.append(chunk[emitted:])
    return "".join(out)


def _insert_line_breaks(chunk: str) -> str:
    """Drupal's ``|(?<!<br />)\\s*\\n|`` -> "<br />\\n", in linear time.

    PCRE's search can only succeed at the start of a white-space run (or one
    character later when the run directly follows ``<br />``), and the greedy
    ``\\s*`` then runs to the run's last newline.  So each run containing a
    newline is handled once: found by its first newline, its start found by
    stripping the non-newline white space before it.  A naive ``\\s*\\n``
    rescans a long run of spaces from each of its positions.
    """
    out = []
    emitted = previous_run_end = 0
    for run in _NEWLINE_RUN.finditer(chunk):
        first_newline, run_end = run.span()
        # The text since the previous run ends in non-white space, so this
        # slice stays within the current gap: linear in total.
        gap = chunk[previous_run_end:first_newline]
        run_start = previous_run_end + len(gap.rstrip(_INLINE_WS))
        match_start = run_start
        if run_start >= 6 and chunk.startswith("<br />", run_start - 6):
            match_start += 1  # the look-behind fails at the run's first character
        last_newline = chunk.rfind("\n", first_newline, run_end)
        if last_newline >= match_start:
            out.append(chunk[emitted:match_start])
            out.append("<br />\n")
            emitted = last_newline + 1
        previous_run_end = run_end
    out.append(chunk[emitted:])
    return "".join(out)


# --- the declaration (text_filter.py) ----------------------------------------------

def _leaves(_settings, before: Markup) -> Markup:
    return Markup(None if before.elements is None else before.elements | {"p", "br"}, before.comments)


FILTER = TextFilter(
    id="filter_autop",
    settings=(),
    run=lambda text, _prepared, _engine, _report: filter_normalized_autop(text),
    tip=lambda _settings: "Lines and paragraphs break automatically.",
    leaves=_leaves,  # it writes <p> and <br /> only
    writes=lambda _settings: Output({"p": frozenset(), "br": frozenset()}),
)
