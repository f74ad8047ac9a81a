"""The pre-pass that keeps nh3 linear: depth cap and text-run splitting."""
import re

import nh3
import pytest
from hypothesis import given, settings, strategies as st

from moderation.formats.html_prepass import (
    DEFAULT_MAX_DEPTH, _may_exceed, flatten_deep_nesting, split_long_text_runs)

if __package__:
    from .timing import best_time
else:
    from timing import best_time

CLEANER = nh3.Cleaner(tags={"em", "strong", "blockquote", "br", "p"}, attributes={"*": set()},
                      clean_content_tags=set(), link_rel=None)


def depth_of(html: str) -> int:
    """Deepest element nesting in serialized, well-formed sanitizer output."""
    depth = deepest = 0
    for piece in html.split("<")[1:]:
        if piece.startswith("/"):
            depth -= 1
        elif not piece.startswith("br"):
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def test_nesting_beyond_the_cap_is_flattened_and_counted():
    text = "<blockquote>" * 150 + "deep" + "</blockquote>" * 150
    flattened, removed = flatten_deep_nesting(text)
    assert removed == 100  # 50 start tags and their 50 end tags
    assert flattened.count("<blockquote>") == DEFAULT_MAX_DEPTH
    assert flattened.count("</blockquote>") == DEFAULT_MAX_DEPTH
    assert depth_of(CLEANER.clean(flattened)) == DEFAULT_MAX_DEPTH
    assert "deep" in CLEANER.clean(flattened)


def test_unclosed_deep_nesting_is_capped_too():
    flattened, removed = flatten_deep_nesting("<em>" * 5000 + "x")
    assert removed == 4900
    assert depth_of(CLEANER.clean(flattened)) == DEFAULT_MAX_DEPTH


@pytest.mark.parametrize("text", [
    "<p>one<p>two" * 300,                         # each <p> closes the previous one
    "<ul>" + "<li>item" * 500 + "</ul>",          # each <li> closes the previous one
    "<em>x</em> " * 1000,                         # many tags, never deep
    "<br>" * 1000 + "<hr>" * 100,                 # void elements add no depth
    "<em>" * DEFAULT_MAX_DEPTH + "x" + "</em>" * DEFAULT_MAX_DEPTH,  # exactly at the cap
])
def test_texts_within_the_cap_are_left_alone(text):
    assert flatten_deep_nesting(text) == (text, 0)


def test_stray_end_tags_do_not_confuse_the_depth():
    text = "</em>" * 500 + "<em>" * 101 + "x"
    flattened, removed = flatten_deep_nesting(text)
    assert removed == 1
    assert flattened.count("</em>") == 500


@given(st.integers(min_value=101, max_value=400), st.sampled_from(["em", "blockquote", "div", "span"]))
@settings(max_examples=30, deadline=None, derandomize=True)
def test_capped_output_never_nests_deeper_than_the_cap(levels, tag):
    text = f"<{tag}>" * levels + "x" + f"</{tag}>" * levels
    flattened, removed = flatten_deep_nesting(text)
    assert removed == 2 * (levels - DEFAULT_MAX_DEPTH)
    assert flattened.count(f"<{tag}>") == DEFAULT_MAX_DEPTH


# --- text-run splitting: output byte for byte the same -------------------------

FRAGMENTS = st.sampled_from([
    "&", "&amp;", "&amp", "&#38;", "&#x26", "&copy;", "&notanentity;", "\u00a0", "&nbsp;",
    "a", "word ", " ", "\n", "<", ">", "< ", "<em>", "</em>", "<p>", "</p>", "<br>", "<br/>",
    "<strong>", "</strong>", "<b>", "<img src=x>", "<a href=x>", "</a>", "<p class=x>",
    "=", "/", "5 < 6 & 7 > 3", "AT&T", "&lt;", "&#", "&#x", "é", "\u2026",
    # letters that case-fold to ASCII ones: "</" before them opens a bogus comment
    "\u017f", "\u212a", "</",
])


