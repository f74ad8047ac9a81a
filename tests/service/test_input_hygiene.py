"""Issue #8, findings 4 and 5: what the API refuses, and what it gives a page to print safely.

- Control characters (ANSI escapes, CR/LF in one-line fields, C1, DEL) and bidirectional
  embeddings/overrides/isolates are refused in every text field, with a pointer.
- ``author.name`` is plain text: returned exactly as stored, with ``name_html`` escaped.
- Duplicate JSON members, repeated form fields, NaN/Infinity: 400.
- ``X-Content-Type-Options: nosniff`` everywhere; ``Cache-Control: no-store`` on answers to
  requests carrying an API key.
- Cursors are opaque.
"""
from __future__ import annotations

import json

import pytest

from tests.service.helpers import assert_problem, auth, comment_payload, post_comment, post_raw

HOSTILE_NAME = "<img src=x onerror=alert(document.cookie)>"


@pytest.mark.parametrize("name", ["Ada\x1b[31m red", "Ada\r\nSet-Cookie: x=1", "Ada\u202eevil", "Ada\x85",
                                  "Ada\x7f", "Ada\u2066x\u2069", "Ada\x00", "A\u2028B"])
def test_control_and_bidi_characters_in_a_name_are_refused(client, site_key, name):
    response = post_comment(client, site_key, comment_payload(author={"name": name}))
    problem = assert_problem(response, 422, "/author/name")
    assert "U+" in json.dumps(problem["errors"])  # says which character


@pytest.mark.parametrize("field, value", [("thread_title", "Title\x1b[2J"), ("thread_title", "Two\nlines"),
                                          ("body", "Hello \u202eevil"), ("body", "Hi \x1b]8;;x\x07"),
                                          ("body", "C1 \x9b here")])
def test_control_and_bidi_characters_in_other_fields_are_refused(client, site_key, field, value):
    assert_problem(post_comment(client, site_key, comment_payload(**{field: value})), 422, f"/{field}")


def test_a_body_keeps_its_tabs_and_line_breaks_and_bidi_marks(client, site_key, site_comments):
    body = "Line one\r\n\tLine two\n\u200fשלום\u200e ok"
    response = post_comment(client, site_key, comment_payload(body=body))
    assert response.status_code == 202
    assert site_comments.get(response.json["id"]).body == body  # the raw text, as sent


def test_a_name_is_plain_text_stored_as_sent_and_printed_escaped(client, site, site_key, site_comments):
    response = post_comment(client, site_key, comment_payload(author={"name": f"  {HOSTILE_NAME}  "}))
    assert response.status_code == 202
    site_comments.process(response.json["id"])
    listing = client.get(f"/api/v1/threads/article-123/comments?site={site.id}").json
    author = listing["comments"][0]["author"]
    assert author["name"] == HOSTILE_NAME  # plain text (trimmed), never HTML
    assert author["name_html"] == "&lt;img src=x onerror=alert(document.cookie)&gt;"
    status = client.get(f"/api/v1/comments/{response.json['id']}", headers=auth(site_key)).json
    assert status["author"] == author


def test_names_are_unicode_normalized(client, site_key, site_comments):
    response = post_comment(client, site_key, comment_payload(author={"name": "Zoe\u0301"}))  # e + combining acute
    assert site_comments.get(response.json["id"]).author_name == "Zo\u00e9"


@pytest.mark.parametrize("raw", [b'{"thread": "a", "body": "x", "body": "y", "author": {"name": "A"}}',
                                 b'{"thread": "a", "body": "x", "author": {"name": "A", "name": "B"}}'])
def test_duplicate_json_members_are_refused(client, site_key, raw):
    problem = assert_problem(post_raw(client, site_key, raw), 400)
    assert problem["type"] == "/problems/malformed-json" and "twice" in problem["detail"]


def test_repeated_form_fields_are_refused(client, site_key):
    form = b"thread=a&author_name=Ada&body=first&body=second"
    problem = assert_problem(post_raw(client, site_key, form, "application/x-www-form-urlencoded"), 400)
    assert "body" in problem["detail"]


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_non_standard_json_numbers_are_refused(client, site_key, constant):
    raw = b'{"thread": "a", "body": "x", "author": {"name": "A"}, "extra": ' + constant + b"}"
    problem = assert_problem(post_raw(client, site_key, raw), 400)
    assert problem["type"] == "/problems/malformed-json"


@pytest.mark.parametrize("method, path", [("GET", "/livez"), ("GET", "/readyz"), ("GET", "/nowhere"),
                                          ("GET", "/api/v1/formats"), ("POST", "/api/v1/comments")])
def test_every_response_says_nosniff(client, method, path):
    assert client.open(path, method=method).headers["X-Content-Type-Options"] == "nosniff"


def test_authenticated_answers_are_not_stored_by_caches(client, site_key):
    posted = post_comment(client, site_key)
    read = client.get(f"/api/v1/comments/{posted.json['id']}", headers=auth(site_key))
    assert posted.headers["Cache-Control"] == "no-store" and read.headers["Cache-Control"] == "no-store"
    assert client.get(f"/api/v1/comments/{posted.json['id']}", headers=auth("mk_wrong")).headers[
        "Cache-Control"] == "no-store"


def test_cursors_are_opaque_and_checked(client, site, site_key, site_comments):
    ids = []
    for number in range(3):
        response = post_comment(client, site_key, comment_payload(body=f"comment {number}"))
        site_comments.process(response.json["id"])
        ids.append(response.json["id"])
    first = client.get(f"/api/v1/threads/article-123/comments?site={site.id}&limit=2").json
    assert first["next_cursor"] == ids[1]  # a comment id, no service-wide counter
    assert first["next"].endswith(f"&cursor={ids[1]}")
    rest = client.get(first["next"].split("http://localhost", 1)[-1]).json
    assert [comment["id"] for comment in rest["comments"]] == ids[2:]
    for bad in ["17", "0" * 32, "zz"]:
        assert_problem(client.get(f"/api/v1/threads/article-123/comments?site={site.id}&cursor={bad}"), 400)
