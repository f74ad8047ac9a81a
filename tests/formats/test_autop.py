"""filter_autop: Drupal 11's line-break filter, reproduced exactly and in linear time.

Sources of truth, in order:
- Drupal 11 ``FilterKernelTest::testLineBreakFilter`` and
  ``testLineBreakFilterTwigDebug``, and Drupal 7 ``FilterUnitTestCase``
  (ported below with their contains / does-not-contain assertions);
- the spec's rules (``docs/spec/text-formats.md``, filter_autop);
- a literal, byte-level transliteration of Drupal 11's ``FilterAutoP::process``
  (``drupal_reference_autop`` below).  It runs Drupal's own patterns on UTF-8
  bytes, as PHP does without ``/u``, so it is the oracle for every linear-time
  rewrite in ``moderation/formats/autop.py``; it is quadratic on hostile input,
  which is why the module does not use it.
"""
import json
import random
import re
import string
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderation.formats import filter_autop
from moderation.formats import autop as autop_module
from moderation.formats import autop_shortcuts
from moderation.formats.normalize import normalize_text

if __package__:
    from .timing import best_time
else:
    from timing import best_time

DATA = Path(__file__).resolve().parents[1] / "data" / "drupal_filters_public.json"

# --------------------------------------------------------------------------
# The oracle: Drupal 11's chain, pattern for pattern, on bytes.
# --------------------------------------------------------------------------
_REF_BLOCK = (rb"(?:table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt"
              rb"|ul|ol|li|pre|select|option|form|map|area|blockquote|address|math"
              rb"|input|p|h[1-6]|fieldset|legend|hr|article|aside|details|figcaption"
              rb"|figure|footer|header|hgroup|menu|nav|section|summary)")
_REF_SPLIT = rb"(<!--.*?-->|</?(?:pre|script|style|object|iframe|drupal-media|svg|!--)[^>]*>)"
_REF_STEPS = [
    (rb"<br />\s*<br />", b"\n\n", 0),
    (rb"(<" + _REF_BLOCK + rb"[^>]*>)", b"\n\\1", 0),
    (rb"(</" + _REF_BLOCK + rb">)", b"\\1\n\n", 0),
    (rb"\n\n+", b"\n\n", 0),
    (rb"^\n|\n\s*\n$", b"", 0),
]
_REF_STEPS_AFTER_P = [
    (rb"<p>(<li.+?)</p>", b"\\1", 0),
    (rb"<p><blockquote([^>]*)>", b"<blockquote\\1><p>", re.I),
    (None, None, None),  # str_replace('</blockquote></p>', '</p></blockquote>')
    (rb"<p>\s*</p>\n?", b"", 0),
    (rb"<p>\s*(</?" + _REF_BLOCK + rb"[^>]*>)", b"\\1", 0),
    (rb"(</?" + _REF_BLOCK + rb"[^>]*>)\s*</p>", b"\\1", 0),
    (rb"(?<!<br />)\s*\n", b"<br />\n", 0),
    (rb"(</?" + _REF_BLOCK + rb"[^>]*>)\s*<br />", b"\\1", 0),
    (rb"<br />(\s*</?(?:p|li|div|dl|dd|dt|th|pre|td|ul|ol)>)", b"\\1", 0),
    (rb"&([^#])(?![A-Za-z0-9]{1,8};)", b"&amp;\\1", 0),
]
_TEMPLATE_OUTPUT_STARTS = (b"<!-- BEGIN OUTPUT from ",
                           "<!-- \U0001f4a1 BEGIN CUSTOM TEMPLATE OUTPUT from ".encode())


def drupal_reference_autop(text: str) -> str:
    """Drupal 11 ``FilterAutoP::process``, transliterated (slow on hostile input)."""
    data = normalize_text(text).encode("utf-8")
    chunks = re.split(_REF_SPLIT, data, flags=re.I)
    ignore, ignore_tag, output = False, b"", b""
    for i, chunk in enumerate(chunks):
        if i % 2:
            if chunk.startswith(b"<!--"):
                output += chunk
                continue
            is_open = chunk[1:2] != b"/"
            tag = re.split(rb"[ >]", chunk[2 - is_open:], maxsplit=1)[0]
            if not ignore:
                if is_open:
                    ignore, ignore_tag = True, tag
            elif not is_open and ignore_tag == tag:
                ignore, ignore_tag = False, b""
        elif not ignore:
            if i + 1 < len(chunks) and chunks[i + 1] == b"<!-- THEME DEBUG -->":
                output += chunk.rstrip(b"\n")
                continue
            if i > 0 and chunks[i - 1].startswith(_TEMPLATE_OUTPUT_STARTS):
                output += chunk.lstrip(b"\n")
                continue
            chunk = re.sub(rb"\n*$", b"", chunk) + b"\n\n"
            for pattern, replacement, flags in _REF_STEPS:
                chunk = re.sub(pattern, replacement, chunk, flags=flags)
            chunk = b"<p>" + re.sub(rb"\n\s*\n\n?(.)", b"</p>\n<p>\\1", chunk) + b"</p>\n"
            for pattern, replacement, flags in _REF_STEPS_AFTER_P:
                if pattern is None:
                    chunk = chunk.replace(b"</blockquote></p>", b"</p></blockquote>")
                else:
                    chunk = re.sub(pattern, replacement, chunk, flags=flags)
        output += chunk
    return output.decode("utf-8")


def assert_filtered(output: str, expectations: dict[str, bool]) -> None:
    """Drupal's ``assertFilteredString``: each needle must (not) occur."""
    for needle, present in expectations.items():
        assert (needle in output) is present, (needle, present, output)


