"""Every intake error of the contract, each as RFC 9457 problem details (never a 500)."""
import json
import time

import pytest
import redis

from moderation import create_app
from moderation.problems import handle_error
from tests.service.helpers import assert_problem, auth, comment_payload, post_comment, post_raw
from tests.support.ports import free_port


def test_missing_and_invalid_api_keys_are_401(client, site_key):
    response = client.post("/api/v1/comments", json=comment_payload())
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert_problem(post_comment(client, "mk_not-a-real-key"), 401)
    assert_problem(client.post("/api/v1/comments", json=comment_payload(),
                               headers={"Authorization": "Basic Zm9vOmJhcg=="}), 401)


def test_browser_origin_not_allowed_for_the_site_is_403(client, site_key):
    assert_problem(post_comment(client, site_key, Origin="https://evil.example"), 403)


def test_malformed_json_is_400(client, site_key):
    problem = assert_problem(post_raw(client, site_key, b'{"thread": "t1", "body": '), 400)
    assert "Malformed JSON" in problem["detail"]


def test_absurdly_nested_json_is_400_not_500(client, site_key):
    assert_problem(post_raw(client, site_key, b"[" * 60000), 400)


def test_body_over_the_limit_is_413(client, site_key):
    huge = json.dumps(comment_payload(body="x" * 70000)).encode()
    assert_problem(post_raw(client, site_key, huge), 413)


@pytest.mark.parametrize("content_type", ["text/plain", "multipart/form-data; boundary=x", "application/xml",
                                          "application/json; charset=latin-1"])
def test_other_media_types_are_415(client, site_key, content_type):
    assert_problem(post_raw(client, site_key, b"{}", content_type=content_type), 415)


def test_missing_content_type_is_415(client, site_key):
    response = client.post("/api/v1/comments", data=b"{}", headers=auth(site_key))
    assert_problem(response, 415)


def test_invalid_utf8_bytes_are_422(client, site_key):
    raw = json.dumps(comment_payload(body="PLACEHOLDER")).encode().replace(b"PLACEHOLDER", b"caf\xe9 \xff")
    assert_problem(post_raw(client, site_key, raw), 422, pointer="")


def test_invalid_utf8_in_a_form_field_is_422(client, site_key):
    raw = b"thread=t1&author_name=Ada&body=caf%E9"
    assert_problem(post_raw(client, site_key, raw, "application/x-www-form-urlencoded"), 422)


@pytest.mark.parametrize("raw_body", [
    b'{"thread": "t1", "author": {"name": "Ada"}, "body": "a\\u0000b"}',   # JSON escape
    b'{"thread": "t1", "author": {"name": "Ada"}, "body": "a\x00b"}',      # raw NUL byte
])
def test_nul_characters_are_422(client, site_key, raw_body):
    assert_problem(post_raw(client, site_key, raw_body), 422, pointer="/body")


def test_lone_surrogate_escape_is_422(client, site_key):
    raw = b'{"thread": "t1", "author": {"name": "Ada"}, "body": "bad \\ud800 text"}'
    assert_problem(post_raw(client, site_key, raw), 422, pointer="/body")


@pytest.mark.parametrize("overrides, pointer", [
    ({"body": ""}, "/body"),
    ({"body": "   "}, "/body"),
    ({"format": "full_html"}, "/format"),
    ({"author": {"name": "Ada", "email": "ada(at)example"}}, "/author/email"),
    ({"thread": "t" * 201}, "/thread"),
    ({"author": {"name": "n" * 101}}, "/author/name"),
    ({"body": "b" * 20001}, "/body"),
    ({"thread_title": "t" * 301}, "/thread_title"),
    ({"parent": "0" * 32}, "/parent"),
])
def test_validation_errors_are_422_with_field_pointers(client, site_key, overrides, pointer):
    problem = assert_problem(post_comment(client, site_key, comment_payload(**overrides)), 422, pointer=pointer)
    assert problem["type"] == "/problems/validation-error"


def test_unknown_comment_and_route_are_404(client, site_key):
    assert_problem(client.get("/api/v1/comments/" + "a" * 32, headers=auth(site_key)), 404)
    assert_problem(client.get("/api/v1/comments/../../etc", headers=auth(site_key)), 404)
    assert_problem(client.get("/nope"), 404)


def test_wrong_method_is_405_problem(client):
    response = client.delete("/api/v1/comments")
    assert_problem(response, 405)
    assert "POST" in response.headers["Allow"]


def test_another_sites_comment_is_404(client, site_key, site_store):
    accepted = post_comment(client, site_key)
    assert accepted.status_code == 202
    _other, other_key = site_store.create("Other", [])
    assert_problem(client.get(f"/api/v1/comments/{accepted.json['id']}", headers=auth(other_key)), 404)


