"""The API's gunicorn worker class: gevent, with a deadline on every request.

Why gevent: a sync worker is blocked by one client that never finishes its
headers (two idle sockets stopped both workers of ``make run`` for 30 s). A
gevent worker serves each connection in its own greenlet, up to
``worker_connections``, so slow sockets cost a little memory, not the service.

Two deadlines bound what one connection can hold:
- headers: gunicorn's async workers read each request's headers under
  ``keepalive`` seconds (``GUNICORN_KEEPALIVE``), the first request included;
  a client that dribbles its headers is disconnected after that;
- the whole request (body upload, our handling, the response):
  ``timeout`` seconds (``GUNICORN_TIMEOUT``), after which the connection is
  closed. Our own work is bounded far below it (Redis calls time out in about
  a second), so only a client that sends its body too slowly meets it.
"""
from __future__ import annotations

import json

import gevent
from gunicorn import glogging, util
from gunicorn.workers.ggevent import GeventWorker


class RequestDeadline(gevent.Timeout):
    """Raised in a request's greenlet when it runs past the worker's ``timeout``."""


def write_problem(sock, status_int: int, reason: str, message: str) -> None:
    """gunicorn's answer to a request it cannot parse, as an RFC 9457 problem like the app's.

    gunicorn writes these itself (bad request line, header too large, bad chunk,
    an unsupported transfer coding) before the app sees anything; its own page is
    HTML. An unsupported transfer coding is the client's error here: 400, not 501.
    """
    if status_int == 501:
        status_int, reason = 400, "Bad Request"
    body = json.dumps({"type": "about:blank", "title": reason, "status": status_int, "detail": message}).encode()
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/problem+json\r\nContent-Length: {len(body)}\r\n"
            "X-Content-Type-Options: nosniff\r\n\r\n")
    util.write_nonblock(sock, head.encode("latin-1") + body)


class GeventApiWorker(GeventWorker):
    def init_process(self):
        # gunicorn's workers call util.write_error for requests they cannot parse; in this
        # process (ours alone) it writes a problem+json instead of an HTML page.
        util.write_error = write_problem
        super().init_process()

    def handle_request(self, listener_name, req, sock, addr):
        deadline = RequestDeadline(self.cfg.timeout)
        deadline.start()
        try:
            return super().handle_request(listener_name, req, sock, addr)
        except RequestDeadline as exc:
            if exc is not deadline:
                raise
            self.log.warning("closed a request from %s after %ss (GUNICORN_TIMEOUT): %s %s",
                             addr[0] if addr else "?", self.cfg.timeout, req.method, req.path)
            raise StopIteration() from None  # gunicorn closes the connection
        finally:
            deadline.close()


class GunicornLogger(glogging.Logger):
    """gunicorn's logger without its access log: the app writes one line per request itself,
    with the request id (moderation/api/request_hooks.py). gunicorn would otherwise format an
    access record for every request (our logging config makes it think one may be wanted)."""

    def access(self, resp, req, environ, request_time) -> None:
        return None
