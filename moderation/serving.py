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

import gevent
from gunicorn.workers.ggevent import GeventWorker


class RequestDeadline(gevent.Timeout):
    """Raised in a request's greenlet when it runs past the worker's ``timeout``."""


class GeventApiWorker(GeventWorker):
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
