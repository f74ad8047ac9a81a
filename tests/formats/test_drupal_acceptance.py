"""Acceptance cases from Drupal's own filter tests, for all four filters.

Runs every case of ``tests/data/drupal_filters_public.json`` through the public
façade (``moderation.formats``), mapped as ``tests/data/acceptance-README.md``
says:

- ``filter``: ``url`` -> ``filter_url``, ``autop`` -> ``filter_autop``,
  ``escape`` -> ``filter_html_escape``, ``html`` -> ``filter_html``;
- ``settings``: ``filter_url_length`` -> ``max_length``, ``allowed_html`` ->
  ``allowed_html``, ``filter_html_nofollow`` -> ``nofollow``;
- ``expect_contains`` / ``expect_not_contains``: substrings (case-sensitive) that
  must / must not be in the output; ``*_normalized``: the same on the output with
  HTML entities decoded, then lower-cased (Drupal's ``assertNormalized``);
  ``expect_not_contains_ci``: case-insensitive; ``expect_equal``: the exact output.
"""
import html
import importlib
import json
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data" / "drupal_filters_public.json"

FILTERS = {
    "url": "filter_url",
    "autop": "filter_autop",
    "escape": "filter_html_escape",
    "html": "filter_html",
}
SETTINGS = {
    "filter_url_length": "max_length",
    "allowed_html": "allowed_html",
    "filter_html_nofollow": "nofollow",
}
CASES = json.loads(DATA.read_text(encoding="utf-8"))


def _normalized(output: str) -> str:
    return html.unescape(output).lower()


# Each expectation kind: how to view the output, and whether the needle must be in it.
EXPECTATIONS = {
    "expect_contains": (lambda output: output, str, True),
    "expect_not_contains": (lambda output: output, str, False),
    "expect_contains_normalized": (_normalized, str, True),
    "expect_not_contains_normalized": (_normalized, str, False),
    "expect_not_contains_ci": (str.lower, str.lower, False),
}


@pytest.fixture(scope="module")
def formats():
    """The façade, imported when the first case runs: a missing filter module
    fails these cases rather than the collection of every test."""
    return importlib.import_module("moderation.formats")


def test_every_case_is_understood():
    """No filter, setting or expectation kind this runner would silently ignore."""
    known_keys = {"id", "filter", "input", "settings", "notes", "source", "expect_equal",
                  *EXPECTATIONS}
    for case in CASES:
        assert case["filter"] in FILTERS, case["id"]
        assert set(case.get("settings", {})) <= set(SETTINGS), case["id"]
        assert set(case) <= known_keys, case["id"]


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_drupal_acceptance_case(case, formats):
    filter_function = getattr(formats, FILTERS[case["filter"]])
    options = {SETTINGS[name]: value for name, value in case.get("settings", {}).items()}
    output = filter_function(case["input"], **options)
    checked = 0
    for kind, (view, prepare, must_contain) in EXPECTATIONS.items():
        for needle in case.get(kind, []):
            found = prepare(needle) in view(output)
            assert found == must_contain, (
                f"{case['id']} ({case['source']}): {kind} {needle!r}\noutput: {output!r}")
            checked += 1
    if "expect_equal" in case:
        assert output == case["expect_equal"], case["id"]
        checked += 1
    assert checked, f"{case['id']} has no expectation"