def test_rate_limit_is_429_with_retry_after(redis_url, site_key):
    app = create_app({"MODERATION_REDIS_URL": redis_url, "MODERATION_RATE_LIMIT": "2/hour", "TESTING": True})
    client = app.test_client()
    statuses = [post_comment(client, site_key).status_code for _ in range(2)]
    limited = post_comment(client, site_key)
    assert statuses == [202, 202]
    assert_problem(limited, 429)
    assert int(limited.headers["Retry-After"]) > 0
    assert assert_problem(limited, 429)["limited_by"] == "ip"
    other_reader = comment_payload(client={"ip": "198.51.100.1"}, author={"name": "Bo", "email": "bo@example.org"})
    assert post_comment(client, site_key, other_reader).status_code == 202  # per commenter
    rotating = comment_payload(client={"ip": "198.51.100.77"})  # Ada again, from another IP
    assert assert_problem(post_comment(client, site_key, rotating), 429)["limited_by"] == "email"


def test_a_site_posting_without_client_ips_is_not_one_commenter_and_has_a_ceiling(redis_url, site_key):
    app = create_app({"MODERATION_REDIS_URL": redis_url, "MODERATION_RATE_LIMIT": "2/hour",
                      "MODERATION_SITE_RATE_LIMIT": "5/hour", "TESTING": True})
    client = app.test_client()
    statuses = [post_comment(client, site_key, comment_payload(client=None, author={
        "name": f"Reader {n}", "email": f"reader{n}@example.org"})).status_code for n in range(6)]
    assert statuses == [202] * 5 + [429]  # five readers behind the CMS's one address, then the ceiling
    rotating = [post_comment(client, site_key, comment_payload(client={"ip": f"198.51.100.{n}"}, author={
        "name": "Spammer"})).status_code for n in range(3)]
    assert rotating == [429, 429, 429]  # the site's ceiling holds whatever IPs are claimed


@pytest.mark.timeout(30)
def test_redis_unreachable_is_a_fast_503_and_livez_stays_up():
    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    client = create_app({"MODERATION_REDIS_URL": dead, "TESTING": True}).test_client()
    started = time.monotonic()
    response = post_comment(client, "mk_whatever")
    assert time.monotonic() - started < 5
    problem = assert_problem(response, 503)
    assert problem["type"] == "/problems/store-unavailable" and response.headers["Retry-After"]
    ready = client.get("/readyz")
    assert_problem(ready, 503)
    assert ready.json["checks"]["redis"] == "fail" and "unreachable" in ready.json["details"]["redis"]
    assert client.get("/livez").status_code == 200


def test_thread_listing_preflight_passes_and_the_get_decides(client, site):
    """A preflight carries no key, so it is answered for any origin; the GET itself gets CORS
    headers only for the site's origins."""
    allowed = client.options(f"/api/v1/threads/t1/comments?site={site.id}",
                             headers={"Origin": "https://news.example", "Access-Control-Request-Method": "GET"})
    assert allowed.status_code == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://news.example"
    assert "GET" in allowed.headers["Access-Control-Allow-Methods"]
    listed = client.get(f"/api/v1/threads/t1/comments?site={site.id}", headers={"Origin": "https://news.example"})
    assert listed.headers["Access-Control-Allow-Origin"] == "https://news.example"
    denied = client.get(f"/api/v1/threads/t1/comments?site={site.id}", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in denied.headers


def test_thread_listing_needs_a_known_site_and_valid_paging(client, site):
    assert_problem(client.get("/api/v1/threads/t1/comments"), 404)
    assert_problem(client.get("/api/v1/threads/t1/comments?site=nosuchsite"), 404)
    assert_problem(client.get(f"/api/v1/threads/t1/comments?site={site.id}&limit=0"), 400)
    assert_problem(client.get(f"/api/v1/threads/t1/comments?site={site.id}&cursor=-1"), 400)
    empty = client.get(f"/api/v1/threads/t1/comments?site={site.id}")
    assert empty.status_code == 200 and empty.json["comments"] == [] and empty.json["next_cursor"] is None


@pytest.mark.parametrize("error", [
    redis.exceptions.ConnectionError("refused"), redis.exceptions.TimeoutError("slow"),
    redis.exceptions.BusyLoadingError("LOADING"), redis.exceptions.ReadOnlyError("READONLY demoted"),
    redis.exceptions.ClusterDownError("CLUSTERDOWN"), redis.exceptions.TryAgainError("TRYAGAIN"),
    redis.exceptions.SlotNotCoveredError("slot 42"), redis.exceptions.RedisClusterUnreachableError("none"),
    redis.exceptions.OutOfMemoryError("OOM"), redis.exceptions.MovedError("3999 127.0.0.1:7002"),
])
def test_a_store_that_cannot_answer_now_is_a_503_with_retry_after(app, error):
    with app.test_request_context("/api/v1/comments", method="POST"):
        response = handle_error(error)
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert response.json["type"].endswith("store-unavailable")


def test_any_other_redis_error_is_a_500_without_details(app):
    with app.test_request_context("/api/v1/comments", method="POST"):
        response = handle_error(redis.exceptions.ResponseError("ERR wrong number of arguments"))
    assert response.status_code == 500 and "arguments" not in response.get_data(as_text=True)
