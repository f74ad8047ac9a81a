"""Adversarial differential tests for filter_autop's fast paths.

``moderation/formats/autop.py`` skips Drupal's regex chain for three shapes:

(a) texts whose only block tags are lower-case ``<blockquote>`` and
    ``</blockquote>`` on their own lines (``_quote_layout`` reads the shape,
    ``_autop_quoted_paragraphs`` writes the output);
(b) texts without block tags (and the text between such quotes) whose
    newlines are single or paired with nothing white before them
    (``_simple_line_breaks``: two literal replacements);
(c) one-line texts without block tags (``_one_paragraph``).

Each test below generates those shapes and their near misses (attributes,
upper case, a tag glued to text, empty or white-space-only quotes, unclosed
or doubled tags, three newlines, white space next to a newline, text or a
quote at the very start or end, ``<p>``/``<br />``/``<pre>``/comments mixed
in) and compares the whole filter with ``drupal_reference_autop``, the
literal port of Drupal 11's chain in ``test_autop.py``.  Each also checks
that the shapes it means to exercise were really taken by the fast path, so
a generator that drifts away from them, or a dispatch that stops calling a
fast path, fails instead of passing vacuously: the route of each call is
seen from inside, by wrapping the functions the routes consist of.
"""
import itertools
import random

import pytest

from moderation.formats import filter_autop, filter_html, filter_html_escape, filter_url
from moderation.formats import autop as autop_module
from moderation.formats import autop_shortcuts

if __package__:
    from .test_autop import drupal_reference_autop
else:
    from test_autop import drupal_reference_autop

# The brief's pieces: what the fast paths look at, and their near misses.
_PIECES = [
    "<blockquote>", "</blockquote>", '<blockquote cite="x">', "<BLOCKQUOTE>", "</BLOCKQUOTE>",
    "<Blockquote>", "<blockquote", "</blockquote", "<blockquote >", "</blockquote >",
    "<blockquotex>", "<p>", "</p>", "<P>", "</p >", "<br />", "<br>", "<br/>",
    "\n", "\n\n", "\n\n\n", " \n", "\t\n", "\n ", "\n\t", "\r\n", "\r", "\f", "\v",
    "\xa0", "\u2028", "\x85", "&", "&amp;", "&#1;", "AT&T", "<em>", "</em>", '<a href="x">', "</a>",
    "<!-- c -->", "<pre>", "</pre>", "<li>", "<div>", "x", "word", " ", "\t", ">", "<", "\u00e9",
    "\U0001f600", "&\U0001f600", "\u3000", "\x00", "\ud800",
]
# Inline text for paragraphs: nothing the markup scan reports, but plenty
# that looks like markup to a careless rewrite (">" before a newline, "<" with
# no ">", inline tags, bare and encoded ampersands, non-ASCII white space).
_INLINE = ["w", "word.", "<em>e</em>", '<a href="x">u</a>', "&amp;", "AT&T", "&", ">", "<", "\xa0",
           "\u00e9", "x&#1;", "<br>", "a>", "&x", "'", "=", "x>", ">x", "<x", "&#", "&&", '"',
           "</em>", "<em>", "/", "<q>", "<b>", "<s>", "<span>", "<i>", "/p>", "-->"]
# One small edit at a random place turns a fast-path shape into a near miss.
_EDITS = ["\n", "\n\n", "\n\n\n", " ", "\t", "\xa0", "<blockquote>", "</blockquote>", "<br />",
          "<p>", "</p>", "<BLOCKQUOTE>", '<blockquote cite="x">', "&", "<!-- c -->", "<pre>",
          "</pre>", "<li>", "<div>", "x", ">", "<", "<br>", "\r", "</blockquote", "<blockquote",
          "<P>"]


