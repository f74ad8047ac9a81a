"""The API worker's one change to redis-py under gevent, in a monkey-patched process of its own."""
from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    from gevent import monkey
    monkey.patch_all()
    import select, sys
    import redis
    from redis._parsers import hiredis
    from moderation.serving import native_poll_for_redis_readiness_checks

    gevent_poll = hiredis.select.poll
    assert native_poll_for_redis_readiness_checks()
    assert hiredis.select.poll is monkey.get_original("select", "poll") is not gevent_poll
    assert select.poll is gevent_poll  # nothing else in the process changed

    client = redis.Redis.from_url(sys.argv[1], decode_responses=True)
    admin = redis.Redis.from_url(sys.argv[1], decode_responses=True)
    client.set("serving:k", "v")
    assert client.get("serving:k") == "v"  # the pooled connection passed the check
    # A connection the server closed is still noticed when taken from the pool (and replaced).
    admin.client_kill_filter(_type="normal", skipme=True)
    assert client.get("serving:k") == "v"
    print("ok")
""")


def test_redis_readiness_checks_use_the_native_poll_and_still_catch_closed_sockets(redis_url):
    done = subprocess.run([sys.executable, "-c", SCRIPT, redis_url], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]
