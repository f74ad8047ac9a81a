"""The output guard: a no-op on correct pipelines, and it acts on broken ones.

"Broken pipelines" are the real filters of a format with a deliberately bad filter
appended after them (the WordPress autop-after-KSES mistake), then the guard.
"""
import dataclasses
import importlib.util
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moderation.formats import filter_autop, filter_html, filter_html_escape, filter_url, render
from moderation.formats import pipeline
from moderation.formats.guard import GuardCounters, guard_html, output_allowlist, parse_fragment
from moderation.formats.guard_text_proof import is_canonical_and_allowed
from moderation.formats.html_filter import parse_allowed_html
from moderation.formats import registry
from moderation.formats.registry import get_format
from moderation.formats.report import RenderReport

if __package__:
    from .oracle import POLICIES, violations
else:
    from oracle import POLICIES, violations

ROOT = Path(__file__).resolve().parents[2]
CI_SETTINGS = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                       suppress_health_check=[HealthCheck.too_slow])
ENGINES = ("nh3", "bleach")
FORMATS = ("filtered_html", "plain_text")


def _bench_corpus() -> list[str]:
    spec = importlib.util.spec_from_file_location("bench_corpus", ROOT / "bench" / "corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    corpus = module.make_corpus()
    return corpus["short"] + corpus["medium"] + corpus["long"]


def _acceptance_inputs() -> list[str]:
    cases = json.loads((ROOT / "tests" / "data" / "drupal_filters_public.json").read_text("utf-8"))
    return [case["input"] for case in cases]


def allowlist_of(format_id: str):
    return pipeline._plan(get_format(format_id))[1]


# --- no-op on correct pipelines -------------------------------------------------------

@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("format_id", FORMATS)
@pytest.mark.parametrize("corpus_name, texts", [
    ("bench", _bench_corpus()), ("acceptance", _acceptance_inputs())])
def test_guard_never_acts_on_our_pipelines(engine, format_id, corpus_name, texts):
    parsed_before = GuardCounters.parsed
    acted = [text[:120] for text in texts
             if render(text, format_id, engine=engine).report.guard_acted]
    assert acted == []
    # Our canonical output is proven clean from its text: no Lexbor parse at all.
    assert GuardCounters.parsed == parsed_before


def test_guard_returns_the_very_same_string_when_clean():
    html = render("Some <em>text</em> and www.example.com\n\nmore").html
    assert guard_html(html, allowlist_of("filtered_html")) is html


def test_text_without_tags_is_not_parsed():
    report = RenderReport()
    assert guard_html("just &amp; text", allowlist_of("plain_text"), report) == "just &amp; text"
    assert not report.guard_acted


# --- acts on broken pipelines ---------------------------------------------------------

INJECTIONS = {
    "img onerror": ("<img src=x onerror=alert(1)>", {"tag:img"}),
    "javascript link": ('<a href="javascript:alert(1)">click</a>', {"url:javascript"}),
    "entity-encoded javascript link": ('<a href="jav&#x61;script:alert(1)">x</a>', {"url:javascript"}),
    "script": ("<script>alert(1)</script>", {"tag:script"}),
    "comment": ("<!-- hidden -->", {"comment"}),
    "processing instruction": ("<?php echo 1 ?>", {"processing_instruction"}),
    "event handler on an allowed tag": ('<a href="/x" onmouseover="alert(1)">x</a>', {"attr:onmouseover"}),
    "style on an allowed tag": ('<p style="position:fixed">x</p>', {"attr:style"}),
    "svg": ('<svg><a href="x"><text>t</text></a></svg>', {"tag:svg"}),
}


def broken_pipeline(text: str, format_id: str, injection: str, engine: str = "nh3") -> str:
    """The format's real filters, then a bad filter that appends ``injection``."""
    if format_id == "filtered_html":
        text = filter_html(text, engine=engine)
    else:
        text = filter_html_escape(text)
    text = filter_autop(filter_url(text, 72, rel="nofollow ugc"))
    return text + injection


@pytest.mark.parametrize("format_id", FORMATS)
@pytest.mark.parametrize("name", sorted(INJECTIONS))
def test_guard_removes_what_a_broken_filter_injects(format_id, name):
    injection, expected_keys = INJECTIONS[name]
    broken = broken_pipeline("Hello <em>world</em>, see www.example.com", format_id, injection)
    assert violations(broken, POLICIES[format_id])  # the broken pipeline really is unsafe

    report = RenderReport()
    guarded = guard_html(broken, allowlist_of(format_id), report)

    assert violations(guarded, POLICIES[format_id]) == []
    assert report.guard_acted
    assert expected_keys <= set(report.guard_removed)
    assert "world" in guarded and "www.example.com" in guarded  # the good part survives


def test_guard_keeps_text_of_unwrapped_elements_and_drops_script_bodies():
    report = RenderReport()
    guarded = guard_html("<p><b>bold</b> <span>kept</span><script>gone()</script></p>",
                         allowlist_of("filtered_html"), report)
    assert guarded == "<p>bold kept</p>"
    assert report.guard_removed == {"tag:b": 1, "tag:span": 1, "tag:script": 1}


def test_guard_checks_link_schemes_and_keeps_good_links():
    report = RenderReport()
    guarded = guard_html('<p><a href="https://ok.example/" rel="nofollow ugc">ok</a> '
                         '<a href=" java\tscript:x" rel="x">bad</a> <a href="/rel" title="t">r</a></p>',
                         allowlist_of("filtered_html"), report)
    assert guarded == ('<p><a href="https://ok.example/" rel="nofollow ugc">ok</a> '
                       '<a rel="x">bad</a> <a href="/rel">r</a></p>')
    assert report.guard_removed == {"url:javascript": 1, "attr:title": 1}


def test_render_runs_the_guard_after_the_last_filter(monkeypatch):
    real_autop = registry.FILTERS["filter_autop"]

    def autop_that_injects(text, settings, engine, report):
        return real_autop.run(text, settings, engine, report) + '<img src=x onerror="alert(1)">'

    monkeypatch.setitem(registry.FILTERS, "filter_autop", dataclasses.replace(real_autop, run=autop_that_injects))
    pipeline._plans.clear()
    try:
        rendered = render("hello", "filtered_html")
    finally:
        pipeline._plans.clear()
    assert rendered.html == "<p>hello</p>\n"
    assert rendered.report.guard_acted
    assert rendered.report.guard_removed == {"tag:img": 1}
    assert rendered.report.active_content_removed


# --- the allowlist ------------------------------------------------------------------------

def test_output_allowlists_of_the_default_formats():
    assert dict(allowlist_of("filtered_html").elements) == {
        "em": frozenset(), "strong": frozenset(), "blockquote": frozenset(), "br": frozenset(),
        "p": frozenset(), "a": frozenset({"href", "rel"})}
    assert dict(allowlist_of("plain_text").elements) == {
        "p": frozenset(), "br": frozenset(), "a": frozenset({"href", "rel"})}


def test_allowlist_without_autolinking_has_no_links():
    allowlist = output_allowlist(parse_allowed_html("<em>"), autolinks=False)
    report = RenderReport()
    assert guard_html('<p><a href="http://x.example/">x</a></p>', allowlist, report) == "<p>x</p>"
    assert report.guard_removed == {"tag:a": 1}


def test_allowlist_keeps_user_allowed_attributes_and_nofollow_rel():
    allowlist = output_allowlist(parse_allowed_html("<a href hreflang> <blockquote cite>", nofollow=True),
                                 autolinks=False)
    html = ('<a href="/x" hreflang="en" rel="nofollow">x</a>'
            '<blockquote cite="https://example.com/">q</blockquote>')
    assert guard_html(html, allowlist) is html


def test_fragment_parser_is_reused_then_recycled(monkeypatch):
    from moderation.formats import guard

    assert parse_fragment("<p>a</p>").inner_html == "<p>a</p>"
    document = guard._local.state[0]
    assert parse_fragment("<em>b</em>").inner_html == "<em>b</em>"
    assert guard._local.state[0] is document  # same Lexbor document, refilled

    monkeypatch.setattr(guard, "_RECYCLE_AFTER_BYTES", 10)
    parse_fragment("x" * 20)
    assert parse_fragment("<em>c</em>").inner_html == "<em>c</em>"
    assert guard._local.state[0] is not document  # replaced once past the limit



# --- the fast path: proof from the text, or the full check -------------------------------

def _lexbor_says_clean(html: str, allowlist) -> bool:
    from moderation.formats import guard

    return guard._is_clean(parse_fragment(html), allowlist)


CANONICAL_OUTPUTS = [
    "<p>plain &amp; simple &lt;3 &nbsp; 5 > 4 \"quoted\"</p>\n",
    "<p>a<br />\nb<br>c</p>\n<blockquote><p><em>x</em> <strong>y</strong></p></blockquote>\n",
    '<p><a href="https://example.com/?a=1&amp;b=2&#039;" rel="nofollow ugc">x</a></p>\n',
    '<p><a href="HTTP://EXAMPLE.COM" rel="nofollow ugc">X</a> <a href="mailto:a@b.co">m</a></p>',
    '<a href="/relative/path?x#y">r</a><a href="">empty</a><a>bare</a></p>',
    "</p></em><em><p>misnested</em></p>",  # the tree builder fixes it up: still only p and em
    "text only > with a bracket",
]


@pytest.mark.parametrize("html", CANONICAL_OUTPUTS)
def test_canonical_output_is_accepted_without_a_parse(html):
    allowlist = allowlist_of("filtered_html")
    assert is_canonical_and_allowed(html, allowlist)
    assert _lexbor_says_clean(html, allowlist)  # the proof agrees with the full check
    parsed_before = GuardCounters.parsed
    assert guard_html(html, allowlist) is html
    assert GuardCounters.parsed == parsed_before


# Made to slip past a naive scan: each must be refused by the fast path, and then the
# full check decides (it acts exactly on those that really break the allowlist).
NEAR_MISSES = {
    "'>' inside a value": '<a href="https://x.example/a>b" rel="nofollow">x</a>',
    "a tag hidden in a value":
        '<a href="https://x.example/" rel="a><img src=x onerror=alert(1)>">x</a>',
    "unquoted javascript link": "<a href=javascript:alert(1)>x</a>",
    "single-quoted javascript link": "<a href='javascript:alert(1)'>x</a>",
    "upper-case tag and attribute": '<A HREF="javascript:alert(1)">x</A>',
    "upper-case allowed tags": "<P><EM>x</EM></P>",
    "slash before an event handler": "<p/onclick=alert(1)>x</p>",
    "br/": "<p>a<br/>b</p>",
    "br/ with a handler": "<p>a<br/onclick=alert(1)>b</p>",
    "br with a handler, self-closed": "<p>a<br onclick=alert(1) />b</p>",
    "end tag with an attribute": "<p>x</p foo>",
    "end tag with a handler": '</p onclick="alert(1)">',
    "NUL inside a tag name": "<p>x</p><scr\x00ipt>alert(1)</script>",
    "NUL inside a scheme": '<a href="java\x00script:alert(1)">x</a>',
    "CR inside a scheme": '<a href="java\rscript:alert(1)">x</a>',
    "comment": "<p>x</p><!-- hidden -->",
    "comment that hides a tag": "<p>x<!--><img src=x onerror=alert(1)>--></p>",
    "doctype": "<!DOCTYPE html><p>x</p>",
    "CDATA": "<p><![CDATA[<img src=x onerror=alert(1)>]]></p>",
    "processing instruction": "<?xml version='1'?><p>x</p>",
    "svg": "<p><svg><p>x</p><style><img src=x onerror=alert(1)></style></svg></p>",
    "math": "<math><mtext><p>x</p></mtext></math>",
    "entity-encoded javascript": '<a href="jav&#x61;script:alert(1)">x</a>',
    "entity-encoded first letter": '<a href="&#106;avascript:alert(1)">x</a>',
    "entity-encoded colon": '<a href="javascript&colon;alert(1)">x</a>',
    "tab entity inside a scheme": '<a href="java&Tab;script:alert(1)">x</a>',
    "space before the scheme": '<a href=" javascript:alert(1)">x</a>',
    "disallowed scheme": '<a href="data:text/html,x">x</a>',
    "event handler after an allowed one": '<a href="https://x.example/" onclick="alert(1)">x</a>',
    "no space between attributes": '<a href="https://x.example/"onclick="alert(1)">x</a>',
    "two spaces before an attribute": '<a  href="https://x.example/">x</a>',
    "duplicate href, the second unsafe": '<a href="https://x.example/" href="javascript:x">x</a>',
    "stray '<' at the end": "<p>x</p><",
    "'< ' text": "<p>5 < 6</p>",
    "end tag of nothing": "</>",
    "bogus end tag": "</ p>",
    "disallowed simple element": "<p><b>x</b><span>y</span></p>",
    "a name that merely starts like an allowed one": "<emx>x</emx><pre>y</pre>",
    "image becomes img": "<image src=x onerror=alert(1)>",
    "raw text element": "<textarea><p>x</p></textarea>",
    "plaintext": "<plaintext><p>x</p>",
    "table implies tbody": "<table><tr><td>x</td></tr></table>",
    "non-void self-closed": "<em />x",
}


@pytest.mark.parametrize("name", sorted(NEAR_MISSES))
def test_near_misses_are_refused_by_the_fast_path_and_fixed_by_the_full_check(name):
    html = NEAR_MISSES[name]
    allowlist = allowlist_of("filtered_html")
    assert not is_canonical_and_allowed(html, allowlist)

    parsed_before = GuardCounters.parsed
    report = RenderReport()
    guarded = guard_html(html, allowlist, report)
    assert GuardCounters.parsed == parsed_before + 1
    unsafe = bool(violations(html, POLICIES["filtered_html"]))
    assert violations(guarded, POLICIES["filtered_html"]) == []
    if unsafe:
        assert report.guard_acted
    if not report.guard_acted:
        assert guarded is html


def test_fast_path_checks_listed_attribute_values():
    allowlist = output_allowlist(
        parse_allowed_html('<a href llama="majestical epic"> <p>'), autolinks=True)
    good = '<p><a href="https://x.example/" llama="epic  majestical">x</a></p>'
    assert is_canonical_and_allowed(good, allowlist) and guard_html(good, allowlist) is good
    for bad, removed in (('<a llama="epic bad">x</a>', "attr:llama"),
                         ('<a llama="">x</a>', "attr:llama"),
                         ('<a llama="epic&amp;">x</a>', "attr:llama")):
        report = RenderReport()
        assert not is_canonical_and_allowed(bad, allowlist)
        assert guard_html(bad, allowlist, report) == "<a>x</a>"
        assert report.guard_removed == {removed: 1}


def test_fast_path_never_accepts_elements_with_parser_side_effects():
    allowlist = output_allowlist(parse_allowed_html("<table> <tr> <td> <p>"), autolinks=False)
    html = "<table><tr><td>x</td></tr></table>"
    assert not is_canonical_and_allowed(html, allowlist)
    report = RenderReport()
    guard_html(html, allowlist, report)
    assert report.guard_removed == {"tag:tbody": 1}  # implied by the parser, not on the list


def test_fast_path_without_p_allowed_refuses_a_stray_end_p():
    allowlist = output_allowlist(parse_allowed_html("<em>"), autolinks=False)
    allowlist = type(allowlist)(elements=tuple(e for e in allowlist.elements if e[0] != "p"))
    assert is_canonical_and_allowed("<em>x</em>", allowlist)
    assert not is_canonical_and_allowed("x</p>", allowlist)  # would create a <p>
    report = RenderReport()
    assert guard_html("x</p>", allowlist, report) == "x"
    assert report.guard_removed == {"tag:p": 1}


# Property: whenever the fast path accepts, the full Lexbor check agrees. The soup
# is mostly canonical pieces (so the fast path is really exercised) plus near-misses.
_CANONICAL_PIECES = [
    "<p>", "</p>", "<br />", "<br>", "<em>", "</em>", "<strong>", "</strong>",
    "<blockquote>", "</blockquote>", "</a>",
    '<a href="https://x.example/?a=1&amp;b" rel="nofollow ugc">',
    '<a href="/rel">', '<a rel="x">', "text", " ", "\n", "&amp;", "&lt;", ">", '"', "'", "é",
]
_NEAR_MISS_PIECES = [
    "<", "</", "<!--", "-->", "<?", "<P>", "<p >", "<p/>", "<br/>", "</p x>", "<b>", "</b>",
    '<a href="javascript:x">', "<a href=javascript:x>", '<a href="java&#x3a;x">', '<a onclick="x">',
    '<a href="x"onclick="y">', "<svg>", "</svg>", "<math>", "<style>", "<textarea>", "<table>",
    "<tr>", "<td>", "<image>", "<script>", "</script>", "<select>", "<option>", "\x00", "\r",
    '<a href="https://x.example/" title="t">', '<em title="x">',
]


@CI_SETTINGS
@given(st.lists(st.one_of(st.sampled_from(_CANONICAL_PIECES), st.sampled_from(_CANONICAL_PIECES),
                          st.sampled_from(_NEAR_MISS_PIECES), st.text(max_size=3)),
                max_size=30).map("".join))
def test_fast_path_acceptance_implies_the_full_check_agrees(html):
    for format_id in FORMATS:
        allowlist = allowlist_of(format_id)
        if is_canonical_and_allowed(html, allowlist):
            assert _lexbor_says_clean(html, allowlist), html
            assert violations(html, POLICIES[format_id]) == []  # the independent oracle too
            report = RenderReport()
            assert guard_html(html, allowlist, report) is html and not report.guard_acted


def test_fast_path_accepts_soup_made_only_of_canonical_pieces():
    import random

    rng = random.Random(1)
    allowlist = allowlist_of("filtered_html")
    for _ in range(500):
        html = "".join(rng.choice(_CANONICAL_PIECES) for _ in range(rng.randrange(40)))
        assert is_canonical_and_allowed(html, allowlist), html
        assert _lexbor_says_clean(html, allowlist), html
        assert violations(html, POLICIES["filtered_html"]) == [], html


def test_fast_path_only_trusts_protocol_names_url_scheme_can_return():
    # url_scheme lower-cases, so "HTTP" in a list never matches: the full check decides.
    allowlist = output_allowlist(parse_allowed_html("<em>"), autolinks=True,
                                 protocols=("HTTP", "https"))
    report = RenderReport()
    assert not is_canonical_and_allowed('<a href="http://x.example/">x</a>', allowlist)
    assert guard_html('<a href="http://x.example/">x</a>', allowlist, report) == "<a>x</a>"
    assert report.guard_removed == {"url:http": 1}
    upper = '<a href="HTTPS://x.example/">x</a>'
    assert is_canonical_and_allowed(upper, allowlist) and _lexbor_says_clean(upper, allowlist)


def test_fast_path_acceptance_of_mutated_outputs_implies_both_checks_agree():
    """Our real outputs with one to three random edits near markup characters."""
    import random

    rng = random.Random(7)
    allowlist = allowlist_of("filtered_html")
    outputs = [render(text).html for text in _bench_corpus()[::25]]
    pieces = list('<>"\'/= &#:;!?-\n\tapbrsemhjv') + [
        "javascript:", "<a ", "</", "<!--", "&#106;", "<svg>", "<script>", "href=", " on"]
    accepted = 0
    for _ in range(1500):
        html = rng.choice(outputs)
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(html) + 1)
            html = html[:at] + rng.choice(pieces) + html[at + rng.randint(0, 1):]
        if is_canonical_and_allowed(html, allowlist):
            accepted += 1
            assert _lexbor_says_clean(html, allowlist), html
            assert violations(html, POLICIES["filtered_html"]) == [], html
    assert accepted > 300  # not vacuous