class _PathLog:
    """Which of ``autop.py``'s and ``autop_shortcuts.py``'s routes each call of ``filter_autop`` takes,
    seen from inside: the functions that make up the routes are wrapped (see
    the ``path_log`` fixture) and record their calls, so a route that
    ``filter_normalized_autop`` stopped taking would show in the counts."""

    def __init__(self, monkeypatch):
        self.calls = set()
        for module, name in ((autop_shortcuts, "_one_paragraph"), (autop_shortcuts, "_simple_line_breaks"),
                             (autop_shortcuts, "_paragraphs_and_line_breaks"), (autop_module, "_autop_chunk"),
                             (autop_module, "_split_raw_sections")):
            monkeypatch.setattr(module, name, self._recording(module, name))
        read_layout = autop_shortcuts._quote_layout

        def quote_layout(pieces):
            layout = read_layout(pieces)
            self.calls.add("quotes refused" if layout is None else "quotes taken")
            return layout
        monkeypatch.setattr(autop_shortcuts, "_quote_layout", quote_layout)

    def _recording(self, module, name):
        run = getattr(module, name)

        def recorded(*args):
            self.calls.add(name)
            return run(*args)
        return recorded

    def autop(self, text: str) -> tuple[str, str]:
        """``filter_autop(text)``, and the route it took."""
        self.calls.clear()
        output = filter_autop(text)
        calls = self.calls
        if "quotes taken" in calls:  # the simple case is written in place, with no call
            path = "quotes, not simple" if "_paragraphs_and_line_breaks" in calls else "quotes, simple"
        elif "quotes refused" in calls:
            path = "quotes refused"
        elif "_autop_chunk" in calls or "_split_raw_sections" in calls:
            path = "chain"
        elif "_one_paragraph" in calls:
            path = "one line"
        elif "_simple_line_breaks" in calls:
            path = "simple"
        elif "_paragraphs_and_line_breaks" in calls:
            path = "no block"
        else:
            raise AssertionError(f"no known route for {text!r}: {sorted(calls)}")
        return output, path


@pytest.fixture
def path_log(monkeypatch) -> _PathLog:
    return _PathLog(monkeypatch)


def _assert_all_match_drupal(texts, path_log: _PathLog) -> dict:
    """Compare every text with the oracle; return how many took each path."""
    taken = {}
    for text in texts:
        output, path = path_log.autop(text)
        assert output == drupal_reference_autop(text), repr(text)
        taken[path] = taken.get(path, 0) + 1
    return taken


def test_each_route_is_taken_where_it_should_be(path_log):
    """One plain example or two per route: ``filter_autop`` must really take it."""
    examples = {
        "one line": ["x", "", " x &", "<em>x</em>\n\n"],
        "simple": ["a\nb", "a\n\nb <em>c</em>"],
        "no block": ["a \nb", "a\n\n\nb"],
        "quotes, simple": ["<blockquote>q</blockquote>\nb", "a\n\n<blockquote>q\nr</blockquote>"],
        "quotes, not simple": ["<blockquote>q \nr</blockquote>", "a\n<blockquote>q\n\n\nr"],
        "quotes refused": ["a<blockquote>q</blockquote>", "<blockquote> q</blockquote>"],
        "chain": ["<div>a</div>", "a<br />\nb", "<pre>a\n</pre>"],
    }
    for path, texts in examples.items():
        for text in texts:
            output, taken = path_log.autop(text)
            assert (taken, output) == (path, drupal_reference_autop(text)), text


def _paragraph(rng, inline) -> str:
    lines = []
    for _ in range(rng.randint(1, 3)):
        words = [rng.choice(inline) for _ in range(rng.randint(1, 4))]
        lines.append("".join(word + rng.choice(["", " ", " ", "\xa0", "\t"])
                             for word in words[:-1]) + words[-1])
    return "\n".join(lines)


def _blocks(rng, depth: int, inline) -> str:
    """Paragraphs and (nested) quotes, each on its own lines, joined by one or
    two newlines: the shape the quoted-paragraph path takes."""
    count = rng.randint(1, 4)
    blocks = []
    for index in range(count):
        at_quote_edge = depth and index in (0, count - 1) and rng.random() < 0.85
        if depth < 3 and not at_quote_edge and rng.random() < 0.35:
            blocks.append("<blockquote>" + _blocks(rng, depth + 1, inline) + "</blockquote>")
        else:
            blocks.append(_paragraph(rng, inline))
    text = blocks[0]
    for block in blocks[1:]:
        text += rng.choice(["\n", "\n\n"]) + block
    return text


