"""The output guard: a no-op on correct pipelines, and it acts on broken ones.

"Broken pipelines" are the real filters of a format with a deliberately bad filter
appended after them (the WordPress autop-after-KSES mistake), then the guard.
"""
import importlib.util
import json
from pathlib import Path

import pytest

from moderation.formats import filter_autop, filter_html, filter_html_escape, filter_url, render
from moderation.formats import pipeline
from moderation.formats.guard import guard_html, output_allowlist, parse_fragment
from moderation.formats.html_filter import parse_allowed_html
from moderation.formats.registry import get_format
from moderation.formats.report import RenderReport

if __package__:
    from .oracle import POLICIES, violations
else:
    from oracle import POLICIES, violations

ROOT = Path(__file__).resolve().parents[2]
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
    acted = [text[:120] for text in texts
             if render(text, format_id, engine=engine).report.guard_acted]
    assert acted == []


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
    real_autop = pipeline.FILTER_RUNNERS["filter_autop"]

    def autop_that_injects(text, settings, engine, report):
        return real_autop(text, settings, engine, report) + '<img src=x onerror="alert(1)">'

    monkeypatch.setitem(pipeline.FILTER_RUNNERS, "filter_autop", autop_that_injects)
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

