"""render, tips, list_formats and the command line, over the default formats."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from moderation.formats import Rendered, filter_html, render, tips
from moderation.formats.engines import get_engine
from moderation.formats.html_filter import filter_normalized_html, parse_allowed_html
from moderation.formats.normalize import is_normalized, normalize_text
from moderation.formats.pipeline import UnknownFormat, list_formats

ROOT = Path(__file__).resolve().parents[2]
ENGINES = ("nh3", "bleach")

# The help lines of the seed comment form, verbatim and in order.
SEED_FILTERED_HTML_TIPS = [
    "Allowed HTML tags: <em> <strong> <blockquote> <br> <p>",
    "Web page addresses and e-mail addresses turn into links automatically.",
    "Lines and paragraphs break automatically.",
]
SEED_PLAIN_TEXT_TIPS = [
    "No HTML tags allowed.",
    "Web page addresses and e-mail addresses turn into links automatically.",
    "Lines and paragraphs break automatically.",
]


@pytest.fixture(autouse=True)
def default_configuration(monkeypatch):
    monkeypatch.delenv("MODERATION_FORMATS_FILE", raising=False)
    monkeypatch.delenv("MODERATION_SANITIZER", raising=False)


@pytest.fixture(params=ENGINES)
def engine(request):
    return request.param


def test_rendered_is_a_frozen_dataclass_whichever_way_it_is_built():
    import dataclasses

    from moderation.formats.pipeline import _rendered

    fast = render("<em>x</em>")
    assert fast == Rendered(fast.html, fast.report, fast.format_id, fast.format_version)
    assert fast == _rendered(fast.html, fast.report, fast.format_id, fast.format_version)
    assert repr(fast).startswith("Rendered(html='<p><em>x</em></p>\\n', report=RenderReport(")
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.html = "changed"


def test_tips_read_exactly_as_the_seed_form():
    assert tips("filtered_html") == SEED_FILTERED_HTML_TIPS
    assert tips("plain_text") == SEED_PLAIN_TEXT_TIPS


def test_list_formats_for_the_api():
    listed = list_formats()
    assert [(f["id"], f["name"], f["default"]) for f in listed] == [
        ("filtered_html", "Filtered HTML", True), ("plain_text", "Plain text", False)]
    assert listed[0]["tips"] == SEED_FILTERED_HTML_TIPS
    assert listed[1]["tips"] == SEED_PLAIN_TEXT_TIPS
    assert all(len(f["version"]) == 12 for f in listed)


def test_filtered_html_renders_a_comment(engine):
    text = ("Great <em>piece</em> <script>alert(1)</script>\r\n"
            "see https://example.com/a?b=1&c=2 or mail me@example.com\n\n"
            '<blockquote>quoted</blockquote>\n<a href="javascript:alert(1)">x</a>')
    rendered = render(text, "filtered_html", engine=engine)
    assert isinstance(rendered, Rendered)
    assert rendered.html == (
        "<p>Great <em>piece</em> alert(1)<br />\n"
        'see <a href="https://example.com/a?b=1&amp;c=2" rel="nofollow ugc">'
        "https://example.com/a?b=1&amp;c=2</a> or mail "
        '<a href="mailto:me@example.com" rel="nofollow ugc">me@example.com</a></p>\n'
        "<blockquote><p>quoted</p></blockquote>\n"
        "<p>x</p>\n")
    report = rendered.report
    assert report.removed_tags == {"script": 1, "a": 1}
    assert report.unsafe_urls == {"javascript": 1}
    assert report.links_created == 2
    assert not report.guard_acted
    assert report.active_content_removed
    assert (rendered.format_id, len(rendered.format_version)) == ("filtered_html", 12)


def test_plain_text_renders_markup_as_text(engine):
    rendered = render("<em>not emphasis</em> & www.example.com\nnext", "plain_text", engine=engine)
    assert rendered.html == (
        "<p>&lt;em&gt;not emphasis&lt;/em&gt; &amp; "
        '<a href="http://www.example.com" rel="nofollow ugc">www.example.com</a><br />\n'
        "next</p>\n")
    assert rendered.report.removed_tags == {}
    assert not rendered.report.guard_acted


def test_default_format_is_filtered_html():
    assert render("<em>x</em>").html == "<p><em>x</em></p>\n"
    assert render("<em>x</em>").format_id == "filtered_html"


def test_empty_and_blank_comments_render_to_nothing(engine):
    for format_id in ("filtered_html", "plain_text"):
        assert render("", format_id, engine=engine).html == ""
        assert render(" \n\t\n", format_id, engine=engine).html == ""


def test_render_is_deterministic_and_versioned():
    first, second = render("a <b>b</b> http://x.example"), render("a <b>b</b> http://x.example")
    assert first.html == second.html
    assert first.report.to_dict() == second.report.to_dict()
    assert first.format_version == second.format_version
    assert render("x", "plain_text").format_version != first.format_version


def test_unknown_format_is_a_key_error_with_a_clear_message():
    with pytest.raises(UnknownFormat) as error:
        render("x", "full_html")
    assert isinstance(error.value, KeyError)
    assert "unknown text format 'full_html'" in str(error.value)
    with pytest.raises(KeyError):
        tips("full_html")


def test_engine_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("MODERATION_SANITIZER", "bleach")
    assert render("<em>x</em> &copy;").html == "<p><em>x</em> ©</p>\n"
    monkeypatch.setenv("MODERATION_SANITIZER", "unknown-engine")
    with pytest.raises(ValueError, match="unknown sanitizer engine"):
        render("<em>x</em>")


# --- the command line --------------------------------------------------------------------

def run_cli(*args, stdin: str, env_extra: dict | None = None):
    env = {key: value for key, value in os.environ.items()
           if key not in ("MODERATION_FORMATS_FILE", "MODERATION_SANITIZER")}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "moderation.formats", *args],
                          input=stdin.encode("utf-8"), capture_output=True, cwd=ROOT, env=env,
                          timeout=60)


def test_cli_prints_the_rendered_html():
    result = run_cli(stdin="Hello <em>world</em><script>x</script>\n\nhttp://example.com")
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode("utf-8") == (
        "<p>Hello <em>world</em>x</p>\n"
        '<p><a href="http://example.com" rel="nofollow ugc">http://example.com</a></p>\n')
    assert result.stderr == b""


def test_cli_takes_a_format_and_prints_the_report_on_stderr():
    result = run_cli("plain_text", "--report", stdin="<b>x</b>")
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode("utf-8") == "<p>&lt;b&gt;x&lt;/b&gt;</p>\n"
    report = json.loads(result.stderr)
    assert report["format_id"] == "plain_text"
    assert report["guard_acted"] is False
    assert report["removed_tags"] == {}

    result = run_cli("filtered_html", "--report", stdin="<b onclick=x>x</b>")
    assert json.loads(result.stderr)["removed_tags"] == {"b": 1}


def test_cli_unknown_format_exits_2():
    result = run_cli("full_html", stdin="x")
    assert result.returncode == 2
    assert result.stdout == b""
    assert b"unknown text format 'full_html'" in result.stderr


def test_cli_reports_a_broken_formats_file(tmp_path):
    bad = tmp_path / "formats.toml"
    bad.write_text("[[formats]]\nid = 'x'\nname = 'X'\n[[formats.filters]]\nid = 'filter_php'\n")
    result = run_cli(stdin="x", env_extra={"MODERATION_FORMATS_FILE": str(bad)})
    assert result.returncode == 2
    assert b"unknown filter 'filter_php'" in result.stderr


def test_render_is_thread_safe(engine):
    """Both engines and the guard's reused Lexbor document hold per-thread state."""
    from concurrent.futures import ThreadPoolExecutor

    texts = [f"<p>Comment {i} <em>x</em> <script>s()</script> http://example.com/{i}\n\nmore {i}"
             f"{' <b>bold</b>' * (i % 5)}" for i in range(200)]
    expected = [render(text, engine=engine).html for text in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda text: render(text, engine=engine).html, texts * 3))
    assert results == expected * 3