def _edited(rng, text: str, max_edits: int) -> str:
    for _ in range(rng.randint(0, max_edits)):
        at = rng.randint(0, len(text))
        roll = rng.random()
        if roll < 0.5:
            text = text[:at] + rng.choice(_EDITS) + text[at:]
        elif roll < 0.8:
            text = text[:at] + text[at + rng.randint(1, 3):]
        else:
            text = text[:at] + rng.choice(_EDITS) + text[at + rng.randint(1, 3):]
    return text


def _quote_texts(seed: int, count: int, max_edits: int, inline=tuple(_INLINE)) -> list[str]:
    """``count`` texts of ``_blocks``, with white space or newlines before and
    after them, each edited up to ``max_edits`` times."""
    rng = random.Random(seed)
    starts = ["", "", "", "\n", "\n\n", " ", "\t\n\n", "\n \n"]
    ends = ["", "", "\n", "\n\n", "\n\n\n", " ", "\n \n"]
    texts = []
    for _ in range(count):
        text = rng.choice(starts) + _blocks(rng, 0, inline) + rng.choice(ends)
        texts.append(_edited(rng, text, max_edits))
    return texts


def test_quote_shapes_match_drupal(path_log):
    """Well-formed paragraphs and nested quotes on their own lines: most take
    the quoted-paragraph path, both with simple line breaks and without."""
    taken = _assert_all_match_drupal(_quote_texts(seed=7101, count=2500, max_edits=0), path_log)
    assert taken.get("quotes, simple", 0) > 200, taken
    assert taken.get("quotes, not simple", 0) > 150, taken


def test_quote_shapes_with_near_misses_match_drupal(path_log):
    """The same shapes after one to three random edits (a tag, newline, space,
    block tag or character inserted, deleted or replaced): the paths must
    refuse every shape they cannot do exactly, and do the rest exactly."""
    taken = _assert_all_match_drupal(_quote_texts(seed=7102, count=5000, max_edits=3), path_log)
    for path in ("quotes, simple", "quotes, not simple", "quotes refused", "simple", "chain"):
        assert taken.get(path, 0) > 150, taken


def test_piece_soup_matches_drupal(path_log):
    """Random sequences of the pieces the fast paths look at and their near
    misses (white space around newlines, CR, FF/VT, NEL, U+2028, NBSP, an
    ideographic space, NUL, a lone surrogate, astral characters, ampersands,
    quote tags in other spellings, other block tags, comments, raw
    sections)."""
    rng = random.Random(7103)
    texts = ["".join(rng.choice(_PIECES) for _ in range(rng.randint(0, rng.choice([4, 10, 25]))))
             for _ in range(5000)]
    taken = _assert_all_match_drupal(texts, path_log)
    for path in ("one line", "quotes refused", "chain"):
        assert taken.get(path, 0) > 100, taken


def test_every_short_sequence_around_quote_tags_matches_drupal(path_log):
    """Every sequence of up to four pieces from two small alphabets (quote
    tags whole and cut short, "<P>", newlines, spaces, text, ">", "&",
    "<br />", "<p>"): all the ways a quote tag can touch its neighbours."""
    alphabets = [
        ["<blockquote>", "</blockquote>", "<blockquote", "</blockquote", "\n", " ", "x", ">",
         "<P>"],
        ["<blockquote>", "</blockquote>", "\n", "\n\n", "\t", "x", "&", "<br />", "<p>"],
    ]
    taken = {}
    for alphabet in alphabets:
        for length in range(5):
            texts = ("".join(combo) for combo in itertools.product(alphabet, repeat=length))
            for path, count in _assert_all_match_drupal(texts, path_log).items():
                taken[path] = taken.get(path, 0) + count
    assert taken.get("quotes, simple", 0) > 150, taken
    assert taken.get("quotes, not simple", 0) > 50, taken


