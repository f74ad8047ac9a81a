"""filter_url: Drupal 11's "Convert URLs into links" (FilterUrl), in linear time.

Sections:
1. Drupal 11 ``FilterKernelTest::testUrlFilter`` and ``testUrlFilterContent``, ported in full.
2. One test group per rule of the spec's ``filter_url`` section.
3. A differential test against a naive port of Drupal's own regular expressions
   (``NaiveDrupalFilterUrl``, usable on short inputs only) on random inputs.
4. COMPLEXITY TESTS (``-k complexity``): hostile inputs at n and 8n characters.
"""
import ctypes
import gc
import hashlib
import importlib.util
import random
import re
import sqlite3
import sys
import unicodedata
from pathlib import Path

import pytest

from moderation.formats import filter_html, filter_html_escape, filter_url
from moderation.formats import unicode_classes, url_chunks, url_filter, url_scan
from moderation.formats.normalize import normalize_text
from moderation.formats.protocols import ALLOWED_PROTOCOLS
from moderation.formats.report import RenderReport
from moderation.formats.unicode_classes import LETTERS, MARKS, NUMBERS
from moderation.formats.url_filter import decode_entities
from moderation.formats.url_matching import (
    QUICK_EMAIL_DOMAIN, QUICK_FULL_URL, QUICK_HOST_AND_TRAIL, Segment, patterns_for, quick_answer)

if __package__:
    from .timing import best_time
else:
    from timing import best_time


def assert_filtered(tests: dict, max_length: int) -> None:
    """Drupal's ``assertFilteredString``: for each input, each value must be
    (True) or must not be (False) a substring of the output."""
    for source, expectations in tests.items():
        result = filter_url(source, max_length)
        for value, expected in expectations.items():
            if expected:
                assert value in result, f"{source!r}: {value!r} not in {result!r}"
            else:
                assert value not in result, f"{source!r}: {value!r} in {result!r}"


# --- 1. Drupal 11 FilterKernelTest, ported in full. ---

LONG_EMAIL = "a" * 254 + "@example.com"
TOO_LONG_EMAIL = "b" * 255 + "@example.com"
EMAIL_WITH_PLUS_SIGN = "one+two@example.com"

# FilterKernelTest::testUrlFilter, "Filter selection/pattern matching" (length 496).
DRUPAL_PATTERN_MATCHING = {
    # HTTP URLs.
    "http://example.com or www.example.com": {
        '<a href="http://example.com">http://example.com</a>': True,
        '<a href="http://www.example.com">www.example.com</a>': True,
    },
    # MAILTO URLs.
    (f"person@example.com or mailto:person2@example.com or {EMAIL_WITH_PLUS_SIGN} or "
     f"{LONG_EMAIL} but not {TOO_LONG_EMAIL}"): {
        '<a href="mailto:person@example.com">person@example.com</a>': True,
        '<a href="mailto:person2@example.com">mailto:person2@example.com</a>': True,
        f'<a href="mailto:{LONG_EMAIL}">{LONG_EMAIL}</a>': True,
        f'<a href="mailto:{TOO_LONG_EMAIL}">{TOO_LONG_EMAIL}</a>': False,
        f'<a href="mailto:{EMAIL_WITH_PLUS_SIGN}">{EMAIL_WITH_PLUS_SIGN}</a>': True,
    },
    # URI parts and special characters.
    """http://trailing-slash.com/ or www.trailing-slash.com/
      http://host.com/some/path?query=foo&bar[baz]=beer#fragment or www.host.com/some/path?query=foo&bar[baz]=beer#fragment
      http://twitter.com/#!/example/status/22376963142324226
      http://example.com/@user/
      ftp://user:pass@ftp.example.com/~home/dir1
      sftp://user@nonstandardport:222/dir
      ssh://192.168.0.100/srv/git/drupal.git""": {
        '<a href="http://trailing-slash.com/">http://trailing-slash.com/</a>': True,
        '<a href="http://www.trailing-slash.com/">www.trailing-slash.com/</a>': True,
        ('<a href="http://host.com/some/path?query=foo&amp;bar[baz]=beer#fragment">'
         'http://host.com/some/path?query=foo&amp;bar[baz]=beer#fragment</a>'): True,
        ('<a href="http://www.host.com/some/path?query=foo&amp;bar[baz]=beer#fragment">'
         'www.host.com/some/path?query=foo&amp;bar[baz]=beer#fragment</a>'): True,
        ('<a href="http://twitter.com/#!/example/status/22376963142324226">'
         'http://twitter.com/#!/example/status/22376963142324226</a>'): True,
        '<a href="http://example.com/@user/">http://example.com/@user/</a>': True,
        ('<a href="ftp://user:pass@ftp.example.com/~home/dir1">'
         'ftp://user:pass@ftp.example.com/~home/dir1</a>'): True,
        ('<a href="sftp://user@nonstandardport:222/dir">'
         'sftp://user@nonstandardport:222/dir</a>'): True,
        ('<a href="ssh://192.168.0.100/srv/git/drupal.git">'
         'ssh://192.168.0.100/srv/git/drupal.git</a>'): True,
    },
    # International Unicode characters.
    """http://пример.испытание/
      http://مثال.إختبار/
      http://例子.測試/
      http://12345.中国/
      http://例え.テスト/
      http://dréißig-bücher.de/
      http://méxico-mañana.es/""": {
        '<a href="http://пример.испытание/">http://пример.испытание/</a>': True,
        '<a href="http://مثال.إختبار/">http://مثال.إختبار/</a>': True,
        '<a href="http://例子.測試/">http://例子.測試/</a>': True,
        '<a href="http://12345.中国/">http://12345.中国/</a>': True,
        '<a href="http://例え.テスト/">http://例え.テスト/</a>': True,
        '<a href="http://dréißig-bücher.de/">http://dréißig-bücher.de/</a>': True,
        '<a href="http://méxico-mañana.es/">http://méxico-mañana.es/</a>': True,
    },
    # Encoding.
    """http://ampersand.com/?a=1&b=2
      http://encoded.com/?a=1&amp;b=2""": {
        '<a href="http://ampersand.com/?a=1&amp;b=2">http://ampersand.com/?a=1&amp;b=2</a>': True,
        '<a href="http://encoded.com/?a=1&amp;b=2">http://encoded.com/?a=1&amp;b=2</a>': True,
    },
    # Domain name length.
    """www.ex.ex or www.example.example or www.toolongdomainexampledomainexampledomainexampledomainexampledomain or
      me@me.tv""": {
        '<a href="http://www.ex.ex">www.ex.ex</a>': True,
        '<a href="http://www.example.example">www.example.example</a>': True,
        "http://www.toolong": False,
        '<a href="mailto:me@me.tv">me@me.tv</a>': True,
    },
    # Absolute URL protocols.
    """https://example.com,
      ftp://ftp.example.com,
      news://example.net,
      telnet://example,
      irc://example.host,
      ssh://odd.geek,
      sftp://secure.host?,
      webcal://calendar,
      rtsp://127.0.0.1,
      not foo://disallowed.com.
      """: {
        'href="https://example.com"': True,
        'href="ftp://ftp.example.com"': True,
        'href="news://example.net"': True,
        'href="telnet://example"': True,
        'href="irc://example.host"': True,
        'href="ssh://odd.geek"': True,
        'href="sftp://secure.host"': True,
        'href="webcal://calendar"': True,
        'href="rtsp://127.0.0.1"': True,
        'href="foo://disallowed.com"': False,
        "not foo://disallowed.com.": True,
    },
}

# FilterKernelTest::testUrlFilter, "Surrounding text/punctuation" (length 496).
DRUPAL_SURROUNDING_TEXT = {
    """Partial URL with trailing period www.partial.com.
      Email with trailing comma person@example.com,
      Absolute URL with trailing question http://www.absolute.com?
      Query string with trailing exclamation www.query.com/index.php?a=!
      Partial URL with 3 trailing www.partial.periods...
      Email with 3 trailing exclamations@example.com!!!
      Absolute URL and query string with 2 different punctuation characters (http://www.example.com/q=abc).
      Partial URL with brackets in the URL as well as surrounded brackets (www.foo.com/more_(than)_one_(parens)).
      Absolute URL with square brackets in the URL as well as surrounded brackets [https://www.drupal.org/?class[]=1]
      Absolute URL with quotes "https://www.example.org/sample\"""": {
        'period <a href="http://www.partial.com">www.partial.com</a>.': True,
        'comma <a href="mailto:person@example.com">person@example.com</a>,': True,
        'question <a href="http://www.absolute.com">http://www.absolute.com</a>?': True,
        ('exclamation <a href="http://www.query.com/index.php?a=">'
         'www.query.com/index.php?a=</a>!'): True,
        'trailing <a href="http://www.partial.periods">www.partial.periods</a>...': True,
        ('trailing <a href="mailto:exclamations@example.com">'
         'exclamations@example.com</a>!!!'): True,
        ('characters (<a href="http://www.example.com/q=abc">'
         'http://www.example.com/q=abc</a>).'): True,
        ('brackets (<a href="http://www.foo.com/more_(than)_one_(parens)">'
         'www.foo.com/more_(than)_one_(parens)</a>).'): True,
        ('brackets [<a href="https://www.drupal.org/?class[]=1">'
         'https://www.drupal.org/?class[]=1</a>]'): True,
        ('quotes "<a href="https://www.example.org/sample">'
         'https://www.example.org/sample</a>"'): True,
    },
    "(www.parenthesis.com/dir?a=1&b=2#a)": {
        ('(<a href="http://www.parenthesis.com/dir?a=1&amp;b=2#a">'
         'www.parenthesis.com/dir?a=1&amp;b=2#a</a>)'): True,
    },
}

