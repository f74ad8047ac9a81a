"""The XSS corpus through every format and engine, judged by the independent oracle.

For each payload (tests/data/xss_vectors.json) and each engine ("nh3", "bleach"):

- ``render`` in both formats must give output the oracle accepts, and the guard
  must not have acted (the spec: our own filters never need it);
- the same filter chain called by hand, without the guard, must be safe too, so a
  filter that lets something through cannot hide behind the guard;
- the payload embedded in a realistic comment (text, URLs, e-mail, blank lines)
  must stay safe, so ``filter_url`` and ``filter_autop`` run on sanitized output;
- ``filter_html`` alone with a permissive allowlist (``<a href>``, ``<img src alt>``,
  ``<blockquote cite>``, …) must drop every URL attribute with a disallowed scheme.
"""
import pytest

from moderation.formats import filter_autop, filter_html, filter_html_escape, filter_url, render

if __package__:
    from .oracle import (FILTERED_HTML, PLAIN_TEXT, POLICIES, load_xss_corpus,
                         policy_from_allowed_html, violations)
else:
    from oracle import (FILTERED_HTML, PLAIN_TEXT, POLICIES, load_xss_corpus,
                        policy_from_allowed_html, violations)

ENGINES = ("nh3", "bleach")
FORMATS = ("filtered_html", "plain_text")
FILTERED_HTML_TAGS = "<em> <strong> <blockquote> <br> <p>"
LINK_REL = "nofollow ugc"
CORPUS = load_xss_corpus()

# Drupal's "Basic HTML" style list: URL-bearing attributes on a, img and blockquote.
PERMISSIVE_TAGS = ("<a href hreflang> <em> <strong> <cite> <blockquote cite> <code> "
                   "<ul type> <ol start type> <li> <dl> <dt> <dd> <h2 id> <h3 id> "
                   "<p> <br> <img src alt height width>")
PERMISSIVE_POLICY = policy_from_allowed_html(PERMISSIVE_TAGS + " <a rel>", name="permissive")
PERMISSIVE_WITH_LINKS = policy_from_allowed_html(PERMISSIVE_TAGS, name="permissive + filter_url/autop",
                                                 with_links=True)

COMMENT_TEMPLATES = (
    "Great piece, thanks.\nSee https://www.example.org/news/2024/story?id=7&ref=home for context.\n\n"
    "{payload}\n\nMail me at reader@example.net or visit www.example.com/about.\nCheers",
    "I think {payload} is wrong, see http://example.com/wiki/a_(b). And (www.example.com/x)!\n"
    "Second line with mailto:me@example.com\n\n\n<blockquote>quote {payload}</blockquote>\nend",
)


def unguarded_chain(text: str, format_id: str, engine: str) -> str:
    """The format's filters called one by one, as Drupal runs them, with no guard after."""
    if format_id == "filtered_html":
        text = filter_html(text, FILTERED_HTML_TAGS, engine=engine)
    else:
        text = filter_html_escape(text)
    return filter_autop(filter_url(text, 72, rel=LINK_REL))


def problems_for(text: str, engine: str) -> list[str]:
    """Every oracle violation for ``text`` in both formats, rendered and unguarded."""
    problems = []
    for format_id in FORMATS:
        policy = POLICIES[format_id]
        rendered = render(text, format_id, engine=engine)
        for problem in violations(rendered.html, policy):
            problems.append(f"[render {format_id}/{engine}] {problem}\n    output: {rendered.html!r}")
        if rendered.report.guard_acted:
            problems.append(f"[render {format_id}/{engine}] the guard had to act: "
                            f"{dict(rendered.report.guard_removed)}\n    output: {rendered.html!r}")
        chained = unguarded_chain(text, format_id, engine)
        for problem in violations(chained, policy):
            problems.append(f"[unguarded chain {format_id}/{engine}] {problem}\n    output: {chained!r}")
    return problems


def fail_with(problems: list[str], payload) -> None:
    if problems:
        pytest.fail(f"payload {payload.id} ({payload.source}):\n  input: {payload.text!r}\n"
                    + "\n".join(f"  - {p}" for p in problems), pytrace=False)