def test_texts_without_block_tags_match_drupal(path_log):
    """Lines and paragraphs of inline text with, now and then, a near miss in
    place of a line break (three newlines, white space before or after a
    newline, NBSP next to one, a <br /> or a block tag) and white space or
    newlines at either end: the simple-line-breaks and one-line paths."""
    rng = random.Random(7104)
    misses = ["\n\n\n", " \n", "\n ", "\t\n", "\n\t", "\n \n", "\n\n\n\n", "\xa0\n", "\n\xa0",
              "\n\n ", " \n\n", "\r\n", "\r", "<br />\n", "\n<p>", "</p>", "<div>", ""]
    ends = ["", "", "", "\n", " ", "\t", "\xa0", "\n\n", "\n\n\n", "\n \n", " \n"]
    texts = []
    for _ in range(5000):
        parts = [rng.choice(ends)]
        miss_rate = rng.choice([0.0, 0.0, 0.05, 0.2])
        for _ in range(rng.randint(1, 8)):
            parts.append(" ".join(rng.choice(_INLINE) for _ in range(rng.randint(1, 4))))
            parts.append(rng.choice(misses) if rng.random() < miss_rate
                         else rng.choice(["\n", "\n\n", " "]))
        parts[-1] = rng.choice(ends)
        texts.append("".join(parts))
    taken = _assert_all_match_drupal(texts, path_log)
    for path in ("simple", "no block", "one line"):
        assert taken.get(path, 0) > 300, taken


def test_fast_path_edge_cases_match_drupal(path_log):
    """Hand-picked edges of each shortcut, each compared with the oracle."""
    cases = [
        # (c) one line: white space only, non-ASCII white space, CR, ampersands
        "", " ", "\t", "\xa0", " \t ", "x", " x ", "\tx\t", "x\r", "\r", "\r\r\n", "x\n\n\n",
        "\u2028", "x\x85y", "&", "& ", "&amp;", "&#1;", "a&b", "<", ">", "<br>", "<em>x</em>",
        "\v", "\fx",
        # (b) simple line breaks and their near misses
        "a\nb", "a\n\nb", "a\n\n\nb", "a \nb", "a\n b", "a\n\n b", "a\n\t\nb", "a\xa0\nb",
        "\na\nb", "a\nb ", "a\nb\n", "a\nb\n\n\n", "a>\nb", "a\n>b", "<\nb", "a\n<", "&\n&",
        "a\n\nb\n\nc\nd", "a\r\nb", "a\r\n\r\nb", "a\r\rb",
        # (a) quotes on their own lines ...
        "<blockquote>q</blockquote>", "<blockquote>q</blockquote>\n",
        "<blockquote>q</blockquote>\n\n\n", "<blockquote>q</blockquote>\nb",
        "<blockquote>q</blockquote>\n\nb", "a\n<blockquote>q", "a\n\n<blockquote>q</blockquote>",
        "<blockquote>a\n<blockquote>b</blockquote>\nc</blockquote>\n\n\n",
        "<blockquote>a &b</blockquote>\n&", "<blockquote>&#1;</blockquote>",
        "<blockquote>>\nq</blockquote>", "<blockquote>q>\n>r</blockquote>",
        "<blockquote><em>q</em></blockquote>\n<em>b</em>",
        "<blockquote>q\r\nr</blockquote>\r\n\r\nb",
        # ... with white space where the shape allows it (first text's start,
        # last unclosed text's end, inside the texts) ...
        "\t\n\nx\n<blockquote>q</blockquote>", " \nx\n<blockquote>q</blockquote>",
        "\n\n\nx\n<blockquote>q</blockquote>", "\xa0\n<blockquote>q</blockquote>",
        "<blockquote>\xa0</blockquote>", "a\n<blockquote>q \n", "a\n<blockquote>q\n ",
        "<blockquote>q\n \nr</blockquote>", "<blockquote>q \nr</blockquote>",
        "<blockquote>q\n\n\nr</blockquote>", "<blockquote>q\n r \n</blockquote>",
        # ... and the shapes the path must refuse
        "a\n\n\n<blockquote>q</blockquote>", "a \n<blockquote>q</blockquote>",
        "a\n<blockquote> q</blockquote>", "a\n<blockquote>q </blockquote>",
        "a\n<blockquote>q\n</blockquote>", "a\n<blockquote>\nq</blockquote>",
        "<blockquote></blockquote>", "<blockquote> </blockquote>", "<blockquote>\n</blockquote>",
        "<blockquote>\n\n</blockquote>", "a<blockquote>q</blockquote>",
        "<blockquote>q</blockquote>b", "<blockquote>q</blockquote> b",
        "<blockquote>q</blockquote>\t",
        "<blockquote>q</blockquote>\n \n", "<blockquote>q</blockquote>\n\n\nb",
        "<blockquote>q</blockquote>\n<blockquote>r</blockquote>", "<blockquote><blockquote>q",
        "<blockquote>q</blockquote></blockquote>", "</blockquote>", "</blockquote>\nq",
        "q\n</blockquote>", "<blockquote>", "<blockquote>\n", "\n<blockquote>q", " <blockquote>q",
        "<BLOCKQUOTE>q</BLOCKQUOTE>", "<blockquote>q</BLOCKQUOTE>", "<BLOCKQUOTE>q</blockquote>",
        '<blockquote cite="x">q</blockquote>', "<blockquote >q</blockquote>",
        "<blockquote>q</blockquote >", "<blockquotex>q</blockquotex>",
        "<P>a\n<blockquote>q</blockquote>", "<p>a\n<blockquote>q</blockquote>",
        "a<br />\n<blockquote>q</blockquote>", "<blockquote>q<!-- c --></blockquote>",
        "<blockquote><pre>q</pre></blockquote>",
    ]
    taken = _assert_all_match_drupal(cases, path_log)
    for path in ("one line", "simple", "no block", "quotes, simple", "quotes, not simple",
                 "quotes refused", "chain"):
        assert taken.get(path, 0) >= 3, taken