# FilterKernelTest::testUrlFilter, "Surrounding markup" (length 496).
DRUPAL_SURROUNDING_MARKUP = {
    """<p xmlns="www.namespace.com" />
      <p xmlns="http://namespace.com">
      An <a href="http://example.com" title="Read more at www.example.info...">anchor</a>.
      </p>""": {
        '<p xmlns="www.namespace.com" />': True,
        '<p xmlns="http://namespace.com">': True,
        'href="http://www.namespace.com"': False,
        'href="http://namespace.com"': False,
        ('An <a href="http://example.com" title="Read more at www.example.info...">'
         'anchor</a>.'): True,
    },
    """Not <a href="foo">www.relative.com</a> or <a href="http://absolute.com">www.absolute.com</a>
      but <strong>http://www.strong.net</strong> or <em>www.emphasis.info</em>""": {
        '<a href="foo">www.relative.com</a>': True,
        'href="http://www.relative.com"': False,
        '<a href="http://absolute.com">www.absolute.com</a>': True,
        '<strong><a href="http://www.strong.net">http://www.strong.net</a></strong>': True,
        '<em><a href="http://www.emphasis.info">www.emphasis.info</a></em>': True,
    },
    """Test <code>using www.example.com the code tag</code>.
      """: {
        "href": False,
        "http": False,
    },
    """Intro.
      <blockquote>
      Quoted text linking to www.example.com, written by person@example.com, originating from http://origin.example.com. <code>@see www.usage.example.com or <em>www.example.info</em> bla bla</code>.
      </blockquote>

      Outro.
      """: {
        'href="http://www.example.com"': True,
        'href="mailto:person@example.com"': True,
        'href="http://origin.example.com"': True,
        "http://www.usage.example.com": False,
        "http://www.example.info": False,
        "Intro.": True,
        "Outro.": True,
    },
    """Unknown tag <x>containing x and www.example.com</x>? And a tag <pooh>beginning with p and containing www.example.pooh with p?</pooh>
      """: {
        'href="http://www.example.com"': True,
        'href="http://www.example.pooh"': True,
    },
    """<p>Test &lt;br/&gt;: This is a www.example17.com example <strong>with</strong> various http://www.example18.com tags. *<br/>
       It is important www.example19.com to *<br/>test different URLs and http://www.example20.com in the same paragraph. *<br>
       HTML www.example21.com soup by person@example22.com can literally http://www.example23.com contain *img*<img> anything. Just a www.example24.com with http://www.example25.com thrown in. www.example26.com from person@example27.com with extra http://www.example28.com.
      """: {
        'href="http://www.example17.com"': True,
        'href="http://www.example18.com"': True,
        'href="http://www.example19.com"': True,
        'href="http://www.example20.com"': True,
        'href="http://www.example21.com"': True,
        'href="mailto:person@example22.com"': True,
        'href="http://www.example23.com"': True,
        'href="http://www.example24.com"': True,
        'href="http://www.example25.com"': True,
        'href="http://www.example26.com"': True,
        'href="mailto:person@example27.com"': True,
        'href="http://www.example28.com"': True,
    },
    """<script>
      <!--
        // @see www.example.com
        var example_url = "http://example.net";
      -->
      <!--//--><![CDATA[//><!--
        // @see www.example.com
        var example_url = "http://example.net";
      //--><!]]>
      </script>""": {
        'href="http://www.example.com"': False,
        'href="http://example.net"': False,
    },
    """<style>body {
        background: url(http://example.com/pixel.gif);
      }</style>""": {
        "href": False,
    },
    "<!-- Skip any URLs like www.example.com in comments -->": {
        "href": False,
    },
    """<!-- Skip any URLs like
      www.example.com with a newline in comments -->""": {
        "href": False,
    },
    "<!-- Skip any URLs like www.comment.com in comments. <p>Also ignore http://commented.out/markup.</p> -->": {
        "href": False,
    },
    """<dl>
      <dt>www.example.com</dt>
      <dd>http://example.com</dd>
      <dd>person@example.com</dd>
      <dt>Check www.example.net</dt>
      <dd>Some text around http://www.example.info by person@example.info?</dd>
      </dl>""": {
        'href="http://www.example.com"': True,
        'href="http://example.com"': True,
        'href="mailto:person@example.com"': True,
        'href="http://www.example.net"': True,
        'href="http://www.example.info"': True,
        'href="mailto:person@example.info"': True,
    },
    """<div>www.div.com</div>
      <ul>
      <li>http://listitem.com</li>
      <li class="odd">www.class.listitem.com</li>
      </ul>""": {
        '<div><a href="http://www.div.com">www.div.com</a></div>': True,
        '<li><a href="http://listitem.com">http://listitem.com</a></li>': True,
        '<li class="odd"><a href="http://www.class.listitem.com">www.class.listitem.com</a></li>': True,
    },
}


def test_drupal_url_filter_pattern_matching():
    """FilterKernelTest::testUrlFilter: filter selection/pattern matching."""
    assert_filtered(DRUPAL_PATTERN_MATCHING, max_length=496)


def test_drupal_url_filter_surrounding_text():
    """FilterKernelTest::testUrlFilter: surrounding text/punctuation."""
    assert_filtered(DRUPAL_SURROUNDING_TEXT, max_length=496)


def test_drupal_url_filter_surrounding_markup():
    """FilterKernelTest::testUrlFilter: surrounding markup."""
    assert_filtered(DRUPAL_SURROUNDING_MARKUP, max_length=496)


def test_drupal_url_filter_trimming():
    """FilterKernelTest::testUrlFilter: URL trimming (length 20)."""
    assert_filtered({
        "www.trimmed.com/d/ff.ext?a=1&b=2#a1": {
            ('<a href="http://www.trimmed.com/d/ff.ext?a=1&amp;b=2#a1">'
             "www.trimmed.com/d/f\u2026</a>"): True,
        },
    }, max_length=20)


# core/modules/filter/tests/filter.url-input.txt and filter.url-output.txt.
URL_FILTER_CONTENT_INPUT = """\
This is just a www.test.com. paragraph with person@test.com. some http://www.test.com. urls thrown in and also <code>using www.test.com the code tag</code>.

<blockquote>
This is just a www.test.com. paragraph with person@test.com. some http://www.test.com. urls thrown in and also <code>using www.test.com the code tag</code>.
</blockquote>

<code>Testing code tag http://www.test.com abc</code>

http://www.test.com
www.test.com
person@test.com
<code>www.test.com</code>
http://test.com/?search=test
http://test.com/?search=Test
http://test.com/?search=tesT

What about tags that don't exist <x>like x say www.test.com</x>? And what about tag <pooh>beginning www.test.com with p?</pooh>

Test &lt;br/&gt;: This is just a www.test.com. paragraph <strong>with</strong> some http://www.test.com urls thrown in. *<br/> This is just a www.test.com paragraph *<br/> with some http://www.test.com urls thrown in. *<br/>This is just a www.test.com paragraph person@test.com with some http://www.test.com urls *img*<img/> thrown in. This is just a www.test.com paragraph with some http://www.test.com urls thrown in. This is just a www.test.com paragraph person@test.com with some http://www.test.com urls thrown in.

This is just a www.test.com paragraph <strong>with</strong> some http://www.test.com urls thrown in. <br /> This is just a www.test.com paragraph with some http://www.test.com urls thrown in. This is just a www.test.com paragraph person@test.com with some http://www.test.com urls thrown in. This is just a www.test.com paragraph with some http://www.test.com urls thrown in. This is just a www.test.com paragraph person@test.com with some http://www.test.com urls thrown in.

The old URL filter has problems with <a title="kind of link www.example.com with text" href="http://www.example.com">this kind of link</a> with www address as part of text in title. www.test.com

<!-- This url www.test.com is inside a comment -->

<dl>
<dt>www.test.com</dt>
<dd>http://www.test.com</dd>
<dd>person@test.com</dd>
<dt>check www.test.com</dt>
<dd>this with some text around: http://www.test.com not so easy person@test.com now?</dd>
</dl>

<!-- <p>This url http://www.test.com is
 inside a comment containing newlines and\x20
<em>html</em> tags.</p> -->

This is the end!"""

