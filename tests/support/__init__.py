"""Process helpers for tests that run real Redis servers and real Celery workers.

- :mod:`tests.support.redis_server`: a ``redis-server`` on a free port in a temp
  dir (AOF on), with kill -9 / restart on the same dir / CLIENT PAUSE / SIGSTOP.
- :mod:`tests.support.workers`: Celery worker processes (prefork, concurrency 1)
  with a readiness wait and SIGTERM / SIGKILL-main / SIGKILL-pool-child helpers.
- :mod:`tests.support.polling`: :func:`wait_until` for eventually-true checks.

Every helper signals only processes it started (by pid or by the process group
it created with ``start_new_session=True``).
"""
