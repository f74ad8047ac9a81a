"""Issue #8, findings 2 and 3, against the real server (gunicorn + gevent workers).

- Slow clients cannot starve the API: 50 sockets that never finish their
  headers leave /livez and a POST answering within a second; a client that
  dribbles its headers is cut off after the keep-alive deadline, one that
  dribbles its body after the request deadline.
- A body over the limit is a 413 whatever its framing (Content-Length or
  chunked); a chunked body under the limit is stored whole.
"""
from __future__ import annotations

import json
import socket
import time

import pytest

from tests.service.helpers import comment_payload

pytestmark = pytest.mark.e2e

SLOW_SOCKETS = 50


def open_socket(port: int, first_bytes: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(first_bytes)
    return sock


def is_closed_by_server(sock: socket.socket, within: float) -> bool:
    """True when the server closes the connection (EOF or reset) within ``within`` seconds."""
    sock.settimeout(within)
    try:
        return sock.recv(4096) == b"" or True  # any answer (a 408/400) then EOF also counts
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def post_json(server, api_key: str, payload: dict, timeout: float = 5.0):
    return server.request("POST", "/api/v1/comments", body=json.dumps(payload).encode(), timeout=timeout,
                          headers={"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"})


def test_fifty_idle_sockets_leave_livez_and_a_post_answering_within_a_second(start_api_server, site_key):
    server = start_api_server(WEB_CONCURRENCY=2)
    idle = [open_socket(server.port, b"POST /api/v1/comments HTTP/1.1\r\nHost: x\r\n") for _ in range(SLOW_SOCKETS)]
    try:
        time.sleep(0.5)  # the server has accepted them all and is waiting for their headers
        started = time.monotonic()
        live = server.request("GET", "/livez", timeout=1)
        livez_seconds = time.monotonic() - started
        started = time.monotonic()
        posted = post_json(server, site_key, comment_payload(), timeout=1)
        post_seconds = time.monotonic() - started
    finally:
        for sock in idle:
            sock.close()
    assert live.status == 200 and livez_seconds < 1.0, (live, livez_seconds)
    assert posted.status == 202 and post_seconds < 1.0, (posted, post_seconds)


def test_a_client_dribbling_its_headers_is_cut_off_after_the_keepalive_deadline(start_api_server):
    server = start_api_server(GUNICORN_KEEPALIVE=2)
    sock = open_socket(server.port, b"GET /livez HTTP/1.1\r\n")
    try:
        deadline = time.monotonic() + 6
        closed = False
        while time.monotonic() < deadline and not closed:
            try:
                sock.sendall(b"X-Slow: 1\r\n")  # one header line every half second, never the blank line
            except OSError:
                closed = True
                break
            closed = is_closed_by_server(sock, 0.5)
        assert closed, "the server kept a connection that never finished its headers"
    finally:
        sock.close()


def test_a_client_dribbling_its_body_is_cut_off_after_the_request_deadline(start_api_server, site_key):
    server = start_api_server(GUNICORN_TIMEOUT=3)
    head = (f"POST /api/v1/comments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {site_key}\r\n"
            "Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n").encode()
    sock = open_socket(server.port, head)
    try:
        closed_after = None
        started = time.monotonic()
        while time.monotonic() - started < 10:
            try:
                sock.sendall(b" ")
            except OSError:
                closed_after = time.monotonic() - started
                break
            if is_closed_by_server(sock, 0.5):
                closed_after = time.monotonic() - started
                break
        assert closed_after is not None and closed_after < 8, closed_after
    finally:
        sock.close()
    assert server.request("GET", "/livez", timeout=1).status == 200


def chunked_request(port: int, api_key: str, body: bytes, chunk_size: int = 4096) -> tuple[int, bytes]:
    """POST ``body`` with Transfer-Encoding: chunked; (status, response body)."""
    head = (f"POST /api/v1/comments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {api_key}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n"
            "Connection: close\r\n\r\n").encode()
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + chunk_size]), body[i:i + chunk_size])
                      for i in range(0, len(body), chunk_size))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        try:
            sock.sendall(head + chunks + b"0\r\n\r\n")
        except OSError:
            pass  # the server may answer 413 and close before reading everything
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    status_line, _, rest = reply.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


TAIL = b"&body=The+last+words+of+the+comment"


def form_body(size: int) -> bytes:
    """A form-encoded comment of exactly ``size`` bytes: an ignored field pads it, and the
    comment's body comes last, so a truncated request loses it."""
    prefix = b"thread=article-1&author_name=Ada&format=plain_text&padding="
    return prefix + b"x" * (size - len(prefix) - len(TAIL)) + TAIL


def test_a_chunked_body_over_the_limit_is_413_not_truncated(start_api_server, site_key, redis_client):
    server = start_api_server()
    status, body = chunked_request(server.port, site_key, form_body(67 * 1024))
    assert status == 413, body
    assert json.loads(body)["status"] == 413
    assert not redis_client.keys("mod:comment:*")  # nothing stored


@pytest.mark.parametrize("size", [1000, 65536])
def test_a_chunked_body_within_the_limit_is_stored_whole(start_api_server, site_key, site_comments, size):
    server = start_api_server()
    body = form_body(size)
    status, reply = chunked_request(server.port, site_key, body)
    assert status == 202, reply
    assert site_comments.get(json.loads(reply)["id"]).body == "The last words of the comment"


def test_a_content_length_over_the_limit_is_413(start_api_server, site_key):
    server = start_api_server()
    reply = server.request("POST", "/api/v1/comments", body=form_body(65537), headers={
        "Authorization": f"Bearer {site_key}", "Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 413 and reply.json()["status"] == 413