URL_FILTER_CONTENT_OUTPUT = """\
This is just a <a href="http://www.test.com">www.test.com</a>. paragraph with <a href="mailto:person@test.com">person@test.com</a>. some <a href="http://www.test.com">http://www.test.com</a>. urls thrown in and also <code>using www.test.com the code tag</code>.

<blockquote>
This is just a <a href="http://www.test.com">www.test.com</a>. paragraph with <a href="mailto:person@test.com">person@test.com</a>. some <a href="http://www.test.com">http://www.test.com</a>. urls thrown in and also <code>using www.test.com the code tag</code>.
</blockquote>

<code>Testing code tag http://www.test.com abc</code>

<a href="http://www.test.com">http://www.test.com</a>
<a href="http://www.test.com">www.test.com</a>
<a href="mailto:person@test.com">person@test.com</a>
<code>www.test.com</code>
<a href="http://test.com/?search=test">http://test.com/?search=test</a>
<a href="http://test.com/?search=Test">http://test.com/?search=Test</a>
<a href="http://test.com/?search=tesT">http://test.com/?search=tesT</a>

What about tags that don't exist <x>like x say <a href="http://www.test.com">www.test.com</a></x>? And what about tag <pooh>beginning <a href="http://www.test.com">www.test.com</a> with p?</pooh>

Test &lt;br/&gt;: This is just a <a href="http://www.test.com">www.test.com</a>. paragraph <strong>with</strong> some <a href="http://www.test.com">http://www.test.com</a> urls thrown in. *<br/> This is just a <a href="http://www.test.com">www.test.com</a> paragraph *<br/> with some <a href="http://www.test.com">http://www.test.com</a> urls thrown in. *<br/>This is just a <a href="http://www.test.com">www.test.com</a> paragraph <a href="mailto:person@test.com">person@test.com</a> with some <a href="http://www.test.com">http://www.test.com</a> urls *img*<img/> thrown in. This is just a <a href="http://www.test.com">www.test.com</a> paragraph with some <a href="http://www.test.com">http://www.test.com</a> urls thrown in. This is just a <a href="http://www.test.com">www.test.com</a> paragraph <a href="mailto:person@test.com">person@test.com</a> with some <a href="http://www.test.com">http://www.test.com</a> urls thrown in.

This is just a <a href="http://www.test.com">www.test.com</a> paragraph <strong>with</strong> some <a href="http://www.test.com">http://www.test.com</a> urls thrown in. <br /> This is just a <a href="http://www.test.com">www.test.com</a> paragraph with some <a href="http://www.test.com">http://www.test.com</a> urls thrown in. This is just a <a href="http://www.test.com">www.test.com</a> paragraph <a href="mailto:person@test.com">person@test.com</a> with some <a href="http://www.test.com">http://www.test.com</a> urls thrown in. This is just a <a href="http://www.test.com">www.test.com</a> paragraph with some <a href="http://www.test.com">http://www.test.com</a> urls thrown in. This is just a <a href="http://www.test.com">www.test.com</a> paragraph <a href="mailto:person@test.com">person@test.com</a> with some <a href="http://www.test.com">http://www.test.com</a> urls thrown in.

The old URL filter has problems with <a title="kind of link www.example.com with text" href="http://www.example.com">this kind of link</a> with www address as part of text in title. <a href="http://www.test.com">www.test.com</a>

<!-- This url www.test.com is inside a comment -->

<dl>
<dt><a href="http://www.test.com">www.test.com</a></dt>
<dd><a href="http://www.test.com">http://www.test.com</a></dd>
<dd><a href="mailto:person@test.com">person@test.com</a></dd>
<dt>check <a href="http://www.test.com">www.test.com</a></dt>
<dd>this with some text around: <a href="http://www.test.com">http://www.test.com</a> not so easy <a href="mailto:person@test.com">person@test.com</a> now?</dd>
</dl>

<!-- <p>This url http://www.test.com is
 inside a comment containing newlines and\x20
<em>html</em> tags.</p> -->

This is the end!"""


def test_drupal_url_filter_content():
    """FilterKernelTest::testUrlFilterContent: a complex document, exactly."""
    assert filter_url(URL_FILTER_CONTENT_INPUT, 72) == URL_FILTER_CONTENT_OUTPUT


def test_drupal_url_filter_content_beyond_pcre_limits():
    """testUrlFilterContent's second half sets pcre.backtrack_limit to 1 and
    expects the text back intact. We have no such limit; the equivalent promise
    is that input far past PCRE's default limit (1,000,000) is processed
    completely and nothing is lost."""
    document = URL_FILTER_CONTENT_INPUT * 40 + " person@test.com " + "a" * 1_000_001
    assert filter_url(document) == URL_FILTER_CONTENT_OUTPUT * 40 + (
        ' <a href="mailto:person@test.com">person@test.com</a> ' + "a" * 1_000_001)
    assert filter_url("<p>www.test.com</p>") == (
        '<p><a href="http://www.test.com">www.test.com</a></p>')


# --- 2. The spec's rules, one group each. ---

@pytest.mark.parametrize("text,expected", [
    # Pass 1 (full URLs) runs first: its link is not touched by passes 2 and 3.
    ("mailto:me@example.com",
     '<a href="mailto:me@example.com">mailto:me@example.com</a>'),
    ("http://www.example.com",
     '<a href="http://www.example.com">http://www.example.com</a>'),
    ("ftp://me@www.example.com",
     '<a href="ftp://me@www.example.com">ftp://me@www.example.com</a>'),
    # Pass 2 (e-mail) before pass 3 (www.): an address on a www. host stays whole.
    ("me@www.example.com",
     '<a href="mailto:me@www.example.com">me@www.example.com</a>'),
    # Each pass links everything it finds.
    ("a http://a.example b c@d.example e www.f.example",
     'a <a href="http://a.example">http://a.example</a> b '
     '<a href="mailto:c@d.example">c@d.example</a> e '
     '<a href="http://www.f.example">www.f.example</a>'),
])
def test_three_passes_in_order(text, expected):
    assert filter_url(text) == expected


@pytest.mark.parametrize("scheme", ALLOWED_PROTOCOLS)
def test_every_allowed_protocol_is_linked(scheme):
    assert filter_url(f"x {scheme}://example.com y") == (
        f'x <a href="{scheme}://example.com">{scheme}://example.com</a> y')
    # "//" is optional for every protocol, as in Drupal.
    assert filter_url(f"x {scheme}:example.com y") == (
        f'x <a href="{scheme}:example.com">{scheme}:example.com</a> y')


@pytest.mark.parametrize("text", [
    "javascript://example.com/%0aalert(1)",
    "data://example.com/x",
    "vbscript://example.com",
    "foo://disallowed.com",
    "file://example.com/etc/passwd",
])
def test_other_schemes_are_not_linked(text):
    assert filter_url(text) == text


def test_protocol_matching_is_case_sensitive_as_in_drupal():
    assert filter_url("HTTP://EXAMPLE.COM") == "HTTP://EXAMPLE.COM"
    assert filter_url("Https://example.com") == "Https://example.com"
    # The www. pass still finds the address inside (Drupal does the same).
    assert filter_url("HTTP://www.example.com") == (
        'HTTP://<a href="http://www.example.com">www.example.com</a>')


def test_protocols_are_a_setting():
    assert filter_url("gopher://example.com", protocols=("gopher",)) == (
        '<a href="gopher://example.com">gopher://example.com</a>')
    assert filter_url("http://example.com", protocols=("https",)) == "http://example.com"
    assert filter_url("http://example.com", protocols=()) == "http://example.com"


def test_the_scheme_may_follow_other_characters():
    # Drupal's pattern has no boundary before the scheme.
    assert filter_url("xhttp://example.com") == (
        'x<a href="http://example.com">http://example.com</a>')
    assert filter_url("sftp://example.com") == (
        '<a href="sftp://example.com">sftp://example.com</a>')


@pytest.mark.parametrize("text,href", [
    ("http://user@example.com/x", "http://user@example.com/x"),
    ("http://user:secret@example.com/x", "http://user:secret@example.com/x"),
    ("http://пример.испытание/", "http://пример.испытание/"),
    ("http://例子.測試", "http://例子.測試"),
    ("http://127.0.0.1/x", "http://127.0.0.1/x"),
    ("http://127.0.0.1:8080/x", "http://127.0.0.1:8080/x"),
    ("telnet://example", "telnet://example"),
    ("http://localhost:8000/", "http://localhost:8000/"),
    ("http://sub.example.museum", "http://sub.example.museum"),
    ("http://a.b.c.d.example.co.uk/", "http://a.b.c.d.example.co.uk/"),
    # A 64-letter top-level label is the longest allowed.
    ("http://example." + "a" * 64, "http://example." + "a" * 64),
])
def test_hosts(text, href):
    assert f'href="{href}"' in filter_url(text, 496)


@pytest.mark.parametrize("text", [
    "http://1",                           # one letter: no host
    "http://" + "a" * 65,                 # a label of 65 letters is too long
    "www." + "a" * 65,
    "http://-/",
    "www.",
    "www.1",
    "www._",
])
def test_no_host_no_link(text):
    assert "<a" not in filter_url(text, 496)


def test_a_mark_after_64_letters_is_a_word_boundary():
    # PCRE's \b: a letter, then a (non-word) combining mark. The 64-letter label
    # ends there, and the mark itself is a path character.
    label = "b" * 64
    assert filter_url(f"www.{label}\u0301") == (
        f'<a href="http://www.{label}\u0301">www.{label}\u0301</a>')
    assert filter_url(f"www.{label}b") == f"www.{label}b"


def test_domain_memo_answers_for_each_start():
    """Anchors in one run share the memo of its rightmost valid dot; a start at
    or after that dot must not reuse it."""
    text = "a.bc.de"
    segment = Segment(text, patterns_for(text))
    assert segment.domain_end(0, prefix_required=True) == 7
    assert segment.domain_end(4, prefix_required=True) == -1
    assert segment.domain_end(4, prefix_required=False) == -1
    assert segment.domain_end(5, prefix_required=False) == 7
    assert segment.domain_end(2, prefix_required=True) == 7


def test_top_level_label_ends_at_a_word_boundary():
    # "example.com2": "com2" is not a label (digit), so the host is "example"
    # alone (a single label after a scheme), and the path takes ".com2".
    assert filter_url("http://example.com2") == (
        '<a href="http://example.com2">http://example.com2</a>')
    assert filter_url("me@example.com_x") == "me@example.com_x"