def test_an_unknown_engine_fails_even_for_text_without_markup(monkeypatch):
    monkeypatch.setenv("MODERATION_SANITIZER", "unknown-engine")
    with pytest.raises(ValueError, match="unknown sanitizer engine"):
        render("just words", "plain_text")
    result = run_cli("--engine", "foo", stdin="x")
    assert result.returncode == 2
    assert b"unknown sanitizer engine 'foo'" in result.stderr


# --- normalization before any filter ------------------------------------------------------

def test_normalization_fast_check_agrees_with_the_rule_for_every_code_point():
    """``is_normalized`` (bytes.translate) answers exactly what the rule's regex answers."""
    import re

    from moderation.formats.normalize import is_normalized, normalize_text

    needs_work = re.compile("[\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
    for code_point in [*range(0x3000), *range(0xd700, 0xe100), 0xfeff, 0xfffd, 0x10ffff]:
        character = chr(code_point)
        for text in (character, f"ab{character}cd", f"é{character}", f"{character}\U0001F600"):
            assert is_normalized(text) == (not needs_work.search(text)), hex(code_point)
            assert (normalize_text(text) is text) == is_normalized(text)


def test_render_normalizes_its_input(engine):
    assert render("a\r\nb\x00c\x0bd \ud800", "plain_text", engine=engine).html == (
        "<p>a<br />\nbcd \ufffd</p>\n")


# --- when render may skip normalizing the sanitizer's output ------------------------

_REFERENCE_SOUP = st.lists(st.sampled_from([
    "<", ">", "&", "#", "x", "X", "0", "1", "3", "D", ";", "amp", "Tab", "NewLine", "lt",
    "<b>", "</b>", "<p title='", "<em>", "\xa0", "\n", " ", "<!--", "-->", '"', "=", "é",
    "&#", "&#x", "&#13;", "&#0;", "&#xD800;", "\t"]), max_size=40).map("".join)


@settings(max_examples=500, deadline=None)
@given(_REFERENCE_SOUP)
def test_nh3_output_is_normalized_when_its_input_has_no_numeric_reference(text):
    text = normalize_text(text)
    policy = parse_allowed_html("<em> <strong> <p> <br> <a href title>")
    html = filter_normalized_html(text, policy, get_engine("nh3"), None)
    if "&#" not in text:
        assert is_normalized(html), (text, html)


@pytest.mark.parametrize("engine", ["nh3", "bleach"])
@pytest.mark.parametrize("text", ["a&#13;b", "a&#x0d;b<em>c</em>", "<p>x&#0;y</p>", "&#xD800;",
                                  "&<b>#13;</b>"])
def test_references_to_control_characters_never_reach_the_output(text, engine):
    html = render(text, engine=engine).html
    assert is_normalized(html) and "\r" not in html, html
    html = filter_html(text + "&#1;", engine=engine)  # the public filter, too
    assert is_normalized(html) and "\r" not in html, html


def test_filter_url_skips_the_markup_search_only_when_no_unlinked_element_can_be_there(
        tmp_path, monkeypatch, engine):
    """The plan promises filter_url "markup_free" text only after filter_html with a
    policy allowing none of a/code/pre/script/style, or after filter_html_escape;
    where <code> is allowed, a URL inside it must stay unlinked."""
    from moderation.formats.pipeline import _plan
    from moderation.formats.registry import get_format, reload_formats

    def url_settings(format_id):
        steps, _ = _plan(get_format(format_id))
        return next(settings for _, settings in steps if "max_length" in settings)

    assert url_settings("filtered_html")["markup_free"] is True
    assert url_settings("plain_text")["markup_free"] is True
    path = tmp_path / "formats.toml"
    path.write_text('[[formats]]\nid = "with_code"\nname = "With code"\n'
                    '[[formats.filters]]\nid = "filter_html"\nallowed_html = "<em> <code>"\n'
                    '[[formats.filters]]\nid = "filter_url"\n', encoding="utf-8")
    monkeypatch.setenv("MODERATION_FORMATS_FILE", str(path))
    reload_formats()
    assert url_settings("with_code")["markup_free"] is False
    html = render("<code>see http://example.com/a</code> and http://example.com/b",
                  "with_code", engine=engine).html
    assert html == ('<code>see http://example.com/a</code> and '
                    '<a href="http://example.com/b">http://example.com/b</a>')
