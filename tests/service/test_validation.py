"""validate_submission: a typed submission or field errors (pointers), never an exception."""
import pytest

from moderation.validation import CommentSubmission, DuplicateField, nest_form_fields, validate_submission

FORMATS = {"filtered_html", "plain_text"}


def validate(payload, max_comment_chars=1000):
    return validate_submission(payload, known_formats=FORMATS, default_format="filtered_html",
                               max_comment_chars=max_comment_chars)


def pointers(result):
    assert isinstance(result, list), result
    return {error.pointer for error in result}


VALID = {
    "thread": "article-123", "thread_url": "https://news.example/a/123", "thread_title": "Export controls",
    "parent": None, "author": {"name": "Ada", "email": "ada@example.org"}, "body": "Hello <em>world</em>",
    "format": "plain_text", "client": {"ip": "203.0.113.7", "user_agent": "Mozilla/5.0", "referrer": "https://news.example/"},
}


def test_valid_payload_becomes_a_submission():
    result = validate(VALID)
    assert result == CommentSubmission(
        thread="article-123", body="Hello <em>world</em>", format="plain_text", author_name="Ada",
        author_email="ada@example.org", thread_url="https://news.example/a/123",
        thread_title="Export controls", parent="", client_ip="203.0.113.7",
        client_user_agent="Mozilla/5.0", client_referrer="https://news.example/")


def test_format_defaults_and_optional_fields_may_be_absent():
    result = validate({"thread": "t1", "author": {"name": "A"}, "body": "x"})
    assert isinstance(result, CommentSubmission)
    assert result.format == "filtered_html" and result.author_email == "" and result.parent == ""


@pytest.mark.parametrize("change, pointer", [
    ({"body": ""}, "/body"),
    ({"body": "   \n "}, "/body"),
    ({"body": None}, "/body"),
    ({"body": 42}, "/body"),
    ({"body": "x" * 1001}, "/body"),
    ({"body": "a\x00b"}, "/body"),
    ({"body": "lone \ud800 surrogate"}, "/body"),
    ({"format": "full_html"}, "/format"),
    ({"thread": ""}, "/thread"),
    ({"thread": "has space"}, "/thread"),
    ({"thread": "a/b"}, "/thread"),
    ({"thread": "x" * 201}, "/thread"),
    ({"thread_url": "javascript:alert(1)"}, "/thread_url"),
    ({"thread_title": "t" * 301}, "/thread_title"),
    ({"parent": "not-an-id"}, "/parent"),
    ({"author": {"name": "A", "email": "not-an-email"}}, "/author/email"),
    ({"author": {"name": "A", "email": "a@localhost"}}, "/author/email"),
    ({"author": {"name": "A", "email": "a b@example.org"}}, "/author/email"),
    ({"author": {"name": "", "email": "a@example.org"}}, "/author/name"),
    ({"author": {"name": "n" * 101}}, "/author/name"),
    ({"author": "Ada"}, "/author"),
    ({"client": {"ip": "999.1.1.1"}}, "/client/ip"),
    ({"client": {"user_agent": "u" * 513}}, "/client/user_agent"),
])
def test_each_bad_field_is_reported_with_its_pointer(change, pointer):
    assert pointer in pointers(validate({**VALID, **change}))


def test_all_errors_are_reported_at_once():
    result = validate({"thread": "", "body": "", "author": {"email": "x"}, "format": "nope"})
    assert pointers(result) >= {"/thread", "/body", "/author/name", "/author/email", "/format"}


@pytest.mark.parametrize("payload", [[], "text", 3, None])
def test_a_non_object_payload_is_one_error(payload):
    assert pointers(validate(payload)) == {""}


def test_hostile_email_input_is_checked_in_linear_time():
    import time
    started = time.perf_counter()
    validate({**VALID, "author": {"name": "A", "email": "a@" + "a-." * 80 + "!"}})
    validate({**VALID, "author": {"name": "A", "email": "a" * 200 + "@" + "b" * 50}})
    assert time.perf_counter() - started < 0.5


def test_form_fields_nest_into_the_json_shape():
    payload = nest_form_fields([("thread", "t1"), ("author_name", "Ada"), ("author_email", "a@b.org"),
                                ("body", "hi"), ("client_ip", "::1"), ("unknown", "ignored"), ("unknown", "twice")])
    assert payload == {"thread": "t1", "author": {"name": "Ada", "email": "a@b.org"},
                       "body": "hi", "client": {"ip": "::1"}}
    assert isinstance(validate(payload), CommentSubmission)


def test_a_known_form_field_given_twice_is_refused():
    with pytest.raises(DuplicateField, match="body"):
        nest_form_fields([("thread", "t1"), ("body", "first"), ("body", "second")])