@pytest.mark.parametrize("text,expected_link", [
    # Path characters: letters, digits and !*';:=+,.$/%#[]-_~@&
    ("http://example.com/a!*';:=+,.$/%#[]-_~@&b",
     "http://example.com/a!*&#039;;:=+,.$/%#[]-_~@&amp;b"),
    # Endings: a letter, a digit, one of :_+~#=/ or a balanced group.
    ("http://example.com/a.", "http://example.com/a"),
    ("http://example.com/a,", "http://example.com/a"),
    ("http://example.com/a!", "http://example.com/a"),
    ("http://example.com/a;", "http://example.com/a"),
    ("http://example.com/a'", "http://example.com/a"),
    ("http://example.com/a_", "http://example.com/a_"),
    ("http://example.com/a+", "http://example.com/a+"),
    ("http://example.com/a~", "http://example.com/a~"),
    ("http://example.com/a#", "http://example.com/a#"),
    ("http://example.com/a=", "http://example.com/a="),
    ("http://example.com/a:", "http://example.com/a:"),
    ("http://example.com/a/", "http://example.com/a/"),
    ("http://example.com/a...", "http://example.com/a"),
    # Balanced groups, even several, even last.
    ("http://en.wikipedia.org/wiki/Primer_(film)", "http://en.wikipedia.org/wiki/Primer_(film)"),
    ("(http://en.wikipedia.org/wiki/Primer_(film))", "http://en.wikipedia.org/wiki/Primer_(film)"),
    ("http://example.com/S(dfd346)/x", "http://example.com/S(dfd346)/x"),
    ("http://example.com/a_(b)(c)", "http://example.com/a_(b)(c)"),
    # An unbalanced ")" or "(" stays out; so does a group after a non-ending character.
    ("http://example.com/a)", "http://example.com/a"),
    ("http://example.com/a(b", "http://example.com/a"),
    ("http://example.com/a.(b)", "http://example.com/a"),
    ("http://example.com/a(b(c)d)", "http://example.com/a"),
    ("http://example.com/a()", "http://example.com/a"),
    # Query: "?" then query characters, ending in a letter, digit or one of _&=#/
    ("http://example.com/?a=1&b=2", "http://example.com/?a=1&amp;b=2"),
    ("http://example.com/?a=(1)", "http://example.com/?a=(1"),
    ("http://example.com/?a=b|c", "http://example.com/?a=b|c"),
    ("http://example.com/?a=b.", "http://example.com/?a=b"),
    ("http://example.com/?a=b?", "http://example.com/?a=b"),
    ("http://example.com/?a=&", "http://example.com/?a=&amp;"),
    ("http://example.com?", "http://example.com"),
    ("http://example.com/?", "http://example.com/"),
    # Query letters are ASCII only (Drupal's [a-zA-Z0-9]).
    ("http://example.com/?q=é", "http://example.com/?q="),
])
def test_path_and_query_endings(text, expected_link):
    assert f'<a href="{expected_link}">' in filter_url(text, 496)


def test_www_addresses_get_http_and_bare_domains_are_never_linked():
    assert filter_url("www.example.com/a?b=c") == (
        '<a href="http://www.example.com/a?b=c">www.example.com/a?b=c</a>')
    for text in ("example.com", "example.com/path", "sub.example.org", "WWW.example.com",
                 "www,example.com", "ww.example.com"):
        assert filter_url(text) == text
    assert filter_url("wwww.example.com") == (
        'w<a href="http://www.example.com">www.example.com</a>')


@pytest.mark.parametrize("text,expected", [
    ("me@example.com", '<a href="mailto:me@example.com">me@example.com</a>'),
    ("first.last+tag-x_y@mail.example.co.uk",
     '<a href="mailto:first.last+tag-x_y@mail.example.co.uk">first.last+tag-x_y@mail.example.co.uk</a>'),
    ("пользователь@пример.рф", '<a href="mailto:пользователь@пример.рф">пользователь@пример.рф</a>'),
    ("me@localhost", "me@localhost"),
    ("me@example", "me@example"),
    ("me@example.c", "me@example.c"),
    ("me@127.0.0.1", "me@127.0.0.1"),
    ("@example.com", "@example.com"),
    ("me@@example.com", "me@@example.com"),
    # The local part stops at a character outside [letters digits ._+-].
    ("a!b@example.com", 'a!<a href="mailto:b@example.com">b@example.com</a>'),
])
def test_email_addresses(text, expected):
    assert filter_url(text, 496) == expected


def test_email_local_part_is_at_most_254_characters():
    local = "b" * 255
    output = filter_url(f"{local}@example.com", 496)
    # As in Drupal, the match starts where 254 characters remain.
    assert output == f'b<a href="mailto:{local[1:]}@example.com">{local[1:]}@example.com</a>'
    assert filter_url(f"x {'a' * 254}@example.com", 496).count("<a ") == 1


@pytest.mark.parametrize("text,expected", [
    ("http://example.com/?a=1&b=2",
     '<a href="http://example.com/?a=1&amp;b=2">http://example.com/?a=1&amp;b=2</a>'),
    ("http://example.com/?a=1&amp;b=2",
     '<a href="http://example.com/?a=1&amp;b=2">http://example.com/?a=1&amp;b=2</a>'),
    ("http://example.com/caf&eacute;s",
     '<a href="http://example.com/cafés">http://example.com/cafés</a>'),
    # ";" cannot end a path and a link never cuts a reference: it stops before it.
    ("http://example.com/caf&eacute;",
     '<a href="http://example.com/caf">http://example.com/caf</a>&eacute;'),
    ("http://example.com/&#x61;b", '<a href="http://example.com/ab">http://example.com/ab</a>'),
    ("http://example.com/&#97;b", '<a href="http://example.com/ab">http://example.com/ab</a>'),
    # Entities decoded into & < > are escaped again.
    ("http://example.com/&amp;lt;x",
     '<a href="http://example.com/&amp;lt;x">http://example.com/&amp;lt;x</a>'),
    ("http://example.com/a&amp;amp;b",
     '<a href="http://example.com/a&amp;amp;b">http://example.com/a&amp;amp;b</a>'),
])
def test_matched_text_is_decoded_then_escaped(text, expected):
    assert filter_url(text, 496) == expected


@pytest.mark.parametrize("encoded,decoded", [
    ("&amp;", "&"), ("&eacute;", "é"), ("&#233;", "é"), ("&#xE9;", "é"), ("&#XE9;", "é"),
    ("&#0000233;", "é"), ("&apos;", "'"), ("&NotEqualTilde;", "\u2242\u0338"),
    # PHP's html_entity_decode(ENT_QUOTES | ENT_HTML5) leaves these alone:
    ("&amp", "&amp"), ("&eacute", "&eacute"), ("&#0;", "&#0;"), ("&#13;", "&#13;"),
    ("&#x1;", "&#x1;"), ("&#xD800;", "&#xD800;"), ("&#xFFFE;", "&#xFFFE;"),
    ("&#x110000;", "&#x110000;"), ("&#128;", "&#128;"), ("&nosuchentity;", "&nosuchentity;"),
    ("&#" + "9" * 5000 + ";", "&#" + "9" * 5000 + ";"),
    # Only "&amp;"s (decoded with one replace), and nearly so (the general way).
    ("a&amp;b&amp;c", "a&b&c"), ("&amp;amp;", "&amp;"), ("&amp;&amp;", "&&"),
    ("&amp;lt;", "&lt;"), ("&amp &amp;", "&amp &"), ("&amp;&#233;", "&é"), ("&amp;&", "&&"),
])
def test_entity_decoding_follows_php(encoded, decoded):
    assert decode_entities(encoded) == decoded


def test_ampersand_only_decoding_agrees_with_the_general_way():
    """The one-replace path for text whose every "&" starts "&amp;" gives what
    the reference-by-reference substitution gives."""
    from moderation.formats import entity_decoding
    rng = random.Random(11)
    pieces = ["&amp;", "&", "amp;", "amp", ";", "&lt;", "&#38;", "x", "\0", "é"]
    fast_path_taken = 0
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        fast_path_taken += text.count("&") == text.count("&amp;") > 0
        assert decode_entities(text) == entity_decoding._REFERENCE.sub(
            entity_decoding._decoded, text), text
    assert fast_path_taken > 100


@pytest.mark.parametrize("max_length,expected_text", [
    (72, "http://example.com/abcdefghij"),
    (29, "http://example.com/abcdefghij"),
    (28, "http://example.com/abcdefgh\u2026"),     # 27 characters, then the ellipsis
    (10, "http://ex\u2026"),
    (1, "\u2026"),
    (0, ""),
    (-5, ""),
])
def test_link_text_is_trimmed_but_the_href_never_is(max_length, expected_text):
    assert filter_url("http://example.com/abcdefghij", max_length) == (
        f'<a href="http://example.com/abcdefghij">{expected_text}</a>')


def test_trimming_counts_characters_and_drops_trailing_periods_like_drupal():
    # Unicode::truncate() counts characters, not bytes, and removes the periods
    # left at the end of the cut text before adding the ellipsis.
    assert filter_url("http://例子.測試/例子例子", 12) == (
        '<a href="http://例子.測試/例子例子">http://例子.測\u2026</a>')
    assert filter_url("www.example.com/a...b", 17) == (
        '<a href="http://www.example.com/a...b">www.example.com/\u2026</a>')
    assert filter_url("www.example.com/a...b", 19) == (
        '<a href="http://www.example.com/a...b">www.example.com/a\u2026</a>')
    # Entities count as the character they stand for.
    assert filter_url("http://example.com/?a=1&amp;b=2", 27) == (
        '<a href="http://example.com/?a=1&amp;b=2">http://example.com/?a=1&amp;b=2</a>')


