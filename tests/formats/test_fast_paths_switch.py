"""fast_paths.off() really turns the speed-ups off (so the "exact" runs of tests/formats/conftest.py
test the exact implementations), and on, they are really taken."""
import pytest

from moderation.formats import autop_shortcuts, fast_paths, html_filter, render, url_filter
from moderation.formats.guard import GuardCounters

TEXT = "Hello <em>world</em>, see https://example.org/a and www.example.com\n\nBye"


@pytest.fixture
def calls(monkeypatch):
    seen = []
    for module, name in ((url_filter, "scan_links"), (autop_shortcuts, "autop_shortcut"),
                         (html_filter, "count_removals_from_text")):
        real = getattr(module, name)

        def spy(*args, _real=real, _name=name, **kwargs):
            seen.append(_name)
            return _real(*args, **kwargs)
        monkeypatch.setattr(module, name, spy)
    return seen


def test_the_fast_paths_are_taken_when_on(calls):
    parsed = GuardCounters.parsed
    assert render(TEXT).html.startswith("<p>Hello <em>world</em>")
    assert {"scan_links", "autop_shortcut", "count_removals_from_text"} <= set(calls)
    assert GuardCounters.parsed == parsed  # the guard accepted from the text alone


def test_off_runs_the_exact_implementations_only_with_the_same_output(calls):
    fast = render(TEXT).html
    calls.clear()
    parsed = GuardCounters.parsed
    with fast_paths.off():
        exact = render(TEXT)
    assert calls == []
    assert GuardCounters.parsed == parsed + 1  # the guard parsed the output
    assert exact.html == fast
    assert exact.report.links_created == 2 and fast_paths.all_on()


def test_one_fast_path_can_be_turned_off_alone(calls):
    with fast_paths.off("ANCHOR_SCAN"):
        html = render(TEXT).html
        assert not fast_paths.ANCHOR_SCAN and fast_paths.AUTOP_SHORTCUTS
    assert "scan_links" not in calls and "autop_shortcut" in calls
    assert html == render(TEXT).html and fast_paths.all_on()


def test_an_unknown_fast_path_name_is_refused():
    with pytest.raises(ValueError, match="no such fast path: ANCHOR_SCAM"):
        with fast_paths.off("ANCHOR_SCAM"):
            pass
    assert fast_paths.all_on()