# --------------------------------------------------------------------------
# Drupal 11 FilterKernelTest::testLineBreakFilter
# --------------------------------------------------------------------------
# The second input is a PHP double-quoted string spanning lines: its line
# breaks are real and followed by the test file's six-space indentation.
D11_LINE_BREAK_CASES = [
    ("aaa\nbbb\n\nccc", {"<p>aaa<br />\nbbb</p>\n<p>ccc</p>": True}),
    ("<script>aaa\nbbb\n\nccc</script>\n      <style>aaa\nbbb\n\nccc</style>\n"
     "      <pre>aaa\nbbb\n\nccc</pre>\n      <object>aaa\nbbb\n\nccc</object>\n"
     "      <iframe>aaa\nbbb\n\nccc</iframe>\n      <svg>aaa\nbbb\n\nccc</svg>",
     {"<script>aaa\nbbb\n\nccc</script>": True, "<style>aaa\nbbb\n\nccc</style>": True,
      "<pre>aaa\nbbb\n\nccc</pre>": True, "<object>aaa\nbbb\n\nccc</object>": True,
      "<iframe>aaa\nbbb\n\nccc</iframe>": True, "<svg>aaa\nbbb\n\nccc</svg>": True}),
    ("One. <!-- comment --> Two.\n<!--\nThree.\n-->\n",
     {"<!-- comment -->": True, "<!--\nThree.\n-->": True}),
    ("<p>Text here\n<!-- THEME DEBUG -->\n<!-- THEME HOOK: 'html' -->\n"
     "<!-- FILE NAME SUGGESTIONS:\n* html--node.html.twig\nx html.html.twig\n-->\n"
     "<!-- BEGIN OUTPUT from 'core/themes/olivero/templates/layout/html.html.twig' -->\n"
     "<span>Test</span></p>",
     {"<p>Text here": True, "<p>Text here</p>": False,
      "<span>Test</span></p>": True, "<p><span>Test</span></p>": False}),
    ("<p>Text here\n<!-- THEME DEBUG -->\n<!-- THEME HOOK: 'html' -->\n"
     "<!-- FILE NAME SUGGESTIONS:\n* html--node.html.twig\nx html.html.twig\n-->\n"
     "<!-- \U0001f4a1 BEGIN CUSTOM TEMPLATE OUTPUT from "
     "'custom/themes/custom-theme/templates/layout/html.html.twig' -->\n"
     "<span>Test</span></p>",
     {"<p>Text here": True, "<p>Text here</p>": False,
      "<span>Test</span></p>": True, "<p><span>Test</span></p>": False}),
    ("<p><div>  </div></p>", {"<p>\n<div>  </div>\n</p>": True}),
    ("<div><p>  </p></div>", {"<div>\n</div>": True}),
    ("<blockquote><pre>aaa</pre></blockquote>",
     {"<blockquote><pre>aaa</pre></blockquote>": True}),
    ("<pre>aaa\nbbb\nccc</pre>\nddd\neee",
     {"<pre>aaa\nbbb\nccc</pre>": True, "<p>ddd<br />\neee</p>": True}),
    ("aaa<!--comment-->\n\nbbb\n\nccc\n\nddd<!--comment\nwith linebreak-->\n\neee\n\nfff",
     {"<p>aaa</p>\n<!--comment--><p>\nbbb</p>\n<p>ccc</p>\n<p>ddd</p>": True,
      "<!--comment\nwith linebreak--><p>\neee</p>\n<p>fff</p>": True}),
    ("<pre>aaa\nbbb<!-- comment -->\n\nccc</pre>\nddd",
     {"<pre>aaa\nbbb<!-- comment -->\n\nccc</pre>": True}),
    ("<iframe>aaa</iframe>\n\n", {"<p><iframe>aaa</iframe></p>": False}),
    ('<drupal-media data-caption=" " data-entity-type="media" '
     'data-entity-uuid="dbb16f97-cd11-4357-acde-cd09e19e312b"></drupal-media>',
     {'<p><drupal-media data-caption=" " data-entity-type="media" '
      'data-entity-uuid="dbb16f97-cd11-4357-acde-cd09e19e312b"></drupal-media></p>': False}),
]

# Drupal 7 FilterUnitTestCase::testLineBreakFilter differs only in this input's
# layout (no indentation, a trailing newline, no <svg>); the rest are shared.
D7_RAW_TAGS_INPUT = ("<script>aaa\nbbb\n\nccc</script>\n<style>aaa\nbbb\n\nccc</style>\n"
                     "<pre>aaa\nbbb\n\nccc</pre>\n<object>aaa\nbbb\n\nccc</object>\n"
                     "<iframe>aaa\nbbb\n\nccc</iframe>\n")


@pytest.mark.parametrize("text,expectations", D11_LINE_BREAK_CASES,
                         ids=[f"d11-{i}" for i in range(len(D11_LINE_BREAK_CASES))])
def test_drupal11_line_break_filter(text, expectations):
    output = filter_autop(text)
    assert_filtered(output, expectations)
    assert output == drupal_reference_autop(text)


def test_drupal7_raw_tags_untouched():
    output = filter_autop(D7_RAW_TAGS_INPUT)
    for tag in ("script", "style", "pre", "object", "iframe"):
        assert f"<{tag}>aaa\nbbb\n\nccc</{tag}>" in output


def test_drupal_very_long_string():
    """Drupal's "very long string hitting PCRE limits": 1,000,000 letters/digits."""
    rng = random.Random(11)
    source = "".join(rng.choices(string.ascii_letters + string.digits, k=1_000_000))
    assert filter_autop(source) == "<p>" + source + "</p>\n"


def test_drupal11_twig_debug_exact():
    """FilterKernelTest::testLineBreakFilterTwigDebug: debug comments lose their
    line breaks, the template's own blank line stays."""
    rendered = ("<!-- THEME DEBUG -->\n<!-- THEME HOOK: 'container' -->\n"
                "<!-- \U0001f4a1 BEGIN CUSTOM TEMPLATE OUTPUT from 'container.html.twig' -->\n"
                "<div>Test two</div>\n\n"
                "<!-- END CUSTOM TEMPLATE OUTPUT from 'container.html.twig' -->")
    assert filter_autop(rendered) == (
        "<!-- THEME DEBUG --><!-- THEME HOOK: 'container' -->"
        "<!-- \U0001f4a1 BEGIN CUSTOM TEMPLATE OUTPUT from 'container.html.twig' -->"
        "<div>Test two</div>\n\n"
        "<!-- END CUSTOM TEMPLATE OUTPUT from 'container.html.twig' -->")


def _acceptance_cases():
    return [case for case in json.loads(DATA.read_text(encoding="utf-8"))
            if case["filter"] == "autop"]


@pytest.mark.parametrize("case", _acceptance_cases(), ids=lambda case: case["id"])
def test_acceptance_data(case):
    output = filter_autop(case["input"])
    for needle in case.get("expect_contains", []):
        assert needle in output
    for needle in case.get("expect_not_contains", []):
        assert needle not in output
    if "expect_equal" in case:
        assert output == case["expect_equal"]