@pytest.mark.parametrize("text", [
    '<a href="x">www.example.com</a>',
    '<A HREF="x">www.example.com</A>',
    "<code>www.example.com</code>",
    "<CODE class=x>www.example.com</code>",
    "<pre>http://example.com</pre>",
    "<pre\n>http://example.com</pre>",
    "<script>var u = 'http://example.com';</script>",
    "<style>a { background: url(http://example.com/x.png) }</style>",
    "<!-- http://example.com -->",
    "<!--\nme@example.com\n-->",
    '<img alt="www.example.com" src="http://example.com/x.png">',
    '<p title="me@example.com">',
    # Inside an unclosed ignored element, nothing more is linked.
    "<code>www.example.com and later www.example.org",
    # Drupal: a tag chunk is "<" up to the first ">", so "< b >" is a tag too.
    "a < www.example.com >",
])
def test_nothing_is_linked_inside_ignored_elements_comments_or_tags(text):
    assert filter_url(text) == text


@pytest.mark.parametrize("text,expected", [
    ("<code>x</code> www.example.com",
     '<code>x</code> <a href="http://www.example.com">www.example.com</a>'),
    ("<abbr>www.example.com</abbr>",
     '<abbr><a href="http://www.example.com">www.example.com</a></abbr>'),
    ("<preview>www.example.com</preview>",
     '<preview><a href="http://www.example.com">www.example.com</a></preview>'),
    ("<x>www.example.com</x>", '<x><a href="http://www.example.com">www.example.com</a></x>'),
    ("<!-- c --> www.example.com <!-- d -->",
     '<!-- c --> <a href="http://www.example.com">www.example.com</a> <!-- d -->'),
    # A comment hides its ">" from the tag scan, as in Drupal.
    ("<!-- > --> www.example.com",
     '<!-- > --> <a href="http://www.example.com">www.example.com</a>'),
    # A "<" with no ">" after it is text.
    ("1 < 2 www.example.com", '1 < 2 <a href="http://www.example.com">www.example.com</a>'),
    ("<!-- unclosed www.example.com",
     '<!-- unclosed <a href="http://www.example.com">www.example.com</a>'),
])
def test_unknown_tags_and_closed_elements_do_not_block_linking(text, expected):
    assert filter_url(text) == expected


@pytest.mark.parametrize("raw,expected", [
    ("<http://example.com/>",
     '&lt;<a href="http://example.com/">http://example.com/</a>&gt;'),
    ('"http://example.com/a"b',
     '&quot;<a href="http://example.com/a">http://example.com/a</a>&quot;b'),
    ("'www.example.com/it's'",
     '&#039;<a href="http://www.example.com/it">www.example.com/it</a>&#039;s&#039;'),
    ("http://example.com/?q=<script>",
     '<a href="http://example.com/?q=">http://example.com/?q=</a>&lt;script&gt;'),
    ("me@example.com<br>",
     '<a href="mailto:me@example.com">me@example.com</a>&lt;br&gt;'),
    ("http://example.com/a&b", '<a href="http://example.com/a&amp;b">http://example.com/a&amp;b</a>'),
])
def test_plain_text_escaped_characters_end_a_url(raw, expected):
    """Plain text: ``&lt; &gt; &quot; &#039;`` from filter_html_escape are never
    part of an href (Drupal 11 would take them in: path characters include ``&;#``)."""
    assert filter_url(filter_html_escape(raw)) == expected


@pytest.mark.parametrize("entity", [
    "&lt;", "&gt;", "&quot;", "&#039;", "&#39;", "&#x27;", "&#X27;", "&apos;", "&#60;",
    "&#x3c;", "&#x3E;", "&#34;", "&#x22;", "&LT;", "&GT;", "&QUOT;",
])
def test_every_spelling_of_an_escaped_delimiter_ends_a_url(entity):
    for url in ("http://example.com/a", "www.example.com/a"):
        output = filter_url(f"{url}{entity}b")
        assert output.endswith(f"</a>{entity}b"), output
        assert entity.lower() not in output.lower().split("</a>")[0]
    assert filter_url(f"me@example.com{entity}x") == (
        f'<a href="mailto:me@example.com">me@example.com</a>{entity}x')
    # Nor can a match start inside one and run on.
    assert filter_url(f"a{entity}www.example.com").endswith(
        f'{entity}<a href="http://www.example.com">www.example.com</a>')


@pytest.mark.parametrize("raw,expected", [
    # Drupal ends these after "&amp" and shows "&amp" plus a stray ";".
    ("http://example.com/a&", '<a href="http://example.com/a">http://example.com/a</a>&amp;'),
    ("http://example.com/?a=1&",
     '<a href="http://example.com/?a=1">http://example.com/?a=1</a>&amp;'),
    ("www.example.com/a.&", '<a href="http://www.example.com/a">www.example.com/a</a>.&amp;'),
    ("http:AA&", '<a href="http:AA">http:AA</a>&amp;'),
    # In the middle, a reference is decoded and escaped again, as in Drupal.
    ("http://example.com/?a=1&b=2",
     '<a href="http://example.com/?a=1&amp;b=2">http://example.com/?a=1&amp;b=2</a>'),
    # Text that merely looks like a reference after escaping stays text.
    ("http://example.com/caf&eacute;",
     '<a href="http://example.com/caf&amp;eacute">http://example.com/caf&amp;eacute</a>;'),
])
def test_a_link_never_cuts_a_character_reference(raw, expected):
    assert filter_url(filter_html_escape(raw)) == expected


def test_filtered_html_references_at_the_end_stay_whole():
    assert filter_url("http://example.com/caf&eacute; and ?x") == (
        '<a href="http://example.com/caf">http://example.com/caf</a>&eacute; and ?x')
    assert filter_url("http://example.com/?q=caf&#233;") == (
        '<a href="http://example.com/?q=caf">http://example.com/?q=caf</a>&#233;')
    # An invalid reference is just characters, as in Drupal.
    assert filter_url("http://example.com/a&nosuch;") == (
        '<a href="http://example.com/a&amp;nosuch">http://example.com/a&amp;nosuch</a>;')


def test_rel_is_added_to_created_links_only():
    text = 'see www.example.com and <a href="http://x.example">x</a> or me@example.com'
    assert filter_url(text, rel="nofollow ugc") == (
        'see <a href="http://www.example.com" rel="nofollow ugc">www.example.com</a> and '
        '<a href="http://x.example">x</a> or '
        '<a href="mailto:me@example.com" rel="nofollow ugc">me@example.com</a>')
    assert filter_url("www.example.com", rel='a"b') == (
        '<a href="http://www.example.com" rel="a&quot;b">www.example.com</a>')
    assert 'rel=' not in filter_url("www.example.com")


def test_report_counts_links_and_hosts():
    report = RenderReport()
    filter_url("http://User:pw@Example.COM:8080/x www.Example.com me@Mail.Example.org "
               "mailto:you@EXAMPLE.net?subject=hi http://例子.測試/ ssh://192.168.0.1 "
               "news:comp.lang.python <code>http://not.counted</code>", report=report)
    assert report.links_created == 7
    assert report.link_hosts == {
        "example.com": 1, "www.example.com": 1, "mail.example.org": 1, "example.net": 1,
        "例子.測試": 1, "192.168.0.1": 1, "comp.lang.python": 1,
    }
    untouched = RenderReport()
    filter_url("no links here", report=untouched)
    assert untouched.links_created == 0 and not untouched.link_hosts


def test_input_is_normalized_first():
    assert filter_url("www.exa\0mple.com\r\nx\ry") == (
        '<a href="http://www.example.com">www.example.com</a>\nx\ny')
    assert filter_url("www.example.com/\ud800") == (
        '<a href="http://www.example.com/">www.example.com/</a>\ufffd')


def test_text_without_candidates_comes_back_unchanged():
    text = "Nothing to link here <b>at all</b> &amp; no colon, no at sign, no w-w-w dot."
    assert filter_url(text) is text


def test_code_points_above_the_bmp():
    """Classes include letters above U+FFFF; text with such code points is
    matched with the full classes (``url_matching.patterns_for``)."""
    bold = "\U0001d41a\U0001d41b"                          # MATHEMATICAL BOLD SMALL A, B
    assert filter_url(f"\U0001f600 http://x.{bold}/ \U0001f600") == (
        f'\U0001f600 <a href="http://x.{bold}/">http://x.{bold}/</a> \U0001f600')
    assert filter_url(f"me@example.{bold}") == (
        f'<a href="mailto:me@example.{bold}">me@example.{bold}</a>')
    assert filter_url("\U0001f600 me@example.com \U0001f600") == (
        '\U0001f600 <a href="mailto:me@example.com">me@example.com</a> \U0001f600')


def _cache_utf8(text: str) -> None:
    """Make CPython keep a UTF-8 copy of ``text`` (as a sqlite3 bind or a C
    extension parsing "s" does); sys.getsizeof then counts it too."""
    as_utf8 = ctypes.pythonapi.PyUnicode_AsUTF8
    as_utf8.restype = ctypes.c_char_p
    as_utf8.argtypes = [ctypes.py_object]
    try:
        as_utf8(text)
    except UnicodeEncodeError:      # a lone surrogate has no UTF-8 form
        pass