# ---------------------------------------------------------------------------
# The oracle itself must catch what it claims to catch (it can fail, too).

@pytest.mark.parametrize("unsafe_html, expected_fragment", [
    ('<img src=x onerror=alert(1)>', "element <img>"),
    ('<a href="javascript:alert(1)">x</a>', "disallowed scheme 'javascript'"),
    ('<a href="jav&#x09;ascript:alert(1)">x</a>', "disallowed scheme 'javascript'"),
    ('<a href="&#x200b;JaVaScRiPt&colon;alert(1)">x</a>', "disallowed scheme 'javascript'"),
    ('<a href=" vbscript:x">x</a>', "disallowed scheme 'vbscript'"),
    ('<a href="data:text/html,x">x</a>', "disallowed scheme 'data'"),
    ('<p onclick="alert(1)">x</p>', "event handler attribute onclick"),
    ('<strong title="x">x</strong>', "attribute title='x' is not allowed on <strong>"),
    ('<!-- c --><em>x</em>', "comment node"),
    ('<svg><p>x</p></svg>', "foreign namespace"),
    ('<math><mtext><table><mglyph><style><!--</style><img title="--&gt;&lt;img src=1 onerror=alert(1)&gt;">',
     "mutation"),
    ('<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>', "mutation"),
])
def test_oracle_flags_unsafe_html(unsafe_html, expected_fragment):
    found = violations(unsafe_html, FILTERED_HTML)
    assert any(expected_fragment in problem for problem in found), found


@pytest.mark.parametrize("safe_html", [
    "",
    "<p>plain <em>and</em> <strong>strong</strong></p>\n",
    '<p>see <a href="https://example.com/?a=1&amp;b=2" rel="nofollow ugc">example.com</a></p>\n',
    '<p><a href="/relative/javascript:x">rel</a> <a href="#top">top</a> <a href="mailto:a@example.com">m</a></p>\n',
    "<blockquote><p>quoted<br />\nline</p>\n</blockquote>\n",
    "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; text</p>\n",
])
def test_oracle_accepts_safe_html(safe_html):
    assert violations(safe_html, FILTERED_HTML) == []


def test_plain_text_policy_rejects_filtered_html_markup():
    assert violations("<p><em>x</em></p>", PLAIN_TEXT) == [
        "element <em> is not allowed in plain_text"]


# ---------------------------------------------------------------------------
# The corpus.

def test_corpus_is_large_and_distinct():
    texts = [payload.text for payload in CORPUS]
    assert len(texts) >= 300
    assert len(set(texts)) == len(texts)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("payload", CORPUS, ids=lambda payload: payload.id)
def test_payload_renders_safely(payload, engine):
    fail_with(problems_for(payload.text, engine), payload)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("payload", CORPUS, ids=lambda payload: payload.id)
def test_payload_in_realistic_comment_renders_safely(payload, engine):
    problems = []
    for template in COMMENT_TEMPLATES:
        comment = template.format(payload=payload.text)
        problems.extend(f"{problem}\n    comment: {comment!r}"
                        for problem in problems_for(comment, engine))
    fail_with(problems, payload)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("payload", CORPUS, ids=lambda payload: payload.id)
def test_permissive_filter_html_drops_unsafe_urls(payload, engine):
    """URL attributes are allowed here, so their scheme filtering is what is tested.

    The same output then goes through filter_url and filter_autop, which must not
    link or break anything inside the attribute values the permissive list keeps.
    """
    output = filter_html(payload.text, PERMISSIVE_TAGS, nofollow=True, engine=engine)
    problems = [f"[filter_html permissive/{engine}] {problem}\n    output: {output!r}"
                for problem in violations(output, PERMISSIVE_POLICY)]
    chained = filter_autop(filter_url(output, 72, rel=LINK_REL))
    problems += [f"[permissive + filter_url + filter_autop/{engine}] {problem}\n    output: {chained!r}"
                 for problem in violations(chained, PERMISSIVE_WITH_LINKS)]
    fail_with(problems, payload)
