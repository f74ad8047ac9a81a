"""Hostile HTTP against the running API (real gunicorn, gevent workers), driven by Hypothesis.

Malformed and deeply nested JSON, wrong types, invalid UTF-8, NULs, lone
surrogates, huge fields, chunked and partial bodies, conflicting framing and
header abuse, sent as raw bytes on a socket. Whatever arrives, the answer
comes within seconds, is never a 5xx, and every error is an RFC 9457 problem
(``application/problem+json`` whose ``status`` matches). A request whose headers
never end gets no answer (there is nothing to answer yet): that is the only
silence allowed.
"""
from __future__ import annotations

import json
import socket
import time

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.service.helpers import comment_payload

pytestmark = pytest.mark.e2e

ANSWER_SECONDS = 10
fuzz = settings(max_examples=120, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture
def server(start_api_server):
    return start_api_server(WEB_CONCURRENCY=2)


def exchange(port: int, data: bytes, method: str = "") -> list[tuple[int, dict[str, str], bytes]]:
    """Send ``data``, close our side, read what comes back: each answer's (status, headers, body).

    Usually one; gunicorn may add a second when bytes after the first request do not parse.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=ANSWER_SECONDS) as sock:
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except OSError:  # the server answered and closed before reading everything
            pass
        reply = b""
        started = time.monotonic()
        try:
            while chunk := sock.recv(65536):
                reply += chunk
        except ConnectionResetError:
            pass
        assert time.monotonic() - started < ANSWER_SECONDS, "the server hung"
    answers = []
    while reply:
        head, _, rest = reply.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {name.strip().lower(): value.strip() for name, _, value in
                   (line.partition(":") for line in lines[1:])}
        if method == "HEAD" and not answers and (not rest or rest.startswith(b"HTTP/")):
            body, reply = b"", rest  # the app's HEAD answers have no body (gunicorn's errors do)
        elif "content-length" in headers:
            size = int(headers["content-length"])
            body, reply = rest[:size], rest[size:]
        else:
            body, reply = (dechunk(rest) if headers.get("transfer-encoding") == "chunked" else rest), b""
        answers.append((status, headers, body))
    return answers


def dechunk(body: bytes) -> bytes:
    out = b""
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out, body = out + rest[:size], rest[size + 2:]
    return out


def assert_sane_answer(answers, data: bytes, method: str = "") -> None:
    if not answers:
        assert b"\r\n\r\n" not in data, "a complete request got no answer"
    for answer in answers:
        assert_sane(answer, method)


def assert_sane(answer, method: str) -> None:
    status, headers, body = answer
    assert status < 500, (status, body[:500])
    assert headers.get("x-content-type-options") == "nosniff", headers
    if status >= 400 and (body or method != "HEAD"):  # (an answer to HEAD may have headers only)
        assert headers.get("content-type", "").startswith("application/problem+json"), (status, headers, body[:300])
        problem = json.loads(body)
        assert problem["status"] == status and problem["title"]


def request_bytes(method: str, path: str, headers: list[tuple[str, str]], body: bytes,
                  framing: str) -> bytes:
    head = [f"{method} {path} HTTP/1.1", "Host: localhost", "Connection: close"]
    head += [f"{name}: {value}" for name, value in headers]
    if framing == "length":
        head.append(f"Content-Length: {len(body)}")
        payload = body
    elif framing == "chunked":
        head.append("Transfer-Encoding: chunked")
        payload = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 7]), body[i:i + 7]) for i in range(0, len(body), 7))
        payload += b"0\r\n\r\n"
    elif framing == "partial":  # promises more than it sends, then hangs up
        head.append(f"Content-Length: {len(body) + 100}")
        payload = body
    elif framing == "both":  # Content-Length and chunked together: a smuggling attempt
        head += [f"Content-Length: {len(body)}", "Transfer-Encoding: chunked"]
        payload = body
    else:  # none: no framing header at all
        payload = body
    return "\r\n".join(head).encode("latin-1", "replace") + b"\r\n\r\n" + payload


json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
json_documents = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4) |
                              st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=10)
nasty_strings = st.sampled_from([
    "\x00", "\ud800", "\udfff\ud800", "\u202e", "\x1b[31m", "\r\n", "<script>alert(1)</script>",
    "A" * 30000, "\ufeff", "\U0001f600" * 500, "&#0;", "%00", "../../etc/passwd",
])


@st.composite
def comment_bodies(draw) -> bytes:
    kind = draw(st.sampled_from(["valid-ish", "wrong-types", "json", "nested", "raw", "invalid-utf8",
                                 "surrogate-escape", "nan", "duplicate", "form"]))
    if kind == "valid-ish":
        payload = comment_payload()
        field = draw(st.sampled_from(["body", "thread", "format", "parent", "thread_url", "thread_title"]))
        payload[field] = draw(nasty_strings | st.text(max_size=50))
        if draw(st.booleans()):
            payload["author"] = {"name": draw(nasty_strings | st.text(max_size=30))}
        return json.dumps(payload).encode("utf-8", "surrogatepass")
    if kind == "wrong-types":
        payload = comment_payload()
        payload[draw(st.sampled_from(list(payload)))] = draw(json_documents)
        return json.dumps(payload).encode()
    if kind == "json":
        return json.dumps(draw(json_documents)).encode()
    if kind == "nested":
        depth = draw(st.integers(100, 50000))
        return draw(st.sampled_from([b"[" * depth, b'{"a":' * depth + b"1" + b"}" * depth]))
    if kind == "invalid-utf8":
        return b'{"thread": "t", "body": "' + draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80"])) + b'"}'
    if kind == "surrogate-escape":
        return b'{"thread": "t", "author": {"name": "A"}, "body": "\\ud800\\udc00\\ud800"}'
    if kind == "nan":
        return b'{"thread": "t", "author": {"name": "A"}, "body": "b", "n": ' + draw(
            st.sampled_from([b"NaN", b"Infinity", b"-Infinity", b"1e999999"])) + b"}"
    if kind == "duplicate":
        return b'{"thread": "t", "author": {"name": "A"}, "body": "b", "body": "c"}'
    if kind == "form":
        return draw(st.sampled_from([b"body=%ff%fe", b"thread=a&body=b&body=c", b"a=" * 200, b"%%%", b"=&=&"]))
    return draw(st.binary(max_size=400))


header_values = st.sampled_from([
    "x" * 9000, "\x00", "\u00ff", "bearer", "Bearer ", "Bearer " + "a" * 5000, "application/json; charset=latin-1",
    "application/json; charset=utf-8; charset=utf-8", "text/plain", "multipart/form-data; boundary=x",
    "gzip", "chunked, gzip", "*/*", "1" * 300, "null", "https://evil.example", "-1",
])


@fuzz
@given(body=comment_bodies(), framing=st.sampled_from(["length", "chunked", "partial", "both", "none"]),
       content_type=st.sampled_from(["application/json", "application/x-www-form-urlencoded",
                                     "application/problem+json", "text/plain", ""]),
       key_ok=st.booleans(), extra=st.lists(st.tuples(st.sampled_from(
           ["X-Request-Id", "Idempotency-Key", "Origin", "Content-Encoding", "Expect", "X-Forwarded-For",
            "Authorization", "Content-Type"]), header_values), max_size=2))
def test_hostile_comment_submissions(server, site_key, body, framing, content_type, key_ok, extra):
    headers = [("Authorization", f"Bearer {site_key}" if key_ok else "Bearer mk_nope")]
    if content_type:
        headers.append(("Content-Type", content_type))
    data = request_bytes("POST", "/api/v1/comments", headers + extra, body, framing)
    assert_sane_answer(exchange(server.port, data), data)


@fuzz
@given(method=st.sampled_from(["GET", "HEAD", "OPTIONS", "DELETE", "PUT", "PATCH", "TRACE", "CONNECT",
                               "BREW", "get", "G\x00T"]),
       path=st.sampled_from(["/", "/livez", "/readyz", "/metrics", "/api/v1/formats", "/api/v1/comments",
                             "/api/v1/comments/" + "a" * 32, "/api/v1/comments/%00", "/api/v1/threads/t/comments",
                             "/api/v1/threads/%2e%2e/comments", "/api/v1/threads/" + "x" * 5000 + "/comments",
                             "http://evil.example/livez", "*", "//livez", "/api/v1/threads/t/comments?site=%ff"]),
       query=st.sampled_from(["", "?limit=-1", "?limit=99999999999999999999", "?cursor=%00", "?site=demo&cursor=1",
                              "?a=" + "b" * 9000, "?limit=1&limit=2"]),
       extra=st.lists(st.tuples(st.sampled_from(["Authorization", "Origin", "X-Request-Id", "Cookie", "Range",
                                                 "If-None-Match", "Accept"]), header_values), max_size=3))
def test_hostile_reads_and_odd_methods(server, method, path, query, extra):
    data = request_bytes(method, path + query, extra, b"", "none")
    assert_sane_answer(exchange(server.port, data, method), data, method)


@fuzz
@given(data=st.one_of(
    st.binary(max_size=300),
    st.builds(lambda junk: b"GET /livez HTTP/1.1\r\n" + junk + b"\r\n\r\n", st.binary(max_size=200)),
    st.builds(lambda count: b"GET /livez HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * count + b"\r\n",
              st.integers(90, 300)),
    st.sampled_from([b"GET /livez HTTP/9.9\r\n\r\n", b"GET /livez\r\n\r\n", b"\r\n\r\n", b"GET  /livez HTTP/1.1\r\n\r\n",
                     b"POST /api/v1/comments HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
                     b"POST /api/v1/comments HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
                     b"POST /api/v1/comments HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello",
                     b"GET /livez HTTP/1.1\r\nHost: x\r\n folded: header\r\n\r\n",
                     b"GET /livez HTTP/1.0\r\n\r\n", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"])))
def test_malformed_http(server, data):
    assert_sane_answer(exchange(server.port, data), data)