def test_astral_code_points_are_told_apart_without_a_scan():
    """patterns_for reads CPython's storage size where it proves there is no
    code point above U+FFFF; a scan must agree, with or without a cached UTF-8
    copy (which sys.getsizeof counts)."""
    from moderation.formats.url_matching import _has_astral

    class Text(str):
        pass

    def scanned(text: str) -> bool:
        return any(ord(ch) > 0xFFFF for ch in text)

    rng = random.Random(7)
    alphabet = ["a", "\xe9", "\u0301", "\u4f8b", "\ud800", "\uffff", "\U0001f600", "\U0010ffff"]
    cached = 0
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 9))) * rng.randint(1, 3)
        assert _has_astral(text) == scanned(text), repr(text)
        assert _has_astral(Text(text)) == scanned(text), repr(text)
        size = sys.getsizeof(text)
        _cache_utf8(text)
        cached += sys.getsizeof(text) > size
        assert _has_astral(text) == scanned(text), repr(text)
    assert cached > 1000        # the cache was really there


def test_a_cached_utf8_copy_does_not_hide_astral_code_points():
    """The reviewer's case: binding a text as a sqlite3 parameter caches its
    UTF-8 form, which made its size read like a text without astral code
    points, so both links (matched only by the full classes) were lost."""
    text = "mail me at bob@\U0001d400\U0001d401x.com or www.\U0001d400x.org"
    expected = filter_url(text)
    assert expected.count("<a ") == 2
    bound = text[:1] + text[1:]                 # a fresh copy, no cache yet
    sqlite3.connect(":memory:").execute("select ?", (bound,))
    assert filter_url(bound) == expected
    cached = text[:1] + text[1:]
    _cache_utf8(cached)
    assert filter_url(cached) == expected


def test_unicode_classes_match_unicodedata():
    if unicode_classes.UNICODE_VERSION != unicodedata.unidata_version:
        pytest.skip("stored classes come from another Unicode version")
    for stored, major in ((LETTERS, "L"), (MARKS, "M"), (NUMBERS, "N")):
        assert stored == "".join(unicode_classes.class_items(unicode_classes.category_ranges(major)))
    # url_matching drops "\U..." items for BMP-only text: none may straddle U+FFFF.
    assert not re.search(r"\\u[0-9a-f]{4}-\\U", LETTERS + MARKS + NUMBERS)


# --- 3. Differential test against a naive port of Drupal's regular expressions. ---

class NaiveDrupalFilterUrl:
    """``FilterUrl::process`` transcribed with ``re``: Drupal's patterns as
    written (including the unparenthesised ending-characters alternation), the
    comment placeholders and the ``<.+?>`` split. Exponential on hostile input,
    so only for short strings. PCRE's ``\\b`` under /u becomes a lookaround on
    letters, numbers and underscore. Like our filter, it cuts chunks at escaped
    delimiters and never ends a match inside a character reference (our two
    changes)."""

    def __init__(self, protocols=ALLOWED_PROTOCOLS):
        lmn = LETTERS + MARKS + NUMBERS
        word = f"[{LETTERS}{NUMBERS}_]"
        boundary = f"(?:(?<={word})(?!{word})|(?<!{word})(?={word}))"
        protocol = ":(?://)?|".join(map(re.escape, protocols)) + ":(?://)?"
        path_chars = f"[{lmn}!\\*\\';:=\\+,\\.\\$\\/%#\\[\\]\\-_~@&]"
        parens = "\\(" + path_chars + "+\\)"
        ending = f"[{lmn}:_+~#=/]|(?:" + parens + ")"
        query_chars = "[a-zA-Z0-9!?\\*\\'@\\(\\);:&=\\+\\$\\/%#\\[\\]\\-_\\.,~|]"
        query_end = "[a-zA-Z0-9_&=#\\/]"
        path = ("(?:(?:" + path_chars + "*(?:" + parens + path_chars + "*)*" + ending
                + ")|(?:@" + path_chars + "+\\/))")
        domain = f"(?:[{lmn}._+-]+\\.)?[{LETTERS}{MARKS}]{{2,64}}{boundary}"
        email_domain = f"(?:[{lmn}._+-]+\\.)+[{LETTERS}{MARKS}]{{2,64}}{boundary}"
        ip = "(?:[0-9]{1,3}\\.){3}[0-9]{1,3}"
        auth = f"[{lmn}:%_+*~#?&=.,/;-]+@"
        trail = "(" + path + "*)?(\\?" + query_chars + "*" + query_end + ")?"
        self.tasks = [
            (re.compile(f"((?:{protocol})(?:(?:{auth})?(?:{domain}|{ip})/?(?:{trail})?))"), "", 1),
            (re.compile(f"([{lmn}._+-]{{1,254}}@(?:{email_domain}))"), "mailto:", 0),
            (re.compile(f"(www\\.(?:{domain})/?(?:{trail})?)"), "http://", 1),
        ]
        self.escaped = re.compile(
            r"&(?:lt|LT|gt|GT|quot|QUOT|apos|#0*(?:34|39|60|62)|#[xX]0*(?:22|27|3[cCeE]));")

    def __call__(self, text: str, max_length: int = 72) -> str:
        for pattern, prefix, group in self.tasks:
            comments = {}

            def hide(match):
                digest = hashlib.sha256(match.group(1).encode()).hexdigest()
                comments[digest] = match.group(1)
                return f"<!-- {digest} -->"

            def link(match):
                matched = decode_entities(match.group(group))
                return (f'<a href="{self.escape(prefix + matched)}">'
                        f"{self.escape(self.truncate(matched, max_length))}</a>")

            text = re.sub(r"<!--(.*?)-->", hide, text, flags=re.S)
            chunks = re.split(r"(<.+?>)", text, flags=re.S)
            open_tag = ""
            for index, chunk in enumerate(chunks):
                if index % 2 == 0:
                    if open_tag == "":
                        pieces = re.split(f"({self.escaped.pattern})", chunk)
                        pieces[0::2] = [self.link_all(pattern, link, piece)
                                        for piece in pieces[0::2]]
                        chunks[index] = "".join(pieces)
                elif open_tag == "":
                    opening = re.search(r"<(a|script|style|code|pre)(?:\s|>)", chunk, re.I | re.A)
                    if opening:
                        open_tag = opening.group(1)
                elif re.search(f"</{open_tag}>", chunk, re.I | re.A):
                    open_tag = ""
            text = "".join(chunks)
            text = re.sub(r"<!--(.*?)-->", lambda m: f"<!--{comments[m.group(1).strip()]}-->", text)
        return text

    @staticmethod
    def link_all(pattern, link, text):
        """``pattern.sub(link, text)``, except that a match which would end inside
        a character reference is matched again as if the text ended before it
        (the spec's other change: a link never cuts ``&amp;`` in two)."""
        references = [reference.span() for reference in re.finditer(
            r"&(?:#[0-9]+|#[xX][0-9A-Fa-f]+|[A-Za-z0-9]+);", text)
            if decode_entities(reference.group()) != reference.group()]
        pieces = []
        position = 0
        while match := pattern.search(text, position):
            cut = True
            while cut:
                cut = next((start for start, end in references if start < match.end() < end), None)
                if cut is not None:
                    match = pattern.match(text, match.start(), cut)
            pieces += (text[position:match.start()], link(match))
            position = match.end()
        return "".join(pieces) + text[position:]

    @staticmethod
    def escape(text):
        return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                .replace('"', "&quot;").replace("'", "&#039;"))

    @staticmethod
    def truncate(text, max_length):
        max_length = max(max_length, 0)
        if len(text) <= max_length:
            return text
        ellipsis = "\u2026"[:max_length]
        return text[:max(max_length - len(ellipsis), 0)].rstrip(".") + ellipsis


_TOKENS = [
    "http", "https", "ftp", "sftp", "mailto", "tel", "news", "xhttp", "HTTP", ":", "//", "/",
    "www.", "www", "wwww.", ".", "..", "@", "a", "b", "com", "co", "x", "é", "例", "\u0301", "1",
    "12", "255", "_", "-", "+", "(", ")", "()", "(x)", "(a(b)c)", "?", "&", ";", "#", "=", "!",
    ",", "~", "[", "]", "$", "%", "*", "'", '"', "|", "\\", " ", "\n", "<", ">", "<>", "<<",
    "< b >", "<a>", "</a>", "<A HREF=x>", "</A>", "<code>", "</code>", "<pre>", "</pre>",
    "<b>", "</b>", "<b <a >", "<abbr>", "<!--", "-->", "<!---->", "<!-- x -->", "&lt;", "&gt;",
    "&amp;", "&quot;", "&#039;", "&#39;", "&#x27;", "&apos;", "&LT;", "&#x61;", "&eacute;",
    "ab", "example", "ex", "٣", "²", "ǅ", "a" * 63, "a" * 64, "é" * 65, "c" * 200, "b" * 254,
    "\U0001d41a\U0001d41b", "\U0001f600",
]


def _random_text(rng: random.Random) -> str:
    """Token soup, with URL-shaped pieces more often than chance would give."""
    pieces = []
    for _ in range(rng.randint(1, 14)):
        if rng.random() < 0.35:
            pieces.append(rng.choice(["http://", "https:", "mailto:", "ftp://u:p@", "www.",
                                      "me@", "x.y+z@", "1.2.3.4", "a.b.co", "例子.測試"]))
        pieces.append(rng.choice(_TOKENS))
    return "".join(pieces)