# --------------------------------------------------------------------------
# The spec's rules, with exact outputs.
# --------------------------------------------------------------------------
@pytest.mark.parametrize("text,expected", [
    # Paragraphs and line breaks.
    ("aaa\nbbb\n\nccc", "<p>aaa<br />\nbbb</p>\n<p>ccc</p>\n"),
    ("one line", "<p>one line</p>\n"),
    ("  padded line  ", "<p>  padded line  </p>\n"),
    ("a\n \t \nb", "<p>a</p>\n<p>b</p>\n"),             # blank line with white space
    ("a\n\n\n\n\nb", "<p>a</p>\n<p>b</p>\n"),           # several blank lines
    ("a\nb\nc", "<p>a<br />\nb<br />\nc</p>\n"),
    ("a   \nb", "<p>a<br />\nb</p>\n"),                 # trailing spaces go with the break
    ("a\n   b", "<p>a<br />\n   b</p>\n"),              # leading spaces stay
    ("\na\n", "<p>a</p>\n"),
    ("\n\na\n\n", "<p>\na</p>\n"),                 # Drupal strips one leading newline
    ("", ""),
    ("   ", ""),
    ("\n \n\t\n", ""),
    # Normalization before the filter.
    ("a\r\nb\rc", "<p>a<br />\nb<br />\nc</p>\n"),
    ("a\x00b\x07c", "<p>abc</p>\n"),
    # Block tags are not wrapped; inline ones are.
    ("<div>a</div>", "<div>a</div>\n"),
    ("<em>a</em>", "<p><em>a</em></p>\n"),
    ("x\n<div>a</div>\ny", "<p>x</p>\n<div>a</div>\n<p>y</p>\n"),
    ("<ul><li>a</li>\n<li>b</li></ul>", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n"),
    ("<h2>T</h2>\ntext", "<h2>T</h2>\n<p>text</p>\n"),
    ("<hr>\n\nafter", "<hr>\n<p>after</p>\n"),
    ("<figure>x</figure>", "<figure>x</figure>\n"),
    ("<section>a\nb</section>", "<section>a<br />\nb</section>\n"),
    # <p> opened inside <blockquote>.
    ("<blockquote>quoted</blockquote>", "<blockquote><p>quoted</p></blockquote>\n"),
    ("<blockquote>a\n\nb</blockquote>\nc",
     "<blockquote><p>a</p>\n<p>b</p></blockquote>\n<p>c</p>\n"),
    ("<BLOCKQUOTE cite=x>q</BLOCKQUOTE>", "<blockquote cite=x><p>q</BLOCKQUOTE></p>\n"),
    # Empty paragraphs are dropped.
    ("a\n\n<p></p>\n\nb", "<p>a</p>\n<p>b</p>\n"),
    ("a\n\n<p> \n </p>\n\nb", "<p>a</p>\n<p>b</p>\n"),
    ("<p>already</p>", "<p>already</p>\n"),
    # <br /> after a block tag, or before p li div dl dd dt th pre td ul ol, goes.
    ("<div>\na\n</div>", "<div>\na\n</div>\n"),
    ("a<br />\nb", "<p>a<br />\nb</p>\n"),
    ("a<br /><br />b", "<p>a</p>\n<p>b</p>\n"),
    ("<ul>\n<li>a\n</li>\n</ul>", "<ul>\n<li>a\n</li>\n</ul>\n"),
    # Bare ampersands.
    ("AT&T", "<p>AT&amp;T</p>\n"),
    ("a & b", "<p>a &amp; b</p>\n"),
    ("&amp; &copy; &#039; &#x27; &frac34;", "<p>&amp; &copy; &#039; &#x27; &frac34;</p>\n"),
    ("&abcdefghi;", "<p>&abcdefghi;</p>\n"),         # 1 + up to 8 characters, then ";"
    ("&abcdefghij;", "<p>&amp;abcdefghij;</p>\n"),   # one more is not an entity
    ("&&", "<p>&amp;&</p>\n"),                        # Drupal: the pair is one match
    ("&\u00e9t\u00e9;", "<p>&amp;\u00e9t\u00e9;</p>\n"),  # not an ASCII name
    ("end&", "<p>end&amp;</p>\n"),
])
def test_spec_rules_exact(text, expected):
    assert filter_autop(text) == expected
    assert drupal_reference_autop(text) == expected


def test_drupal_quirks_are_kept():
    """Odd but genuine Drupal 11 results; we match them rather than "fix" them."""
    # A leading <p> is taken for a block tag, so the wrapper's <p> is dropped.
    assert filter_autop("<p></p>") == "</p>\n"
    assert filter_autop("<hr>\nafter") == "<hr>\nafter</p>\n"
    # Block tags are matched by prefix and case-sensitively.
    assert filter_autop("<param>") == "<param>\n"
    assert filter_autop("<BLOCKQUOTE cite=x>q</BLOCKQUOTE>") == (
        "<blockquote cite=x><p>q</BLOCKQUOTE></p>\n")
    for text in ("<p></p>", "<hr>\nafter", "<param>"):
        assert filter_autop(text) == drupal_reference_autop(text)


@pytest.mark.parametrize("tag", ["pre", "script", "style", "object", "iframe", "svg",
                                 "drupal-media"])
def test_raw_content_elements_untouched(tag):
    inner = "a\n\nb & c\nd"
    output = filter_autop(f"x\n\n<{tag} class=k>{inner}</{tag}>\n\ny & z")
    assert f"<{tag} class=k>{inner}</{tag}>" in output
    assert output.startswith("<p>x</p>\n")
    assert output.endswith("<p>\ny &amp; z</p>\n")


def test_raw_content_nesting_and_matching_close_tag():
    # Only the tag that opened the raw section closes it.
    text = "<pre>a\n\n<script>b\n\nc</script>d\n\ne</pre>f\n\ng"
    assert filter_autop(text) == (
        "<pre>a\n\n<script>b\n\nc</script>d\n\ne</pre><p>f</p>\n<p>g</p>\n")
    # Case matters when matching (PHP compares the tag strings): </pre> does not
    # close <PRE>, so the rest stays raw.
    assert filter_autop("<PRE>a</pre>b\n\nc") == "<PRE>a</pre>b\n\nc"
    assert filter_autop("<PRE>a</PRE>b\n\nc") == "<PRE>a</PRE><p>b</p>\n<p>c</p>\n"


def test_comments_untouched():
    assert filter_autop("a <!-- x & y\n\nz --> b") == "<p>a </p>\n<!-- x & y\n\nz --><p> b</p>\n"
    assert filter_autop("a<!-- one & line -->b") == "<p>a</p>\n<!-- one & line --><p>b</p>\n"


def test_unclosed_raw_and_comment_starts():
    # A complete <pre> tag with no </pre>: everything after it stays raw.
    assert filter_autop("a\n\n<pre>x\n\ny") == "<p>a</p>\n<pre>x\n\ny"
    # "<!--" with no "-->" (and no ">") is not a comment: plain text.
    assert filter_autop("a\n\n<!-- x\n\ny") == "<p>a</p>\n<p><!-- x</p>\n<p>y</p>\n"
    # "<pre" with no ">" is no raw section; Drupal's block patterns then read
    # "<pre no end</p>" as a block tag and drop the <p> before it.
    assert filter_autop("<pre no end") == "<pre no end</p>\n"


@pytest.mark.parametrize("tag", [
    "table", "thead", "tfoot", "caption", "col", "colgroup", "tbody", "tr", "td", "th",
    "div", "dl", "dd", "dt", "ul", "ol", "li", "select", "option", "form", "map",
    "area", "blockquote", "address", "math", "input", "p", "h1", "h2", "h3", "h4", "h5",
    "h6", "fieldset", "legend", "hr", "article", "aside", "details", "figcaption",
    "figure", "footer", "header", "hgroup", "menu", "nav", "section", "summary"])
def test_every_drupal11_block_tag_is_not_wrapped(tag):
    output = filter_autop(f"<{tag}>x</{tag}>")
    assert not output.startswith(f"<p><{tag}>")
    assert output == drupal_reference_autop(f"<{tag}>x</{tag}>")


@pytest.mark.parametrize("tag", ["span", "em", "a", "strong", "code", "b", "img"])
def test_inline_tags_are_wrapped(tag):
    assert filter_autop(f"<{tag}>x</{tag}>") == f"<p><{tag}>x</{tag}></p>\n"


def test_output_ends_with_newline():
    for text in ["a", "a\n", "a\n\nb", "<div>a</div>", "<em>a</em>\n\n\n", "x & y"]:
        assert filter_autop(text).endswith("\n")


# --------------------------------------------------------------------------
# Each linear-time rewrite gives the same result as Drupal's pattern.
# --------------------------------------------------------------------------
_S = r"[ \t\n\r\f\v]"
_BLOCK = _REF_BLOCK.decode()  # Drupal's flat list, not our factored one


def _random_strings(alphabet, count, max_len, seed):
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, max_len)))
            for _ in range(count)]