# What filter_autop meets inside render(): the text after filter_html (with
# filtered_html's allowed tags) and filter_url, or after filter_html_escape and
# filter_url.  filter_html puts quotes back together (closes them, lower-cases
# them, drops attributes), so far more of these take the quoted-paragraph path.
_URLS = ["http://example.com/a?b=1&c=2", "https://x.org/p.", "www.example.org", "a@b.co",
         "mail@x.example.com", "(http://x.com)", '<a href="http://x.com">l</a>',
         "<code>http://c.com</code>", "ftp://f.net/x"]
_FILTERED_HTML_TAGS = "<em> <strong> <blockquote> <br> <p>"


def test_what_render_gives_filter_autop_matches_drupal(path_log):
    rng = random.Random(7105)
    # ("<br>" would come out of filter_html as "<br />", which the general chain takes.)
    inline = [word for word in _INLINE if word != "<br>"]
    texts = _quote_texts(seed=7106, count=700, max_edits=2, inline=inline)
    texts += ["".join(rng.choice(_PIECES + _URLS) for _ in range(rng.randint(0, 20)))
              for _ in range(300)]
    for index, text in enumerate(texts):
        for _ in range(rng.choice([0, 1, 2])):
            at = rng.randint(0, len(text))
            text = (text[:at] + rng.choice([" ", "\n", ""]) + rng.choice(_URLS)
                    + rng.choice([" ", "\n", "", "."]) + text[at:])
        texts[index] = text
    prepared = [filter_url(filter_html(text, _FILTERED_HTML_TAGS), 72, "nofollow ugc")
                for text in texts]
    prepared += [filter_url(filter_html_escape(text), 72, "nofollow ugc") for text in texts]
    taken = _assert_all_match_drupal(prepared, path_log)
    assert taken.get("quotes, simple", 0) > 30, taken
    assert taken.get("quotes, not simple", 0) > 25, taken
    assert taken.get("simple", 0) > 100, taken