@pytest.mark.parametrize("seed", range(6))
def test_same_output_as_a_naive_port_of_drupals_patterns(seed):
    naive = NaiveDrupalFilterUrl()
    rng = random.Random(seed)
    linked = 0
    for _ in range(1000):
        text = _random_text(rng)
        max_length = rng.choice([72, 10, 1, 0])
        expected = naive(text, max_length)
        assert filter_url(text, max_length) == expected, text
        linked += expected.count("<a href")
    assert linked > 200         # the inputs do exercise the linking code


# --- 3b. The anchor scan (whole text) against the chunk walk (Drupal's way). ---
# filter_url finds links anchor by anchor over the whole text when no link can
# change where tags are (url_scan.scannable), and walks the chunks otherwise.
# Both must give the same output; the chunk walk is the one checked against
# the naive port above, on short inputs.

_MARKUP_TOKENS = [
    "<p>", "</p>", "<em>", "</em>", "<strong>", "</strong>", "<br />", "<blockquote>",
    "</blockquote>", '<a href="http://x.example/">', "</a>", "</A>", "<A\nhref=y>", "<code>",
    "</code>", "<pre class=x>", "</pre>", "<script>", "</script>", "<style>", "</STYLE>",
    "<b <a >", "<abbr>", "<precode>", "<!-- c -->", "<!-- http://a.com -->", "<!--", "-->",
    "<!---->", "<!-- > -->", "<", ">", "<<", ">>", "<>", "< b >", "<x", "&lt;", "&gt;", "&quot;",
    "&#039;", "&amp;", "&eacute;", "&LT;", "&#x3C;", "&", ";", " ", " ", " ", "\n", "\n\n",
    ".", ",", "(", ")", "'", '"', "é", "例", "\u0301", "\U0001f600",
]
_LINKISH_TOKENS = [
    "http://example.com", "https://www.drupal.org/project/issues/123", "http://a.com/x?y=1&amp;z=2",
    "http://a.com/x?y=1&z", "ftp://u:p@host.example/f", "http://例子.測試/", "http://a.b",
    "http://1.2.3.4:80/", "http://localhost/", "mailto:me@example.com", "news:comp.lang",
    "http://a.com/(b)c", "http://a.com/w_(x)", "https:", "http://", "xhttp://b.co",
    "www.example.org/docs/5", "www.a.com", "www.", "wwww.b.org", "www.a.b.c.museum/x,y.",
    "me@example.com", "a.b+c@d.e.org", "x@y", "@", "@b.co", "user1@example.com:",
    "http://a.com/" + "p" * 70, "www.é.com", "www.a.com/é", "http://a.bc" + "d" * 63,
    "x:a.co", "&lt;x:b.co", "a:b:c.com", "b:d.co", "ht&#039;p:e.co",
]
# Odd scheme names reach across escaped delimiters and earlier matches.
_ODD_PROTOCOLS = ("lt;x", "x", "a:b", "a", "b", "http", "039;p", "gt;;")


def _random_markup(rng: random.Random) -> str:
    """Many tags, ignored elements, comments, escaped delimiters and links,
    often right next to one another."""
    pieces = []
    for _ in range(rng.randint(1, 60)):
        pool = _LINKISH_TOKENS if rng.random() < 0.4 else _MARKUP_TOKENS
        pieces.append(rng.choice(pool))
        if rng.random() < 0.3:
            pieces.append(rng.choice(["the ", "word", "x", "_", "-"]))
    return "".join(pieces)


def _both_ways(text: str, max_length: int = 72, rel=None, protocols=ALLOWED_PROTOCOLS):
    reports = RenderReport(), RenderReport()
    outputs = [url_filter._filtered(text, max_length, rel, protocols, report,
                                    by_anchors=by_anchors)
               for report, by_anchors in zip(reports, (True, False))]
    return outputs, reports


@pytest.mark.parametrize("seed", range(4))
def test_anchor_scan_matches_the_chunk_walk_on_random_markup(seed):
    rng = random.Random(seed)
    scanned = linked = 0
    for _ in range(1500):
        text = _random_markup(rng)
        max_length = rng.choice([72, 72, 10, 0])
        protocols = rng.choice([ALLOWED_PROTOCOLS, _ODD_PROTOCOLS])
        (by_anchors, by_chunks), (report_a, report_c) = _both_ways(
            text, max_length, "nofollow", protocols)
        assert by_anchors == by_chunks, text
        assert (report_a.links_created, report_a.link_hosts) == (
            report_c.links_created, report_c.link_hosts)
        scanned += url_scan.scannable(url_chunks.hide_comments(text)[0])
        linked += by_chunks.count('rel="nofollow"')
    assert scanned > 300 and linked > 1000     # both paths and many links exercised