_TRICKY_TAGS = [" ", "\n", "\t", "x", ">", "<", "<div", "<div>", "</div>", "<p>", "</p>",
                "<br />", "<em>", "</em>", "<li", "<p><li", "<pre", "<PrE x>", "</pre>",
                "<!--", "-->", "<!-- c -->", "</!--", "<blockquote", "<P><BlockQuote",
                "<param>", "</p ", "\u00e9"]


def test_split_matches_preg_split():
    pattern = re.compile(_REF_SPLIT.decode(), re.I | re.A)
    for text in _random_strings(_TRICKY_TAGS, 4000, 14, seed=1):
        assert autop_module._split_raw_sections(text) == pattern.split(text), text


def test_trim_chunk_ends_matches_drupal():
    drupal = re.compile(r"^\n|\n" + _S + r"*\n$", re.A)
    for body in _random_strings(["\n", " ", "\t", "a"], 4000, 10, seed=2):
        chunk = body.rstrip("\n") + "\n\n"
        assert autop_module._trim_chunk_ends(chunk) == drupal.sub("", chunk), chunk


def test_trim_without_the_pad_matches_drupal():
    """The chunk is no longer padded with two newlines before the trim: trimming
    the unpadded chunk must equal Drupal's trim pattern on the padded one."""
    drupal = re.compile(r"^\n|\n" + _S + r"*\n$", re.A)
    bodies = _random_strings(["\n", "\n", " ", "\t", "a", "<p>", "\u00e9"], 8000, 10, seed=34)
    for body in bodies + ["", "\n", "\n\n", " ", "a"]:
        chunk = body.rstrip("\n")
        assert autop_module._trim_unpadded_chunk(chunk) == drupal.sub("", chunk + "\n\n"), chunk


def test_trim_newlines_matches_drupal_as_the_paragraph_step_sees_it():
    """``/\\n\\n+/`` -> "\\n\\n" and the trim on the padded chunk, of which
    only a leading run of three or more newlines is kept from the first:
    after the paragraph step, ours and Drupal's must be the same.  Chunks
    come trimmed of trailing newlines, or ending in the two a closing block
    tag's spacing adds (or "\\n\\n" alone, from "<br /><br />")."""
    collapse = re.compile(r"\n\n+", re.A)
    trim = re.compile(r"^\n|\n" + _S + r"*\n$", re.A)
    paragraphs = re.compile(r"\n" + _S + r"*\n\n?(.)", re.A)
    bodies = _random_strings(["\n", "\n", "\n", " ", "\t", "a", "<p>"], 8000, 10, seed=35)
    for body in bodies + ["", "\n", "\n\n", "\n\n\n"]:
        for chunk in (body.rstrip("\n"), body.rstrip("\n") + "\n\n"):
            drupal = trim.sub("", collapse.sub("\n\n", chunk + "\n\n"))
            ours = autop_module._trim_newlines(chunk)
            assert (paragraphs.sub(r"</p>\n<p>\1", ours)
                    == paragraphs.sub(r"</p>\n<p>\1", drupal)), repr(chunk)


def test_unwrap_list_items_matches_drupal():
    drupal = re.compile(r"<p>(<li.+?)</p>", re.A)
    for text in _random_strings(["<p><li", "</p>", "<p>", "\n", "x", "<li", "<"], 4000, 10,
                                seed=3):
        assert autop_module._unwrap_list_items(text) == drupal.sub(r"\1", text), text


@pytest.mark.parametrize("tail_name,tail", [("</p>", "_GT_THEN_P_CLOSE"),
                                            ("<br />", "_GT_THEN_BR")])
def test_drop_after_block_tags_matches_drupal(tail_name, tail):
    drupal = re.compile(r"(</?" + _BLOCK + r"[^>]*>)" + _S + "*" + tail_name, re.A)
    alphabet = _TRICKY_TAGS + [tail_name, tail_name, "<ul>", "</li>"]
    for text in _random_strings(alphabet, 4000, 12, seed=4):
        got = autop_module._drop_after_block_tags(text, getattr(autop_module, tail))
        assert got == drupal.sub(r"\1", text), text


def test_insert_line_breaks_matches_drupal():
    drupal = re.compile(r"(?<!<br />)" + _S + r"*\n", re.A)
    for text in _random_strings([" ", "\t", "\n", "x", "<br />", ">", "/>"], 6000, 12, seed=5):
        assert autop_module._insert_line_breaks(text) == drupal.sub("<br />\n", text), text


def _strings_near(words):
    """Each word, its prefixes, and each with a letter or ">" appended."""
    near = set()
    for word in words:
        for end in range(len(word) + 1):
            near.add(word[:end])
            for extra in ("a", "e", "r", "1", ">", " "):
                near.add(word[:end] + extra)
    return sorted(near)


def test_factored_block_names_match_drupal_list():
    names = autop_module.BLOCK_TAG_NAMES
    drupal_names = re.findall(r"[a-z0-9]+", _BLOCK.replace("h[1-6]", "h1 h2 h3 h4 h5 h6"))
    assert set(names) == set(drupal_names)
    exact = re.compile(autop_module._BLOCK, re.A)
    prefix = re.compile(autop_module._BLOCK_PREFIX, re.A)
    drupal = re.compile(_BLOCK, re.A)
    for text in _strings_near(names):
        assert bool(exact.fullmatch(text)) == bool(drupal.fullmatch(text)), text
        assert bool(prefix.match(text)) == bool(drupal.match(text)), text


def test_markup_scan_skips_only_tags_it_would_not_report():
    """The quick rejection of common inline tags changes none of the finds."""
    rejection = autop_module._NOT_COMMON_INLINE_TAG
    inline = [f"<{name}{end}" for name in autop_module._COMMON_INLINE_TAGS
              for end in (" ", ">")] + [f"</{name}>" for name in autop_module._COMMON_INLINE_TAGS]
    alphabet = inline + _TRICKY_TAGS + ["<br />", "<P>", "<BLOCKQUOTE", "<li", "<span", "<a",
                                        "<strongx>", "<style>", "<script>", "<s", "<sub>"]
    for ours in (autop_module._MARKUP_OF_INTEREST, autop_module._BLOCK_OPEN_OR_CLOSE):
        assert ours.pattern.startswith("<" + rejection)
        without_rejection = re.compile("<" + ours.pattern[1 + len(rejection):], re.A)
        for text in _random_strings(alphabet, 4000, 10, seed=18):
            assert ours.findall(text) == without_rejection.findall(text), text


