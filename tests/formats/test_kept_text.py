"""Removed tags keep their text whatever their name (kept_text.py), with both engines.

ammonia (nh3) drops elements named like SVG/MathML elements together with their
text, everything inside <svg>/<math> and a <template>'s content; the spec keeps
the text of removed tags.
"""
import pytest
from hypothesis import given, settings, strategies as st

from moderation.formats import filter_html, render
from moderation.formats.guard_text_proof import SIMPLE_ELEMENTS
from moderation.formats.kept_text import (
    CANDIDATE_NAMES, keep_text_of_removed_tags, names_dropped_with_content, renamed_names)

if __package__:
    from .oracle import assert_safe
else:
    from oracle import assert_safe

ENGINES = ("nh3", "bleach")
RENAMED = sorted(names_dropped_with_content() | {"svg", "math", "template"})


@pytest.fixture(params=ENGINES)
def engine(request):
    return request.param


def test_nh3_is_asked_which_names_lose_their_text():
    dropped = names_dropped_with_content()
    assert {"set", "list", "filter", "text", "g", "mi", "mtext", "none", "true"} <= dropped
    # Names HTML also has, which ammonia keeps like any element; and <image>,
    # which the parser turns into <img>.
    assert not dropped & {"a", "script", "style", "title", "font", "span", "image"}
    assert dropped <= CANDIDATE_NAMES


def test_no_name_of_the_simple_shape_is_renamed():
    """html_filter skips the renaming for texts in the report's simple shape, whose
    tags are all SIMPLE_ELEMENTS: sound only while none of those is renamed."""
    assert not names_dropped_with_content() & SIMPLE_ELEMENTS
    assert not renamed_names(frozenset()) & SIMPLE_ELEMENTS


@pytest.mark.parametrize("name", RENAMED)
def test_every_such_tag_keeps_its_text(engine, name):
    for written in (name, name.upper()):
        source = f"before <{written} class=x>kept</{written}> after"
        html = render(source, engine=engine).html
        assert html == "<p>before kept after</p>\n", (source, html)
        assert filter_html(source, engine=engine) == "before kept after"


def test_a_readers_pseudo_tags_no_longer_swallow_the_comment(engine):
    text = "Use the <filter> option and <list> view, then press <set>.\n\nNext paragraph."
    rendered = render(text, engine=engine)
    assert rendered.html == ("<p>Use the  option and  view, then press .</p>\n"
                             "<p>Next paragraph.</p>\n")
    # The report names the tags as the reader wrote them.
    assert dict(rendered.report.removed_tags) == {"filter": 1, "list": 1, "set": 1}
    assert not rendered.report.active_content_removed


@pytest.mark.parametrize("source, text", [
    ("<svg><text x=1>hi</text><g><desc>there</desc></g></svg>", "hithere"),
    ("<math><mi>x</mi><mo>+</mo><mn>1</mn></math>", "x+1"),
    ("<template>in a <em>template</em></template>", "in a <em>template</em>"),
    ("<SVG><G>shouting</G></SVG>", "shouting"),
    ("<svg/onload=alert(1)>z", "z"),
])
def test_foreign_content_and_templates_keep_their_text(engine, source, text):
    rendered = render(source, engine=engine)
    assert rendered.html == f"<p>{text}</p>\n"
    assert rendered.report.active_content_removed  # svg, math, template are active tags


def test_allowed_names_are_left_to_the_engine():
    assert "set" not in renamed_names(frozenset({"set", "em"}))
    assert keep_text_of_removed_tags("<set>x</set>", frozenset({"set"})) == "<set>x</set>"


@pytest.mark.parametrize("text, expected", [
    ("<set>x</SET >", "<set\x01>x</SET\x01 >"),
    ("<set/>", "<set\x01/>"),
    ("<settings>x</settings>", "<settings>x</settings>"),  # another name
    ("< set>", "< set>"),                                    # text, not a tag
    ("a <set", "a <set\x01"),                               # cut off: dropped either way
    ("no tags at all", "no tags at all"),
])
def test_renaming_follows_the_tokenizer(text, expected):
    assert keep_text_of_removed_tags(text, frozenset()) == expected


@pytest.mark.parametrize("source, expected", [
    # The same letters where they are no tag come out as the reader wrote them.
    ('<svg></svg><a href="http://example.com/?q=<set>" title="<text> here">x</a>',
     '<a href="http://example.com/?q=&lt;set&gt;" title="&lt;text&gt; here">x</a>'),
    ("<svg></svg>a &lt;set&gt; b", "a &lt;set&gt; b"),
])
def test_no_mark_reaches_the_output(engine, source, expected):
    assert filter_html(source, "<a href title>", engine=engine) == expected


def test_raw_text_shows_the_letters_as_written():
    # nh3 keeps a textarea's content as text (bleach reads it as markup and drops it).
    assert filter_html("<svg></svg><textarea>a <svg> b</textarea>",
                       engine="nh3") == "a &lt;svg&gt; b"


PIECES = st.sampled_from([
    "<svg>", "</svg>", "<SVG ", "<math>", "</math>", "<template>", "</template>", "<set>",
    "</set>", "<text>", "<mi>", "<list/>", "<settings>", "<textarea>", "</textarea>",
    "<script>", "</script>", "<style>", "</style>", '<a href="', '" title="', '">', "</a>",
    "<em>", "</em>", "<!--", "-->", "&lt;set&gt;", "<", ">", '"', "x", " ", "\n",
    "<p>", "<img src=x onerror=alert(1)>", "<![CDATA[", "]]>",
])


@given(st.lists(PIECES, max_size=30))
@settings(max_examples=400, deadline=None, derandomize=True)
def test_renamed_texts_stay_safe_and_unmarked(pieces):
    source = "".join(pieces)
    for engine in ENGINES:
        assert "\x01" not in filter_html(source, "<a href title> <em>", engine=engine)
        rendered = render(source, engine=engine)
        assert "\x01" not in rendered.html
        assert_safe(rendered.html, context=source)
        assert not rendered.report.guard_acted, source