def _bench_corpus(**sizes) -> dict:
    path = Path(__file__).resolve().parents[2] / "bench" / "corpus.py"
    spec = importlib.util.spec_from_file_location("bench_corpus", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_corpus(**sizes)


def test_anchor_scan_matches_the_chunk_walk_on_the_bench_corpus():
    corpus = _bench_corpus(n_short=100, n_medium=60, n_long=6)
    for name in ("short", "medium", "long"):
        for raw in corpus[name]:
            for text in (filter_html(raw), filter_html_escape(raw)):
                (by_anchors, by_chunks), _ = _both_ways(text, rel="nofollow ugc")
                assert by_anchors == by_chunks
                assert url_scan.scannable(text)


@pytest.mark.parametrize("text,expected", [
    # "<>": the "<" opens a tag that runs to the next ">" (the chunk walk decides).
    ("a <> www.a.com <b> www.b.com", 'a <> www.a.com <b> <a href="http://www.b.com">www.b.com</a>'),
    ("a<b>c<> me@x.co <i>", "a<b>c<> me@x.co <i>"),
    # A "<" with no ">" after it becomes a tag once a link follows it: pass 2
    # then sees "<y <a href=...>" as one tag chunk.
    ("me@x.co <y me2@x.co http://a.com",
     '<a href="mailto:me@x.co">me@x.co</a> <y me2@x.co <a href="http://a.com">http://a.com</a>'),
    # ... and an ignored element that never closes.
    ("<code me@x.co http://a.com me3@y.co",
     '<code me@x.co <a href="http://a.com">http://a.com</a> me3@y.co'),
])
def test_texts_where_links_change_the_tags_are_walked_chunk_by_chunk(text, expected):
    assert filter_url(text) == expected
    assert NaiveDrupalFilterUrl()(text) == expected
    assert _both_ways(text)[0] == [expected, expected]


def test_a_scheme_name_with_a_greater_than_sign_is_still_found():
    assert filter_url("a>b:x.com", protocols=("a>b",)) == (
        '<a href="a&gt;b:x.com">a&gt;b:x.com</a>')
    assert filter_url("<p>z a>b:x.com</p>", protocols=("a>b",)) == (
        '<p>z <a href="a&gt;b:x.com">a&gt;b:x.com</a></p>')


# --- 3c. The anchor path's shortcuts against its plain ways. ---

# What markup_free=True promises is absent: comments and the elements whose
# insides are never linked.
_UNLINKED_INSIDES = re.compile(r"<!--|<(?:a|code|pre|script|style)(?:\s|>)", re.I)
_MARKUP_FREE_TOKENS = [token for token in _MARKUP_TOKENS
                       if not _UNLINKED_INSIDES.search(token) and token != "-->"]
# Hosts the report must read like _url_host does: mailto: URLs, user@ parts,
# upper case, ports, references, a "@" in a www. address's path.
_HOSTY_TOKENS = _LINKISH_TOKENS + [
    "mailto:Me@Example.COM?subject=x", "mailto:a@b.com/x@y.org", "HTTP://X.COM", "http://A.b.COM/",
    "http://u@v@host.org:8080/p", "https://x.org:443", "www.A.com@evil.org/", "www.a.com/x@y",
    "ME@Example.ORG", "http://x.com/?a=1&amp;b=2", "www.&#233;t&#233;.fr", "news:Comp.Lang",
    "http://例子.測試/", "telnet://h.example", "ftp://a.b.c.d.museum/f", "mailto://x.org/p",
    "MailTo://y.org", "http://a.com:80!@evil.org", "www.a.com:80!@evil.org", "www.b.org!x",
    "http://c.org*y/z", "www.d.org?q=1", "http://e.org#f", "www.f.org&amp;g",
]


def _markup_free_text(rng: random.Random, linkish_share: float, pieces: int) -> str:
    chosen = []
    for _ in range(rng.randint(1, pieces)):
        pool = _HOSTY_TOKENS if rng.random() < linkish_share else _MARKUP_FREE_TOKENS
        chosen.append(rng.choice(pool))
        if rng.random() < 0.3:
            chosen.append(rng.choice(["the ", "word", "x", "_", "-", " "]))
    return normalize_text("".join(chosen))


@pytest.mark.parametrize("seed", range(3))
def test_markup_free_texts_link_the_same_without_the_markup_search(seed):
    """markup_free=True skips looking for comments and ignored elements; on
    texts that have none (allowed-tag soup, stray "<" and ">", escaped
    delimiters, links), the output and the report are the same."""
    rng = random.Random(seed)
    checked = linked = 0
    for _ in range(1500):
        text = _markup_free_text(rng, 0.4, 60)
        if _UNLINKED_INSIDES.search(text):
            continue                    # pieces that met make one: not our promise
        max_length = rng.choice([72, 72, 10])
        protocols = rng.choice([ALLOWED_PROTOCOLS, ALLOWED_PROTOCOLS, _ODD_PROTOCOLS])
        reports = RenderReport(), RenderReport()
        searched, skipped = (
            url_filter.filter_normalized_url(text, max_length, "ugc", protocols, report,
                                             markup_free=markup_free)
            for report, markup_free in zip(reports, (False, True)))
        assert skipped == searched, text
        assert (reports[1].links_created, reports[1].link_hosts) == (
            reports[0].links_created, reports[0].link_hosts), text
        checked += 1
        linked += reports[0].links_created
    assert checked > 1200 and linked > 3000


def _scanned_links(text: str, protocols):
    """The anchor scan's links in a markup-free text (None: it needs the chunk walk)."""
    full_url_pass = (url_filter._DEFAULT_FULL_URL_PASS if protocols is ALLOWED_PROTOCOLS
                     else url_filter._full_url_pass(tuple(protocols)))
    if not url_scan.scannable(text) or not full_url_pass.scannable:
        return None
    labels = [full_url_pass, url_filter._EMAIL_PASS, url_filter._WWW_PASS]
    try:
        return url_scan.scan_links(text, labels, (), (), patterns_for(text), full_url_pass.schemes)
    except url_scan.NeedsChunkWalk:
        return None


@pytest.mark.parametrize("seed", range(3))
def test_hosts_read_by_the_scan_are_the_ones_browsers_see(seed):
    """Where the scan's quick match tells the host (host start >= 0), it is
    the pass's host_of the decoded match; elsewhere the join asks host_of."""
    rng = random.Random(seed)
    told = 0
    for _ in range(1500):
        text = _markup_free_text(rng, 0.7, 40)
        protocols = rng.choice([ALLOWED_PROTOCOLS, ALLOWED_PROTOCOLS, _ODD_PROTOCOLS,
                                ("http", "MailTo", "news")])
        links = _scanned_links(text, protocols)
        if links is None:
            continue
        for start, end, link_pass, host_start, host_end in links:
            if host_start >= 0:
                expected = link_pass.host_of(decode_entities(text[start:end]))
                assert text[host_start:host_end].lower() == expected, text[start:end]
                told += 1
    assert told > 2000


@pytest.mark.parametrize("seed", range(3))
def test_links_made_all_at_once_match_links_made_one_by_one(seed):
    """_join decodes, escapes and counts the hosts of many links at once;
    _join_few does each link on its own. Same elements, same report."""
    rng = random.Random(seed)
    compared = many = 0
    for _ in range(700):
        text = _markup_free_text(rng, 0.85, 120)
        protocols = rng.choice([ALLOWED_PROTOCOLS, ALLOWED_PROTOCOLS, _ODD_PROTOCOLS])
        links = _scanned_links(text, protocols)
        if links is None or not links:
            continue
        max_length = rng.choice([72, 72, 10, 0])
        reports = RenderReport(), RenderReport()
        at_once = url_filter._join(text, links, max_length, ' rel="ugc"', reports[0])
        one_by_one = url_filter._join_few(text, links, max_length, ' rel="ugc"', reports[1])
        assert at_once == one_by_one, text
        assert (reports[0].links_created, reports[0].link_hosts) == (
            reports[1].links_created, reports[1].link_hosts), text
        compared += 1
        many += len(links) >= url_filter._FEW_LINKS
    assert compared > 500 and many > 300


_URLISH_PIECES = ["a", "b", "co", "com", "x1", "_", "-", "+", ".", "..", "/", "//", "?", "&",
                  "&amp;", "&amp", "&#233;", "=", "#", ":", ";", ",", "!", "*", "'", "$", "%",
                  "[", "]", "~", "|", "@", "(", ")", "(x)", " ", "<", '"', "é", "\u0301", "9"]


@pytest.mark.parametrize("seed", range(3))
def test_quick_matches_agree_with_the_exact_matcher(seed):
    """quick_answer answers only where the exact Segment code gives the same end;
    a quick e-mail domain never holds an "&" (url_scan relies on it)."""

    def quick_end(text: str, pattern: re.Pattern, start: int):
        match = pattern.match(text, start, len(text))
        if pattern is QUICK_EMAIL_DOMAIN and match is not None:
            assert "&" not in match.group(), text
        return quick_answer(text, match, start, len(text))[0]

    rng = random.Random(seed)
    answered = 0
    for _ in range(4000):
        kind = rng.choice(["url", "www", "email"])
        head = {"url": "http://", "www": "www.", "email": "me@"}[kind]
        host = rng.choice(["a.com", "x1.co", "a-b.b_c.org", "a..com", "a.b", "a.com.", ".a.com",
                           "a.c0m", "a.é", "a.co\u0301", "a." + "b" * 64, "a." + "b" * 65, ""])
        text = head + host + "".join(
            rng.choice(_URLISH_PIECES) for _ in range(rng.randint(0, 12)))
        if rng.random() < 0.5:
            text = text.replace(" ", "").replace("<", "") + rng.choice(["", " ", "<", ".", ")"])
        segment = Segment(text, patterns_for(text))
        if kind == "url":
            got = quick_end(text, QUICK_FULL_URL, 5)
            expected = segment.full_url_end(4)
        elif kind == "www":
            host_end = segment.domain_end(4, prefix_required=False)
            got = quick_end(text, QUICK_HOST_AND_TRAIL, 4)
            expected = segment.trail_end(host_end) if host_end >= 0 else -1
        else:
            got = quick_end(text, QUICK_EMAIL_DOMAIN, 3)
            expected = segment.domain_end(3, prefix_required=True)
        if got is not None:
            answered += 1
            assert got == expected, text
    assert answered > 600


# --- 4. COMPLEXITY TESTS: hostile inputs must cost linear time. ---
# Drupal's patterns backtrack catastrophically on these (nested quantifiers,
# "{1,254}@" retried at every position, "<.+?>" and "<!--.*?-->" retried at every
# "<"). Quadratic work would make time(8n)/time(n) about 64; we require < 24,
# and every 64 KB input must finish well under a second.

def _hostile_inputs(size: int) -> dict:
    return {
        "open parens": "(" * size,
        "ampersands": "&" * size,
        "at signs": "@" * size,
        "dots": "." * size,
        "colons": ":" * size,
        "one letter": "a" * size,
        "unclosed <": "<" * size,
        "unclosed <a": "<a " * (size // 3),
        "<!-- without -->": "<!--" * (size // 4),
        "--> without <!--": "-->" * (size // 3),
        "www. repeated": "www." * (size // 4),
        "www.1 repeated": "www.1" * (size // 5),
        "http:// repeated": "http://" * (size // 7),
        "http:/ repeated": "http:/" * (size // 6),
        "a@ repeated": "a@" * (size // 2),
        "letters then @": "a" * size + "@",
        "e-mail, dotted domain, no top label": "x@" + "a." * (size // 2) + "1",
        "www., dotted domain, no top label": "www." + "a." * (size // 2) + "1",
        "scheme, long auth, no host": "http://" + "a:" * (size // 2) + "@1",
        "path of open groups": "http://a.com/" + "(a" * (size // 2),
        "path of groups then !": "http://a.com/" + "(a)" * (size // 3) + "!",
        "path of punctuation": "http://a.com/" + "!" * size,
        "query of punctuation": "http://a.com/?" + "!" * size,
        "escaped delimiters": "www.a.com&lt;" * (size // 13),
        "combining marks": "www." + "a\u0301" * (size // 2),
        "tags with links": "<b>www.a.com</b>" * (size // 16),
        "comments with links": "<!-- www.a.com -->www.b.com" * (size // 27),
        "code with links": "<code>www.a.com " * (size // 16),
        "astral and at signs": "\U0001f600" + "@" * size,
        "dense links": "http://a.com/a_(b)?c=d&e=f#g www.b.org x@y.co (c) <b>t</b> " * (size // 60),
        # The anchor scan: anchors in one run of URL characters, between tags,
        # after "<>" (handed to the chunk walk), before a "<" with no ">".
        "anchors in one URL run": "http://a.com/" + "@b.co,www.c.co,x:" * (size // 17),
        "anchors between tags": "<i>a@b.co</i><b>http://c.co/</b>" * (size // 33),
        "<> and links": "<>" + "x www.a.com <b>" * (size // 15),
        "links then <": "www.a.com <" * (size // 11),
        "escaped delimiters and e-mail": "&quot;a@b.co&#039;" * (size // 18),
    }


_SMALL = 8 * 1024
_LARGE = 8 * _SMALL     # 64 KB


@pytest.mark.parametrize("name", list(_hostile_inputs(16)))
def test_complexity_linear_on_hostile_input(name):
    small = _hostile_inputs(_SMALL)[name]
    large = _hostile_inputs(_LARGE)[name]
    gc.collect()
    small_time = best_time(filter_url, small, runs=5)
    large_time = best_time(filter_url, large, runs=3)
    assert large_time < 0.5, f"{name}: {large_time:.3f} s for {len(large)} characters"
    # Below ~1 ms timer noise dominates; a quadratic case would be far above it.
    if large_time > 0.002:
        assert large_time / small_time < 24, (
            f"{name}: {small_time * 1e3:.2f} ms -> {large_time * 1e3:.2f} ms")
