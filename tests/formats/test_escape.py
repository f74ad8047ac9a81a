"""filter_html_escape: Drupal's ``trim(Html::escape($text))`` (Plain text format)."""
import html
import random
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderation.formats import filter_html_escape

if __package__:
    from .timing import best_time
else:
    from timing import best_time


def reference_escape(text: str) -> str:
    """An independent statement of the rule, through the standard library."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch in "\t\n" or not ("\x00" <= ch < "\x20"))
    return html.escape(text.strip(" \t\n"), quote=True).replace("&#x27;", "&#039;")


def test_drupal_html_escape_filter():
    """FilterKernelTest::testHtmlEscapeFilter (Drupal 11, same in Drupal 7)."""
    output = filter_html_escape("   One. <!-- \"comment\" --> Two'.\n<p>Three.</p>\n    ")
    assert ("One. &lt;!-- &quot;comment&quot; --&gt; Two&#039;.\n&lt;p&gt;Three.&lt;/p&gt;"
            in output)
    assert "   One." not in output
    assert "</p>\n    " not in output
    assert output == ("One. &lt;!-- &quot;comment&quot; --&gt; Two&#039;.\n"
                      "&lt;p&gt;Three.&lt;/p&gt;")


@pytest.mark.parametrize("text,expected", [
    ("&", "&amp;"),
    ("<", "&lt;"),
    (">", "&gt;"),
    ('"', "&quot;"),
    ("'", "&#039;"),
    ("<script>alert('x')</script>", "&lt;script&gt;alert(&#039;x&#039;)&lt;/script&gt;"),
    ('<a href="javascript:x">', "&lt;a href=&quot;javascript:x&quot;&gt;"),
    # Existing entities are escaped again (htmlspecialchars, double_encode on).
    ("&amp;", "&amp;amp;"),
    ("&lt;b&gt;", "&amp;lt;b&amp;gt;"),
    ("&#039; &#x27; &copy;", "&amp;#039; &amp;#x27; &amp;copy;"),
    # Everything else passes through.
    ("plain text, 100% fine: {}[]()/\\=?!", "plain text, 100% fine: {}[]()/\\=?!"),
    ("\u00e9t\u00e9 \u2603 \U0001f4a1", "\u00e9t\u00e9 \u2603 \U0001f4a1"),
    ("", ""),
])
def test_escapes_the_five_characters(text, expected):
    assert filter_html_escape(text) == expected


@pytest.mark.parametrize("text,expected", [
    ("  \t\n a b \n\t ", "a b"),
    ("\n\n<p>\n\n", "&lt;p&gt;"),
    ("inner  \n\n  space", "inner  \n\n  space"),
    ("   ", ""),
    # PHP trim() does not strip non-ASCII white space.
    ("\u00a0x\u00a0", "\u00a0x\u00a0"),
    ("\u2003x", "\u2003x"),
])
def test_trims_leading_and_trailing_white_space(text, expected):
    assert filter_html_escape(text) == expected


@pytest.mark.parametrize("text,expected", [
    ("a\r\nb\rc", "a\nb\nc"),
    ("<\x00scr\x00ipt>", "&lt;script&gt;"),
    ("\x0b\x0ca\x1f", "a"),
    ("\r\n x \r\n", "x"),
    ("lone \ud800 surrogate", "lone \ufffd surrogate"),
])
def test_normalizes_its_own_input(text, expected):
    assert filter_html_escape(text) == expected


def test_round_trips_through_an_html_parser():
    """The browser shows exactly the trimmed text: nothing is markup."""
    rng = random.Random(3)
    alphabet = "<>&\"' \n\tab;#x\u00e9"
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        output = filter_html_escape(text)
        assert not set(output) & set("<>\"'"), output
        assert html.unescape(output) == text.strip(" \t\n"), text


@settings(max_examples=1000, deadline=None)
@given(st.text(max_size=80))
def test_matches_standard_library_reference(text):
    assert filter_html_escape(text) == reference_escape(text)


def test_large_input_is_fast_and_linear():
    def best(text):
        return best_time(filter_html_escape, text, runs=5, calls=20)

    for unit in ("&", "<>\"'", " ", "a"):
        small, large = unit * (8192 // len(unit)), unit * (65536 // len(unit))
        assert best(large) / best(small) < 24
        started = time.perf_counter()
        filter_html_escape(large)
        assert time.perf_counter() - started < 0.1
