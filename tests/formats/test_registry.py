"""The format registry: formats from config/formats.toml (or $MODERATION_FORMATS_FILE)."""
import os
import re
import textwrap

import pytest

from moderation.formats import render, tips
from moderation.formats.registry import (
    DEFAULT_FORMATS_FILE, FormatConfigError, UnknownFormat, all_formats, default_format_id,
    formats_file, get_format, load_formats, reload_formats)

CUSTOM_FORMATS = """
[[formats]]
id = "links_only"
name = "Links only"

  [[formats.filters]]
  id = "filter_html"
  allowed_html = "<em> <a href hreflang>"
  nofollow = true

  [[formats.filters]]
  id = "filter_url"
  max_length = 20

[[formats]]
id = "escaped"
name = "Escaped, no autolinks"
default = true

  [[formats.filters]]
  id = "filter_html_escape"
"""


def write_formats(tmp_path, text, name="formats.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def custom_formats(tmp_path, monkeypatch):
    path = write_formats(tmp_path, CUSTOM_FORMATS)
    monkeypatch.setenv("MODERATION_FORMATS_FILE", str(path))
    reload_formats()
    return path


def test_default_file_defines_the_two_formats(monkeypatch):
    monkeypatch.delenv("MODERATION_FORMATS_FILE", raising=False)
    formats = all_formats()
    assert list(formats) == ["filtered_html", "plain_text"]

    filtered = formats["filtered_html"]
    assert (filtered.name, filtered.default) == ("Filtered HTML", True)
    assert [(f.id, dict(f.settings)) for f in filtered.filters] == [
        ("filter_html", {"allowed_html": "<em> <strong> <blockquote> <br> <p>", "nofollow": False}),
        ("filter_url", {"max_length": 72, "rel": "nofollow ugc"}),
        ("filter_autop", {}),
    ]
    plain = formats["plain_text"]
    assert (plain.name, plain.default) == ("Plain text", False)
    assert [(f.id, dict(f.settings)) for f in plain.filters] == [
        ("filter_html_escape", {}),
        ("filter_url", {"max_length": 72, "rel": "nofollow ugc"}),
        ("filter_autop", {}),
    ]
    assert default_format_id() == "filtered_html"


def test_versions_are_short_stable_hashes(tmp_path, monkeypatch):
    monkeypatch.delenv("MODERATION_FORMATS_FILE", raising=False)
    filtered, plain = get_format("filtered_html"), get_format("plain_text")
    assert re.fullmatch(r"[0-9a-f]{12}", filtered.version)
    assert filtered.version != plain.version
    # The same settings in another file (defaults spelled out or left out, another
    # name) give the same version; another setting gives another one.
    same = write_formats(tmp_path, """
        [[formats]]
        id = "filtered_html"
        name = "Renamed"
          [[formats.filters]]
          id = "filter_html"
          [[formats.filters]]
          id = "filter_url"
          rel = "nofollow ugc"
          [[formats.filters]]
          id = "filter_autop"
        """, "same.toml")
    assert load_formats(str(same))["filtered_html"].version == filtered.version
    other = write_formats(tmp_path, """
        [[formats]]
        id = "filtered_html"
        name = "Filtered HTML"
          [[formats.filters]]
          id = "filter_html"
          [[formats.filters]]
          id = "filter_url"
          rel = "nofollow ugc"
          max_length = 40
          [[formats.filters]]
          id = "filter_autop"
        """, "other.toml")
    assert load_formats(str(other))["filtered_html"].version != filtered.version


def test_environment_variable_points_at_another_file(custom_formats):
    assert list(all_formats()) == ["links_only", "escaped"]
    assert default_format_id() == "escaped"
    assert tips("links_only") == [
        "Allowed HTML tags: <em> <a href hreflang>",
        "Web page addresses and e-mail addresses turn into links automatically.",
    ]
    assert tips("escaped") == ["No HTML tags allowed."]
    with pytest.raises(UnknownFormat):
        get_format("filtered_html")


def test_the_formats_in_use_change_on_reload_only(monkeypatch, custom_formats):
    """The file named by MODERATION_FORMATS_FILE is read on first use and kept
    (like every other setting) until reload_formats() reads the variable again."""
    assert list(all_formats()) == ["links_only", "escaped"]
    assert formats_file() == custom_formats
    monkeypatch.delenv("MODERATION_FORMATS_FILE")
    assert list(all_formats()) == ["links_only", "escaped"]
    assert render("x", "escaped").html == "x"
    assert list(reload_formats()) == ["filtered_html", "plain_text"]
    assert formats_file() == DEFAULT_FORMATS_FILE
    with pytest.raises(UnknownFormat):
        render("x", "escaped")
    monkeypatch.setenv("MODERATION_FORMATS_FILE", str(custom_formats))
    reload_formats()
    assert render("x", "escaped").html == "x"


def test_reload_reads_a_changed_file_and_a_broken_one_is_not_kept(tmp_path, monkeypatch):
    path = write_formats(tmp_path, CUSTOM_FORMATS)
    monkeypatch.setenv("MODERATION_FORMATS_FILE", str(path))
    assert list(reload_formats()) == ["links_only", "escaped"]
    path.write_text("[[formats]]\nid = 'only'\nname = 'Only'\n"
                    "[[formats.filters]]\nid = 'filter_autop'\n", encoding="utf-8")
    assert list(all_formats()) == ["links_only", "escaped"]  # not until reloaded
    assert list(reload_formats()) == ["only"]
    path.write_text("not toml [", encoding="utf-8")
    with pytest.raises(FormatConfigError):
        reload_formats()
    with pytest.raises(FormatConfigError):
        all_formats()  # nothing in use: tried again, and fails again


def test_a_site_format_renders_with_its_own_settings(custom_formats):
    rendered = render('<a href="http://a.example/" onclick="x()">a</a> <b>b</b> '
                      "http://example.com/a/very/long/path/indeed", "links_only")
    assert rendered.html.startswith('<a href="http://a.example/" rel="nofollow">a</a> b <a href=')
    assert "…</a>" in rendered.html  # link text cut at max_length = 20
    assert "<p>" not in rendered.html  # no autop in this format
    assert rendered.format_id == "links_only"
    assert rendered.report.removed_tags == {"b": 1}
    assert rendered.report.removed_attributes == {"onclick": 1}

    escaped = render("<em>x</em>\n\ny", "escaped")
    assert escaped.html == "&lt;em&gt;x&lt;/em&gt;\n\ny"


@pytest.mark.parametrize("text, message", [
    ("", r"no formats defined"),
    ("[[formats]]\nid = 'x'\nname = 'X'\n[[formats.filters]]\nid = 'filter_php'\n",
     r"formats\[0\] \(x\): filters\[0\]: unknown filter 'filter_php'; known filters: filter_html"),
    ("[[formats]]\nid = 'x'\nname = 'X'\n[[formats.filters]]\nid = 'filter_url'\nmax_length = 0\n",
     r"filters\[0\] \(filter_url\): max_length must be an integer >= 1 \(got 0\)"),
    ("[[formats]]\nid = 'x'\nname = 'X'\n[[formats.filters]]\nid = 'filter_url'\nmax_length = '72'\n",
     r"max_length must be an integer >= 1 \(got '72'\)"),
    ("[[formats]]\nid = 'x'\nname = 'X'\n[[formats.filters]]\nid = 'filter_html'\nnofollow = 1\n",
     r"nofollow must be true or false"),
    ("[[formats]]\nid = 'x'\nname = 'X'\n[[formats.filters]]\nid = 'filter_autop'\nlength = 3\n",
     r"unknown setting 'length'; settings: none"),
    ("[[formats]]\nid = 'x'\nname = 'X'\n[[formats.filters]]\nid = 'filter_html'\n"
     "allowed_html = '<em> <script>'\n", r"can never be allowed: <script>"),
    ("[[formats]]\nid = 'x'\nname = 'X'\n[[formats.filters]]\nid = 'filter_html'\n"
     "allowed_html = 'em strong'\n", r"allowed_html: unexpected 'em strong'"),
    ("[[formats]]\nid = 'x'\nname = 'X'\n[[formats.filters]]\nid = 'filter_autop'\n"
     "[[formats.filters]]\nid = 'filter_autop'\n", r"listed twice: \['filter_autop'\]"),
    ("[[formats]]\nid = 'x'\nname = 'X'\n", r"needs at least one \[\[formats.filters\]\]"),
    ("[[formats]]\nid = 'Bad Id'\nname = 'X'\n", r"id must be 1-64 of a-z 0-9 _"),
    ("[[formats]]\nid = 'x'\nname = ''\n", r"name must be a non-empty string"),
    ("[[formats]]\nid = 'x'\nname = 'X'\ncolour = 'red'\n", r"unknown key\(s\) \['colour'\]"),
    ("[[formats]]\nid = 'x'\nname = 'X'\n[[formats.filters]]\nid = 'filter_autop'\n"
     "[[formats]]\nid = 'x'\nname = 'Y'\n[[formats.filters]]\nid = 'filter_autop'\n",
     r"duplicate format id 'x'"),
    ("[[formats]]\nid = 'x'\nname = 'X'\ndefault = true\n[[formats.filters]]\nid = 'filter_autop'\n"
     "[[formats]]\nid = 'y'\nname = 'Y'\ndefault = true\n[[formats.filters]]\nid = 'filter_autop'\n",
     r"more than one default format"),
    ("[[formats]\n", r"not valid TOML"),
])
def test_invalid_files_fail_with_a_clear_message(tmp_path, text, message):
    path = write_formats(tmp_path, text)
    with pytest.raises(FormatConfigError, match=message) as error:
        load_formats(str(path))
    assert str(path) in str(error.value)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(FormatConfigError, match="cannot read the formats file"):
        load_formats(str(tmp_path / "nope.toml"))


def test_the_first_format_is_the_default_when_none_says_so(tmp_path):
    path = write_formats(tmp_path, "[[formats]]\nid = 'only'\nname = 'Only'\n"
                                   "[[formats.filters]]\nid = 'filter_autop'\n")
    assert load_formats(str(path))["only"].default is True


def test_unknown_format_message_lists_the_configured_ones(monkeypatch):
    monkeypatch.delenv("MODERATION_FORMATS_FILE", raising=False)
    with pytest.raises(KeyError) as error:
        get_format("full_html")
    assert str(error.value) == ("unknown text format 'full_html'; "
                                "configured formats: filtered_html, plain_text")


def test_default_file_location():
    assert DEFAULT_FORMATS_FILE.name == "formats.toml"
    assert DEFAULT_FORMATS_FILE.parent.name == "config"


def test_registry_lists_formats_for_the_api(monkeypatch):
    from moderation.formats.registry import list_formats

    monkeypatch.delenv("MODERATION_FORMATS_FILE", raising=False)
    assert [(f["id"], f["tips"][0]) for f in list_formats()] == [
        ("filtered_html", "Allowed HTML tags: <em> <strong> <blockquote> <br> <p>"),
        ("plain_text", "No HTML tags allowed.")]
