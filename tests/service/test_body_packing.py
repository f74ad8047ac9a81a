"""A decided comment's raw body, stored packed against its HTML: nothing lost, only smaller."""
import zlib

import pytest
from hypothesis import given, settings, strategies as st

from moderation.formats import render
from moderation.store import body_packing, keys
from moderation.store.comments import APPROVED, PENDING, PROCESSING

texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=3000)


@settings(max_examples=300, deadline=None)
@given(body=texts, html=texts)
def test_any_body_comes_back_exactly_or_stays_plain(body, html):
    packed = body_packing.pack(body, html)
    if packed is None:
        return
    assert len(packed) < len(body.encode())
    assert body_packing.unpack(packed, html) == body


@settings(max_examples=200, deadline=None)
@given(body=texts)
def test_a_rendered_body_packs_against_its_own_html(body):
    html = render(body, "filtered_html").html
    packed = body_packing.pack(body, html)
    assert packed is None or body_packing.unpack(packed, html) == body


def test_a_450_byte_comment_packs_to_a_few_dozen_bytes():
    body = ("The minister's answer leaves the main question open: who pays for the new line? "
            "See https://example.org/budget or write to desk@example.org.\n\nThe map shows the old route. ") * 3
    html = render(body, "filtered_html").html
    packed = body_packing.pack(body, html)
    assert packed is not None and len(packed) < len(body) // 5


def test_a_packed_body_needs_its_own_html():
    body = "Hello there, this is a comment long enough to be worth packing against its HTML."
    packed = body_packing.pack(body, f"<p>{body}</p>")
    with pytest.raises(zlib.error):
        body_packing.unpack(packed, "<p>Some other HTML entirely, of about the same length, different.</p>")


def decide(store, comment, html, to=APPROVED):
    assert store.transition(comment, allowed_from={PROCESSING, APPROVED, PENDING}, to=to, actor="test",
                            extra={"html": html, "report": None}, decision_reasons=["test"])
    return store.get(comment.site_id, comment.id)


@pytest.mark.parametrize("body", [
    "A long comment, written over several lines,\nwith a link https://example.org/a?b=c&d=e and <em>emphasis</em>.\n\n"
    "Second paragraph: é 😀 ش \u00a0 \"quotes\" & ampersands.",
    "x" * 20000,
])
def test_a_decided_comment_stores_its_body_packed_and_reads_it_back(comment_store, redis_client, body):
    created = comment_store.create({"site_id": "s1", "thread": "t1", "body": body, "format": "filtered_html"})
    start = comment_store.begin_attempt("s1", created.comment_id, 3)
    decided = decide(comment_store, start.comment, render(body, "filtered_html").html)
    stored = redis_client.hgetall(keys.comment_key("s1", created.comment_id))
    assert "body" not in stored and body_packing.PACKED_FIELD in stored
    assert "attempt_started_at" not in stored and "report" not in stored
    assert "parent" not in stored and "author_email" not in stored  # empty submission fields take no room
    assert decided.body == body and decided.parent == "" and decided.report == {}
    # A later write of the HTML packs the body again, against the new HTML.
    again = decide(comment_store, decided, "<p>rewritten by a later render</p>", to=PENDING)
    assert again.body == body and again.html == "<p>rewritten by a later render</p>"
    assert redis_client.hget(keys.comment_key("s1", created.comment_id), "body") in (None, body)


def test_a_body_that_would_not_shrink_stays_plain(comment_store, redis_client):
    created = comment_store.create({"site_id": "s1", "thread": "t1", "body": "ok", "format": "plain_text"})
    decided = decide(comment_store, comment_store.begin_attempt("s1", created.comment_id, 3).comment, "<p>ok</p>\n")
    stored = redis_client.hgetall(keys.comment_key("s1", created.comment_id))
    assert stored["body"] == "ok" and body_packing.PACKED_FIELD not in stored and decided.body == "ok"