def test_line_breaks_at_lone_newlines_match_drupal():
    """The fused <br /> steps equal Drupal's three patterns when their
    precondition holds (no <br />; each newline alone at the start of its run)."""
    insert = re.compile(r"(?<!<br />)" + _S + r"*\n", re.A)
    drop = re.compile(r"(</?" + _BLOCK + r"[^>]*>)" + _S + r"*<br />", re.A)
    drop_before = re.compile(r"<br />(" + _S + r"*</?(?:p|li|div|dl|dd|dt|th|pre|td|ul|ol)>)",
                             re.A)
    alphabet = ["\n", "\n", " ", "x", ">", "<", "</p>", "<p>", "</blockquote>", "<div",
                "<em>", "</em>", "<div <em>", "<em <div>", "<li>", "</a>", "<hr />", "\n ",
                "</li>", "<ul>", "\t", "</td>", "<pre>", "<p", "<dl>"]
    checked = 0
    for text in _random_strings(alphabet, 8000, 12, seed=14):
        if "<br />" in text or re.search(r"[ \t\n]\n", text):
            continue
        expected = drop_before.sub(r"\1", drop.sub(r"\1", insert.sub("<br />\n", text)))
        assert autop_module._line_breaks_at_lone_newlines(text) == expected, text
        checked += 1
    assert checked > 2000


@pytest.mark.parametrize("ours,replacement,drupal,drupal_replacement,flags", [
    ("_P_BEFORE_BLOCK", "\\1", r"<p>" + _S + r"*(</?" + _BLOCK + r"[^>]*>)", "\\1", 0),
])
def test_patterns_cut_at_last_gt_match_drupal(ours, replacement, drupal, drupal_replacement,
                                              flags):
    pattern = getattr(autop_module, ours)
    reference = re.compile(drupal, flags | re.A)
    alphabet = _TRICKY_TAGS + ["<p><blockquote", "<p> <div", "<table class=t>"]
    for text in _random_strings(alphabet, 4000, 12, seed=6):
        assert (autop_module._sub_before_last_gt(pattern, replacement, text)
                == reference.sub(drupal_replacement, text)), text


def test_line_breaks_after_dropping_ws_before_newlines_match_drupal():
    """Spaces before a newline (one newline per white-space run, no <br /> yet):
    dropped first, then the fused step, equal Drupal's three patterns."""
    insert = re.compile(r"(?<!<br />)" + _S + r"*\n", re.A)
    drop = re.compile(r"(</?" + _BLOCK + r"[^>]*>)" + _S + r"*<br />", re.A)
    drop_before = re.compile(r"<br />(" + _S + r"*</?(?:p|li|div|dl|dd|dt|th|pre|td|ul|ol)>)",
                             re.A)
    alphabet = ["\n", "\n", " ", " ", "\t", "x", ">", "<", "</p>", "<p>", "</blockquote>",
                "<div", "<em>", "</em>", "<li>", "</li>", "  \n", " \t\n ", "<ul>"]
    checked = 0
    for text in _random_strings(alphabet, 8000, 12, seed=19):
        if "<br />" in text or re.search(r"\n[ \t]*\n", text):
            continue
        expected = drop_before.sub(r"\1", drop.sub(r"\1", insert.sub("<br />\n", text)))
        got = autop_module._line_breaks_at_lone_newlines(
            autop_module._drop_inline_ws_before_newlines(text))
        assert got == expected, text
        checked += 1
    assert checked > 2000


def test_line_break_steps_match_drupal():
    """Every route through the <br /> steps (lone newlines or not, <br />
    already there or not) equals Drupal's three patterns."""
    insert = re.compile(r"(?<!<br />)" + _S + r"*\n", re.A)
    drop = re.compile(r"(</?" + _BLOCK + r"[^>]*>)" + _S + r"*<br />", re.A)
    drop_before = re.compile(r"<br />(" + _S + r"*</?(?:p|li|div|dl|dd|dt|th|pre|td|ul|ol)>)",
                             re.A)
    alphabet = ["\n", "\n", " ", "\t", "x", ">", "<", "</p>", "<p>", "</blockquote>", "<div",
                "<em>", "</em>", "<li>", "</li>", "<br />", "<br />", " <br />", "<br />\n",
                "<ul>", "<p> ", "\n\n"]
    for text in _random_strings(alphabet, 8000, 12, seed=20):
        expected = drop_before.sub(r"\1", drop.sub(r"\1", insert.sub("<br />\n", text)))
        for has_block_tag in (True, False) if not re.search(r"<(?!p>|/p>|br )", text) else (True,):
            got = autop_module._line_break_steps(text, "<br />" in text, has_block_tag)
            assert got == expected, text


def _blockquote_steps_one_pass(text: str) -> str:
    return autop_module._sub_before_last_gt(autop_module._BLOCKQUOTE_AND_P,
                                            autop_module._move_p_into_blockquote, text)


@pytest.mark.parametrize("ours,alphabet", [
    (_blockquote_steps_one_pass,
     _TRICKY_TAGS + ["<p><blockquote", "<P><BLOCKQUOTE x>", "</p>",
                     "</blockquote>", "</blockquote></p>", "<Blockquote",
                     "<p><BlockQuote>", "</BLOCKQUOTE></p>"]),
    # Used only when the text has neither "<P>" nor "<blockquote" in another case.
    (autop_module._move_p_into_lower_case_blockquotes,
     ["<p>", "<p><blockquote", "<blockquote", "</p>", ">",
      "</blockquote>", "</blockquote></p>", "x", " ", "<",
      "<p><blockquote x>", "</blockquote", "<p><blockquote</blockquote></p>"]),
])
def test_blockquote_steps_match_drupal(ours, alphabet):
    """Drupal's |<p><blockquote([^>]*)>|i then str_replace('</blockquote></p>')."""
    drupal = re.compile(r"<p><blockquote([^>]*)>", re.I | re.A)
    for text in _random_strings(alphabet, 6000, 12, seed=17):
        expected = drupal.sub("<blockquote\\1><p>", text).replace(
            "</blockquote></p>", "</p></blockquote>")
        assert ours(text) == expected, text


def test_block_tag_spacing_matches_drupal_two_passes():
    """Our one pass over opening and closing block tags equals Drupal's two."""
    opening = re.compile(r"(<" + _BLOCK + r"[^>]*>)", re.A)
    closing = re.compile(r"(</" + _BLOCK + r">)", re.A)
    alphabet = _TRICKY_TAGS + ["</li>", "</colgroup>", "</col>", "<div</div>", "</h2>",
                               "<p </p>", "</P>", "</div", "<table class=t>", "</pre>"]
    for text in _random_strings(alphabet, 6000, 12, seed=15):
        expected = closing.sub("\\1\n\n", opening.sub("\n\\1", text))
        got = autop_module._sub_before_last_gt(autop_module._BLOCK_OPEN_OR_CLOSE,
                                               autop_module._space_block_tag, text)
        assert got == expected, text