@given(st.lists(FRAGMENTS, min_size=200, max_size=900))
@settings(max_examples=150, deadline=None, derandomize=True)
def test_splitting_never_changes_what_nh3_outputs(fragments):
    text = "".join(fragments) + "&" * 70  # long enough, enough escapes
    assert CLEANER.clean(split_long_text_runs(text, every=64)) == CLEANER.clean(text)


@pytest.mark.parametrize("text", [
    "&" * 4096,
    "\u00a0" * 4096,
    ("AT&T said 5 < 6 & 7 > 3 " * 200),
    ("<p>" + "x&y " * 1000 + "</p>") * 2,
    "<em>" + "&" * 3000 + "</em>" + "&amp;" * 500,
])
def test_splitting_inserts_comments_and_keeps_the_output(text):
    split = split_long_text_runs(text)
    assert split.count("<!---->") >= len(text) // 1024
    assert CLEANER.clean(split) == CLEANER.clean(text)


@pytest.mark.parametrize("text", [
    '<p title="' + "&" * 4000 + '">x</p>',          # quotes in a tag: ">" may be a value
    "<!--" + "&" * 4000 + "-->",                     # a comment
    "<script>" + "&" * 4000 + "</script>",           # raw text
    "<textarea>" + "&" * 4000 + "</textarea>",       # escapable raw text
    "<svg>" + "&" * 4000 + "</svg>",                 # foreign content
    "</ x>" + "&" * 4000,                            # a bogus comment
    "</\u017f x" + "&" * 4000,                       # one too ("ſ" is no ASCII letter)
    "&" * 40,                                        # too short to matter
])
def test_splitting_leaves_texts_it_cannot_prove_plain(text):
    assert split_long_text_runs(text) == text


def test_no_comment_lands_inside_a_tag():
    text = "<p" + " " * 600 + "&" * 100 + ">" + "&" * 4000
    split = split_long_text_runs(text, every=64)
    assert split.index("<!---->") > text.index(">")
    assert CLEANER.clean(split) == CLEANER.clean(text)


@pytest.mark.complexity
@pytest.mark.parametrize("unit", ["&", "\u00a0", "<blockquote>", "<div>", "<p>a<li>b<dd>c", "&amp;"])
def test_prepass_keeps_nh3_linear(unit):
    def best(text):
        return best_time(lambda t: CLEANER.clean(split_long_text_runs(flatten_deep_nesting(t)[0])),
                         text, runs=3)
    small, large = unit * (8192 // len(unit)), unit * (65536 // len(unit))
    ratio = best(large) / max(best(small), 1e-4)
    assert ratio < 24, f"{unit!r}: 8x input took {ratio:.1f}x as long"


def _depth_bound_tag_by_tag(text: str, max_depth: int) -> bool:
    """The depth gate as plainly written: one step per tag, floored at 0."""
    depth = highest = 0
    for match in re.finditer(r"<(/?)[A-Za-z]", text[:text.rfind(">") + 1]):
        depth = max(depth + (-1 if match.group(1) else 1), 0)
        highest = max(highest, depth)
    return highest > max_depth


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["<a>", "</a>", "<b>", "</b>", "x", "</", "<br>", "</p>"]),
                max_size=700),
       st.sampled_from([1, 3, 10, 40, 100]))
def test_the_blockwise_depth_gate_agrees_with_the_tag_by_tag_one(pieces, max_depth):
    text = "".join(pieces)
    assert _may_exceed(text, max_depth) == _depth_bound_tag_by_tag(text, max_depth)


def test_the_depth_gate_sees_a_deep_run_after_many_balanced_tags():
    text = "<b>x</b>" * 300 + "<i>" * 101 + "y"
    assert _may_exceed(text + ">", 100)
    assert not _may_exceed("<b>x</b>" * 300 + "<i>" * 100 + ">", 100)
