"""The whole policy on hostile input: time at 8n characters against n stays linear (ratios of
best-of-N timings, never absolute speed: tests/formats/timing.py)."""
import gc

import pytest

from moderation.formats import render
from moderation.policy import default_policy, evaluate
from moderation.policy.near_duplicates import fingerprint
from moderation.policy.text import comment_text
from tests.formats.timing import best_time

PATTERNS = {
    "digits": "1", "digit groups": "12 ", "money-like": "1,", "plus digits": "+00(", "quotes": '"',
    "single quotes": "'a ", "emails": "a@b.example ", "intent words": "i will ", "trigger word": "hang ",
    "split letters": "a b ", "masks": "f*", "cyrillic": "ѕhіt ", "zero width": "f\u200b", "pipes": "a|",
    "leet": "5h1t! ", "streets": "12 Main Street ", "phone-ish": "+44 (0) 7700 ", "dots": "a.", "hyphens": "a-",
    "blockquotes": "<blockquote>a ", "links": " https://a.example/x", "reported": "he said 'idiot' ",
}
_SMALL = 4 * 1024
_LARGE = 8 * _SMALL


def _fill(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def _decide(text: str):
    rendered = render(text, "filtered_html")
    evaluate(POLICY, rendered.html, rendered.report.to_dict())
    fingerprint(comment_text(rendered.html).text)


POLICY = default_policy()


@pytest.mark.complexity
@pytest.mark.parametrize("name", list(PATTERNS))
def test_the_policy_is_linear_on_hostile_input(name):
    _decide("warm up: load the lists and models")
    small, large = _fill(PATTERNS[name], _SMALL), _fill(PATTERNS[name], _LARGE)
    gc.collect()
    small_time = best_time(_decide, small, runs=3)
    large_time = best_time(_decide, large, runs=2)
    assert large_time < 2.0, f"{name}: {large_time:.3f} s for {len(large)} characters"
    if large_time > 0.005:  # below that, timer noise
        assert large_time / small_time < 24, f"{name}: {small_time * 1e3:.2f} ms -> {large_time * 1e3:.2f} ms"