def test_block_spacing_narrowed_to_the_marks_matches_drupal_two_passes():
    """The pattern built from the markup scan's finds equals Drupal's two passes."""
    opening = re.compile(r"(<" + _BLOCK + r"[^>]*>)", re.A)
    closing = re.compile(r"(</" + _BLOCK + r">)", re.A)
    alphabet = _TRICKY_TAGS + ["</li>", "</colgroup>", "<colgroup x>", "</col>", "<col>",
                               "<div</div>", "</h2>", "<h2 a>", "<p </p>", "</P>", "</div",
                               "<table class=t>", "</pre>", "<address>", "<a href=x>", "</a>",
                               "<article>", "</blockquote>", "<BLOCKQUOTE>", "<script>",
                               "<sub>", "<section>", "</summary>", "<pre>", "<dl>", "</dd>"]
    for text in _random_strings(alphabet, 8000, 12, seed=21):
        expected = closing.sub("\\1\n\n", opening.sub("\n\\1", text))
        marks = set(autop_module._MARKUP_OF_INTEREST.findall(text))
        pattern = autop_module._block_spacing_pattern(marks)
        got = (text if pattern is None else
               autop_module._sub_before_last_gt(pattern, autop_module._space_block_tag, text))
        assert got == expected, text


def test_bare_ampersand_matches_drupal_on_bytes():
    drupal = re.compile(rb"&([^#])(?![A-Za-z0-9]{1,8};)")
    for text in _random_strings(["&", "#", ";", "a", "Z", "9", "\n", "\u00e9", "\U0001f4a1",
                                 "amp;", "abcdefgh;"], 6000, 10, seed=7):
        expected = drupal.sub(rb"&amp;\1", text.encode()).decode()
        assert autop_module._BARE_AMPERSAND.sub("&amp;\\1", text) == expected, text


_FUZZ_TOKENS = [
    "\n", "\n", "\n", " ", " ", "\t", "a", "b", "\u00e9", "<p>", "</p>", "<p >", "<br />",
    "<br>", "<div>", "<div", "</div>", "<blockquote>", "</blockquote>",
    "<BLOCKQUOTE class=x>", "<li>", "</li>", "<p><li", "<ul>", "</ul>", "<ol>", "<pre>",
    "</pre>", "<PRE>", "<pre class=x>", "</pre >", "<script>", "</script>", "<!--", "-->",
    "<!-- c -->", "<!--\n-->", "</!-->", ">", "<", "&", "&amp;", "&#039;", "&x", "&\u00e9",
    "<svg>", "</svg>", "<drupal-media>", "<em>", "</em>", "<hr>", "<param>", "<table>",
    "</td>", "<!-- THEME DEBUG -->", "<!-- BEGIN OUTPUT from x -->", "\r", "\x00", " \n",
    "</p></p>", "<em></p>", "<br /><br />",
]


def test_whole_filter_matches_drupal_on_random_token_soup():
    rng = random.Random(8)
    for _ in range(20000):
        text = "".join(rng.choice(_FUZZ_TOKENS) for _ in range(rng.randint(0, 30)))
        assert filter_autop(text) == drupal_reference_autop(text), text


def test_whole_filter_matches_drupal_on_text_without_markup():
    """The no-"<" path skips the tag steps; it must still equal Drupal's chain."""
    for text in _random_strings([" ", " ", "\t", "\n", "\n", "a", "&", "#", ";", "x1",
                                 "\u00e9", ">", "&amp;"], 6000, 20, seed=9):
        assert filter_autop(text) == drupal_reference_autop(text), text


# Tokens around the fast paths: block tags of every shape (case, attributes,
# prefixes such as <param>, a "<" inside a tag), <br /> next to white space
# and block tags, list items, raw sections, and runs of white space.
_BLOCK_FUZZ_TOKENS = [
    "\n", "\n", "\n", "\n\n", " ", " ", "\t", "  \n", "\n  ", "x", "word", ".",
    "<p>", "</p>", "<P>", "</P>", "<p class=a>", "<p", "</p", "<br />", "<br />", "<br>",
    "<div>", "</div>", "<div class=\"c\">", "<DIV>", "<blockquote>", "</blockquote>",
    "<BLOCKQUOTE>", "<Blockquote cite=x>", "<blockquote", "<li>", "</li>", "<li", "<ul>",
    "</ul>", "<ol>", "</ol>", "<h2>", "</h2>", "<hr>", "<hr />", "<table>", "</td>",
    "<colgroup>", "</colgroup>", "</col>", "<param>", "<pre>", "</pre>", "<PRE>",
    "<script>", "</script>", "<!-- c -->", "<!--", "-->", "<em>", "</em>", "<a href=x>",
    "</a>", "<strong>", "</strong>", "<div <p>", "<div <em>", "<em <div>", ">", "<",
    "&", "&&", "&amp;", "&lt;", "&#039;", "&x;", "\u00e9", "\u00a9",
]


def test_whole_filter_matches_drupal_on_block_tag_soup():
    rng = random.Random(12)
    for _ in range(20000):
        text = "".join(rng.choice(_BLOCK_FUZZ_TOKENS) for _ in range(rng.randint(0, 40)))
        assert filter_autop(text) == drupal_reference_autop(text), text


def test_whole_filter_matches_drupal_without_block_tags():
    """With no block tag of the reader's, the block-tag steps are skipped:
    only our own <p>/</p> (and any-case <BLOCKQUOTE>) remain to meet them."""
    tokens = ["\n", "\n", "\n\n", "\n\n\n", " ", "\t", " \n", "\n ", "x", "<em>", "</em>",
              "<a href=x>", "</a>", "<", ">", "/", "<P>", "</P>", "<BLOCKQUOTE>",
              "</BLOCKQUOTE>", "<Blockquote c>", "<br />", "<br>", "<BR />", "&", "&amp;",
              "<!-- c -->", "<span>", "<P><BLOCKQUOTE>", "</BLOCKQUOTE></P>", "<Li>", "<b>"]
    rng = random.Random(16)
    for _ in range(20000):
        text = "".join(rng.choice(tokens) for _ in range(rng.randint(0, 30)))
        assert filter_autop(text) == drupal_reference_autop(text), text


def test_whole_filter_matches_drupal_on_paragraphs_with_markup():
    """Realistic shapes: sentences with inline tags, lines and paragraphs,
    occasionally a block element or stray white space at a line end."""
    rng = random.Random(13)
    inline = ["<em>w</em>", "<strong>w</strong>", '<a href="u" rel="nofollow">u</a>',
              "&amp;", "&lt;3", "AT&T", "w."]
    blocks = ["<blockquote>", "</blockquote>", "<ul><li>", "</li><li>", "</li></ul>",
              "<p>", "</p>", "<div>", "</div>", "<br />", "<h3>t</h3>", "<pre>a\n\nb</pre>"]
    separators = ["\n", "\n\n", "\n\n\n", " \n", "\n ", "\t\n\n", "<br />\n"]
    for _ in range(5000):
        parts = []
        for _ in range(rng.randint(1, 12)):
            words = [rng.choice(inline) if rng.random() < 0.3 else "w"
                     for _ in range(rng.randint(1, 6))]
            parts.append(" ".join(words))
            roll = rng.random()
            if roll < 0.2:
                parts.append(rng.choice(blocks))
            parts.append(rng.choice(separators) if roll < 0.8 else " ")
        text = "".join(parts)
        assert filter_autop(text) == drupal_reference_autop(text), text


