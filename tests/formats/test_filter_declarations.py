"""Filters are declared once (moderation/formats/text_filter.py) and everything else is derived:
the formats file's checks, the tips, the render plan, the guard's allowlist. Proved with a
filter that is not part of the service (tests/formats/collapse_blank_lines.py)."""
from __future__ import annotations

import pytest

from moderation.formats import pipeline, registry, render, tips
from moderation.formats.guard import output_allowlist
from moderation.formats.html_filter import DEFAULT_ALLOWED_HTML, parse_allowed_html
from moderation.formats.pipeline import _plan
from moderation.formats.registry import FormatConfigError, get_format, parse_formats, reload_formats
from tests.formats import collapse_blank_lines

FORMATS = """
[[formats]]
id = "letters"
name = "Letters to the editor"
  [[formats.filters]]
  id = "filter_html_escape"
  [[formats.filters]]
  id = "collapse_blank_lines"
  max_blank_lines = {keep}
  [[formats.filters]]
  id = "filter_url"
"""


@pytest.fixture
def with_new_filter(monkeypatch, tmp_path):
    """The new filter registered (its one line), and a formats file that lists it."""
    monkeypatch.setitem(registry.FILTERS, collapse_blank_lines.FILTER.id, collapse_blank_lines.FILTER)
    monkeypatch.setattr(pipeline, "_plans", {})  # plans are kept per format version

    def use(keep: int = 1) -> None:
        path = tmp_path / f"formats-{keep}.toml"
        path.write_text(FORMATS.format(keep=keep), encoding="utf-8")
        monkeypatch.setenv("MODERATION_FORMATS_FILE", str(path))
        reload_formats()
    return use


def test_a_new_filter_is_one_module_and_one_line(with_new_filter):
    with_new_filter(keep=1)
    html = render("Dear editor,\n\n\n\n\nwww.example.com <b>now</b>", "letters").html
    assert html == ('Dear editor,\n\n<a href="http://www.example.com">www.example.com</a> &lt;b&gt;now&lt;/b&gt;')
    assert tips("letters") == ["No HTML tags allowed.", "At most 1 blank line(s) in a row are kept.",
                               "Web page addresses and e-mail addresses turn into links automatically."]
    # Its declared promise (no markup appears) keeps filter_url's shortcut after escaping.
    steps, _allowlist = _plan(get_format("letters"))
    assert steps[2][1]["markup_free"] is True
    version_one = get_format("letters").version
    with_new_filter(keep=2)
    assert render("a\n\n\n\n\nb", "letters").html == "a\n\n\nb"
    assert get_format("letters").version != version_one  # its settings are part of the version


def test_a_new_filters_settings_are_checked_from_its_declaration(with_new_filter):
    with_new_filter()
    base = {"id": "letters", "name": "Letters", "filters": [{"id": "collapse_blank_lines", "max_blank_lines": 0}]}
    with pytest.raises(FormatConfigError, match=r"max_blank_lines must be an integer >= 1 \(got 0\)"):
        parse_formats({"formats": [base]})
    base["filters"] = [{"id": "collapse_blank_lines", "lines": 2}]
    with pytest.raises(FormatConfigError, match="unknown setting 'lines'; settings: max_blank_lines"):
        parse_formats({"formats": [base]})
    base["filters"] = [{"id": "collapse_blank_lines"}]
    # Defaults fill in.
    parsed = parse_formats({"formats": [base]})["letters"]
    assert parsed.filters[0].setting("max_blank_lines") == 1


def test_a_filter_with_no_declared_promise_turns_the_shortcut_off(monkeypatch, with_new_filter):
    """Declaring nothing about markup means "anything may be there": filter_url searches."""
    import dataclasses

    from moderation.formats.text_filter import ANY_MARKUP

    silent = dataclasses.replace(collapse_blank_lines.FILTER, leaves=lambda _s, _b: ANY_MARKUP)
    monkeypatch.setitem(registry.FILTERS, silent.id, silent)
    with_new_filter()
    steps, _allowlist = _plan(get_format("letters"))
    assert steps[2][1]["markup_free"] is False
    assert render("see www.example.com", "letters").html == 'see <a href="http://www.example.com">www.example.com</a>'


def test_the_default_formats_are_derived_from_the_declarations():
    filtered, plain = get_format("filtered_html"), get_format("plain_text")
    assert filtered.filters[0].setting("allowed_html") == DEFAULT_ALLOWED_HTML
    assert [f.id for f in filtered.filters] == ["filter_html", "filter_url", "filter_autop"]
    # The guard's allowlist from the declarations equals the spec's: the format's tags, p, br, a.
    assert _plan(filtered)[1] == output_allowlist(parse_allowed_html(DEFAULT_ALLOWED_HTML), autolinks=True)
    assert _plan(plain)[1] == output_allowlist(None, autolinks=True)