def _quoted_paragraph_texts(seed: int, count: int) -> list[str]:
    """Texts of paragraphs and lines with lower-case quote tags on their own
    lines - the shape the quoted-paragraph path takes - and, one time in
    twenty, a near miss at a tag: three newlines, white space next to a tag or
    a newline, a tag glued to text or to another tag, an attribute, upper
    case, another block tag or <br />.  Bare ampersands, inline tags, empty
    quotes, quotes at the very start or end and white space at the text's
    ends come in everywhere."""
    rng = random.Random(seed)
    words = ["w", "word.", "<em>e</em>", '<a href="u">u</a>', "&amp;", "AT&T", "&", ">",
             "\u00e9", "x&#1;"]
    line_breaks = ["\n", "\n\n"]
    misses = ["\n\n\n", " \n", "\n ", "", " ", "\t\n", "\n\n\n\n", "<br />\n"]
    rare_tags = ["<blockquote cite=x>", "<BLOCKQUOTE>", "<blockquote", "</blockquote >",
                 "<p>", "</p>", "<br />", "<div>", "<li>", "<blockquote>", "</blockquote>"]

    def near(choices):
        return rng.choice(misses) if rng.random() < 0.05 else rng.choice(choices)

    texts = []
    for _ in range(count):
        parts = [rng.choice(["", "", "", "\n", "\n\n", " ", " \n\n", "\n \n", "\t\n\n\n", "\n\n\n"])]
        if rng.random() < 0.3:
            parts += ["<blockquote>", near([""])]
        for _ in range(rng.randint(1, 8)):
            parts.append(" ".join(rng.choice(words) for _ in range(rng.randint(1, 4))))
            roll = rng.random()
            if roll < 0.3:
                parts += [near(line_breaks), "<blockquote>", near([""])]
            elif roll < 0.55:
                parts += [near([""]), "</blockquote>", near(line_breaks)]
            elif roll < 0.58:
                parts += [rng.choice(rare_tags), near(line_breaks)]
            else:
                parts.append(rng.choice(line_breaks + [" "]))
        if rng.random() < 0.3:
            parts.append("</blockquote>")
        parts.append(rng.choice(["", "", "\n", "\n\n\n", " ", "\n \n"]))
        texts.append("".join(parts))
    return texts


def test_quoted_paragraphs_match_drupal():
    """The path for texts whose only block tags are quotes on their own lines
    builds the blockquote pieces directly; where it takes a text, its output
    must be Drupal's, and it must take a good share of these texts (or the
    test would check nothing)."""
    taken = simple = 0
    texts = _quoted_paragraph_texts(seed=41, count=12000)
    for text in texts:
        text = normalize_text(text)
        pieces = autop_module._SPLIT_AT_MARKUP.split(text)
        expected = drupal_reference_autop(text)
        assert filter_autop(text) == expected, text
        if len(pieces) > 1 and set(pieces[1::2]) <= autop_shortcuts._BLOCKQUOTE_MARKS:
            quoted = autop_shortcuts._autop_quoted_paragraphs(text, pieces)
            if quoted is not None:
                taken += 1
                simple += autop_shortcuts._has_simple_line_breaks(text, len(text.rstrip("\n")))
                assert quoted == expected, text
    # Both ways through: the texts' line breaks simple, or not.
    assert taken > len(texts) // 8
    assert len(texts) // 40 < simple < taken - len(texts) // 40


def test_quoted_paragraphs_fixed_cases():
    """Each shape the quoted-paragraph path takes, and a few it must refuse."""
    cases = {
        "<blockquote>q</blockquote>": "<blockquote><p>q</p></blockquote>\n",
        "<blockquote>q</blockquote>\nb": "<blockquote><p>q</p></blockquote>\n<p>b</p>\n",
        "a\n<blockquote>q\nr</blockquote>\n\nb &":
            "<p>a</p>\n<blockquote><p>q<br />\nr</p></blockquote>\n<p>b &amp;</p>\n",
        "a\n\n<blockquote>q\n\nr</blockquote>":
            "<p>a</p>\n<blockquote><p>q</p>\n<p>r</p></blockquote>\n",
        "<blockquote>a\n<blockquote>b</blockquote>\nc</blockquote>\n\n\n":
            "<blockquote><p>a</p>\n<blockquote><p>b</p></blockquote>\n<p>c</p></blockquote>\n",
    }
    for text, expected in cases.items():
        assert drupal_reference_autop(text) == expected, text
        assert autop_shortcuts._autop_quoted_paragraphs(
            text, autop_module._SPLIT_AT_MARKUP.split(text)) == expected, text
        assert filter_autop(text) == expected, text
    refused = ["<blockquote></blockquote>", "a<blockquote>q</blockquote>",
               "a\n\n\n<blockquote>q", "<blockquote> q</blockquote>",
               "<blockquote>q </blockquote>", "<blockquote>q</blockquote> b",
               "<blockquote>q</blockquote>\n<blockquote>r</blockquote>",
               "<blockquote>q</blockquote>\n\n\nb", "a \n<blockquote>q",
               "\n<blockquote>q", "<blockquote>", "<blockquote x>q</blockquote>"]
    for text in refused:
        assert autop_shortcuts._autop_quoted_paragraphs(
            text, autop_module._SPLIT_AT_MARKUP.split(text)) is None, text
        assert filter_autop(text) == drupal_reference_autop(text), text


def test_simple_line_breaks_match_drupal():
    """Text without block tags whose newlines are single or paired, with no
    white space before them, gets its paragraphs and <br /> from two literal
    replacements.  Texts of that shape and near misses (three newlines, white
    space before or after a newline, a newline or white space at either end,
    a <br /> or a block tag) must all give Drupal's output, and the shape
    must be recognised often enough for the test to mean something."""
    rng = random.Random(43)
    words = ["w", "word.", "<em>e</em>", '<a href="u">u</a>', "&amp;", "AT&T", "&", ">",
             "\u00e9", "x&#1;", "<", "/p>"]
    breaks = ["\n", "\n\n", " "]
    misses = ["\n\n\n", " \n", "\n ", "\t\n", "\n\t\n", "\n\n\n\n", "<br />\n", "\n<p>",
              "</div>\n", "\n\r\n", "</p", "\n\n<p>\n"]
    simple = 0
    for _ in range(8000):
        parts = [rng.choice(["", "", "", "", "\n", " ", "\n\n", "\n\n\n"])]
        for _ in range(rng.randint(1, 10)):
            parts.append(" ".join(rng.choice(words) for _ in range(rng.randint(1, 4))))
            parts.append(rng.choice(misses) if rng.random() < 0.03 else rng.choice(breaks))
        parts[-1] = rng.choice(["", "", "", "", "\n", " ", "\n ", "\n\n", " \n\n"])
        text = "".join(parts)
        body = normalize_text(text).rstrip("\n")
        if "<" not in body or len(autop_module._SPLIT_AT_MARKUP.split(body)) == 1:
            simple += autop_shortcuts._has_simple_line_breaks(body, len(body))
        assert filter_autop(text) == drupal_reference_autop(text), text
    assert 8000 // 4 < simple < 8000 - 8000 // 8


def test_one_line_without_block_tags_matches_drupal():
    """One line (trailing newlines aside) with no markup the scan reports is
    one paragraph, or nothing if it is only white space."""
    tokens = [" ", " ", "\t", "w", "word.", "<em>e</em>", '<a href="u">u</a>', "&", "&amp;",
              "AT&T", "<", ">", "\u00e9", "&#1;", "<span>", "</b>"]
    rng = random.Random(44)
    for _ in range(6000):
        text = "".join(rng.choice(tokens) for _ in range(rng.randint(0, 12)))
        text += rng.choice(["", "", "\n", "\n\n\n"])
        assert filter_autop(text) == drupal_reference_autop(text), text


def test_one_line_chunks_match_drupal():
    """A chunk with no newline left after trimming skips the paragraph pass;
    block tags, <br />, list items, blockquotes and raw sections on one line
    (and trailing newlines, which the trim removes) must still give Drupal's
    output."""
    tokens = [t for t in _BLOCK_FUZZ_TOKENS if "\n" not in t] + ["  ", "\t"]
    rng = random.Random(31)
    for _ in range(15000):
        text = "".join(rng.choice(tokens) for _ in range(rng.randint(0, 25)))
        text += rng.choice(["", "", "\n", "\n\n", " \n", "\n\n\n"])
        assert filter_autop(text) == drupal_reference_autop(text), text


def test_chunk_plans_cached_per_mark_set_match_drupal():
    """The steps chosen from a chunk's marks are cached per set of marks.
    Many distinct sets (more than the cache holds, so it is cleared midway),
    each met twice and in different orders, must give Drupal's output every
    time, from a fresh plan or a cached one."""
    tags = ["<%s>" % name for name in autop_module.BLOCK_TAG_NAMES]
    tags += ["</%s>" % name for name in autop_module.BLOCK_TAG_NAMES]
    tags += ["<br />", "<P>", "<BLOCKQUOTE>", "<Blockquote x>", "<li", "<pre>", "<!-- c -->"]
    rng = random.Random(32)
    texts = []
    for _ in range(700):
        chosen = rng.sample(tags, rng.randint(1, 5))
        separators = ["\n", "\n\n", " ", "w ", "\nw\n"]
        texts.append("w" + "".join(tag + rng.choice(separators) for tag in chosen))
    autop_module._chunk_plans.clear()
    distinct = set()
    for text in texts + texts[::-1]:
        distinct.add(frozenset(autop_module._MARKUP_OF_INTEREST.findall(text)))
        assert filter_autop(text) == drupal_reference_autop(text), text
    assert len(distinct) > 256  # the cache was cleared at least once
    assert len(autop_module._chunk_plans) <= 256


def test_whole_filter_matches_drupal_on_bench_corpus():
    """What the filter really sees: the bench corpus after filter_html and
    filter_url (filtered_html) and after filter_html_escape (plain_text)."""
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    from corpus import make_corpus
    from moderation.formats import filter_html, filter_html_escape, filter_url

    corpus = make_corpus(n_short=100, n_medium=60, n_long=4)
    for text in corpus["short"] + corpus["medium"] + corpus["long"]:
        for prepared in (filter_url(filter_html(text), rel="nofollow ugc"),
                         filter_url(filter_html_escape(text)), text):
            assert filter_autop(prepared) == drupal_reference_autop(prepared), prepared


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(_FUZZ_TOKENS), max_size=40).map("".join))
def test_whole_filter_matches_drupal_hypothesis_tokens(text):
    assert filter_autop(text) == drupal_reference_autop(text)


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet=" \t\n\r<>/!-&#;pdivbrlqueotsc\u00e9\u00a0", max_size=60))
def test_whole_filter_matches_drupal_hypothesis_chars(text):
    assert filter_autop(text) == drupal_reference_autop(text)


# --------------------------------------------------------------------------
# Linear time on hostile input.
# --------------------------------------------------------------------------
def _repeat(unit: str, size: int) -> str:
    return unit * max(1, size // len(unit))


HOSTILE_INPUTS = {
    "64K spaces between two letters": lambda n: "a" + " " * n + "b",
    "spaces after a newline": lambda n: "a\n" + " " * n + "b",
    "spaces before a newline": lambda n: "a" + " " * n + "\nb",
    "spaces after <br />": lambda n: "a<br />" + " " * n + "b",
    "newline-space-newline": lambda n: _repeat("\n \n", n),
    "space-newline": lambda n: _repeat(" \n", n),
    "lines ending in spaces": lambda n: _repeat("w  \n", n),
    "one line ending in many spaces": lambda n: "a" + " " * n + "\nb\nc",
    "newlines": lambda n: "a" + "\n" * n + "b",
    "<div without >": lambda n: _repeat("<div", n),
    "<div... then one >": lambda n: _repeat("<div", n) + ">",
    "</div without >": lambda n: _repeat("</div", n),
    "<p><div without >": lambda n: _repeat("<p><div", n),
    "<pre> unclosed": lambda n: _repeat("<pre>", n),
    "<pre without >": lambda n: _repeat("<pre", n),
    "<!-- without -->": lambda n: _repeat("<!--", n),
    "<!-- on many lines": lambda n: _repeat("<!--\n", n) + "-->",
    "<!-- > without -->": lambda n: _repeat("<!-- >", n),
    "nested <blockquote>": lambda n: _repeat("<blockquote>", n),
    "<p><blockquote without >": lambda n: _repeat("<p><blockquote", n),
    "<p><li without </p>": lambda n: _repeat("<p><li", n),
    "<li> lines": lambda n: _repeat("<li>x\n", n),
    "ampersands": lambda n: "&" * n,
    "entity-like ampersands": lambda n: _repeat("&abcdefg", n),
    "<br /> run": lambda n: _repeat("<br />", n),
    "<br /> and spaces": lambda n: _repeat("<br />  \n", n),
    "<p> and white space": lambda n: _repeat("<p> \n ", n),
    "inline tag then </p>": lambda n: _repeat("<em>\n</p>", n),
    "<div <em ... >": lambda n: _repeat("<div <em ", n) + ">",
    "quotes on their own lines": lambda n: _repeat("<blockquote>q\n\nr</blockquote>\nw\n", n),
    "quotes, lines ending in a space": lambda n: _repeat("w \nw\n<blockquote>q</blockquote>\n", n),
    "quotes, last one glued": lambda n: _repeat("w\n<blockquote>q</blockquote>\n", n) + "<blockquote>",
}


@pytest.mark.complexity
@pytest.mark.parametrize("name", list(HOSTILE_INPUTS))
def test_hostile_input_is_linear(name):
    """time(8n)/time(n) stays near 8 (quadratic would be ~64); 64 KB is fast."""
    make = HOSTILE_INPUTS[name]
    small, large = make(8 * 1024), make(64 * 1024)
    single = best_time(filter_autop, small, runs=1)
    calls = max(1, int(0.005 / max(single, 1e-6)))  # >= ~5 ms per timing: less noise
    ratio = best_time(filter_autop, large, calls=calls) / best_time(filter_autop, small, calls=calls)
    assert ratio < 24, f"{name}: time(64K)/time(8K) = {ratio:.1f}"
    started = time.perf_counter()
    filter_autop(large)
    assert time.perf_counter() - started < 0.5, name
