"""The store's Lua scripts (``moderation/store/lua/*.lua``), registered on a Redis client.

Each script is sent as: the generated constants (``STATE``, the comment states
of :mod:`moderation.store.states`, and ``LATENCY_BUCKETS``), then ``prelude.lua``
(helpers every script shares), then the script's own file. The constants are
written from the Python values, so the Lua and the Python cannot disagree.
"""
from __future__ import annotations

import functools
from pathlib import Path

import redis
from redis.commands.core import Script
from redis.exceptions import MovedError, NoScriptError

from moderation.store.states import ALL_STATES, LATENCY_BUCKETS

LUA_DIR = Path(__file__).with_name("lua")


def lua_number(value: float) -> str:
    """A number as Lua's tostring writes it (``%.14g``): the latency bucket field names."""
    return f"{value:.14g}"


@functools.cache
def source(name: str) -> str:
    """The full text sent to Redis for ``lua/<name>.lua``."""
    states = ", ".join(f"{state} = '{state}'" for state in sorted(ALL_STATES))
    buckets = ", ".join(lua_number(bound) for bound in LATENCY_BUCKETS)
    header = f"local STATE = {{{states}}}\nlocal LATENCY_BUCKETS = {{{buckets}}}\n"
    return header + (LUA_DIR / "prelude.lua").read_text() + (LUA_DIR / f"{name}.lua").read_text()


def register(client: redis.Redis, name: str) -> Script:
    """``lua/<name>.lua`` as a redis-py Script (EVALSHA, loaded on first use)."""
    return client.register_script(source(name))


def run_pipelined(client, script: Script, calls: list[tuple[list[str], list]]) -> list:
    """Run ``script`` once per (keys, args) in one pipeline; the replies in order.

    EVALSHA alone: redis-py's own pipeline would first ask SCRIPT EXISTS (one more round
    trip each time), and its cluster pipeline does not load scripts at all. A server that
    has not seen the script (restarted, promoted from replica, a new cluster node) answers
    NOSCRIPT without running anything: only those calls run again, once the script is
    loaded (on every primary of a cluster). Any other error is raised.
    """
    replies = _evalsha_pipeline(client, script, calls)
    missing = [index for index, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
    if missing:
        script.sha = client.script_load(script.script)
        for index, reply in zip(missing, _evalsha_pipeline(client, script, [calls[i] for i in missing])):
            replies[index] = reply
    for reply in replies:
        if isinstance(reply, Exception):
            raise reply
    return replies


def _evalsha_pipeline(client, script: Script, calls: list[tuple[list[str], list]]) -> list:
    pipe = client.pipeline(transaction=False)
    for keys, args in calls:
        pipe.evalsha(script.sha, len(keys), *keys, *args)
    return pipe.execute(raise_on_error=False)


def node_for(client, key: str):
    """Where a write and its WAIT go, on one connection: on a cluster the node serving ``key``'s
    slot (WAIT names no key, so the cluster client cannot route it), else ``client`` itself."""
    if hasattr(client, "get_node_from_key"):
        return client.get_redis_connection(client.get_node_from_key(key))
    return client


def run_then_wait(client, script: Script, keys: list[str], args: list, replicas: int,
                  timeout_ms: int) -> tuple[object, int]:
    """Run ``script``, then WAIT for ``replicas`` on the same connection, in one round trip:
    its reply and how many replicas acknowledged the write (fewer when ``timeout_ms`` passed).

    On a cluster both go to the node serving the first key. A node that answers NOSCRIPT, or
    MOVED (the slot changed hands: nothing ran), gets the call again once the script is loaded
    or the slot map refreshed; an ASK (a slot half-way through a move) is raised: 503, retry.
    """
    for attempt in (1, 2, 3):
        node = node_for(client, keys[0])
        pipe = node.pipeline(transaction=False)
        pipe.evalsha(script.sha, len(keys), *keys, *args)
        pipe.execute_command("WAIT", replicas, timeout_ms)
        reply, acknowledged = pipe.execute(raise_on_error=False)
        if attempt < 3 and isinstance(reply, NoScriptError):
            script.sha = node.script_load(script.script)
            continue
        if attempt < 3 and isinstance(reply, MovedError) and node is not client:
            client.nodes_manager.initialize()
            continue
        for answer in (reply, acknowledged):
            if isinstance(answer, Exception):
                raise answer
        return reply, int(acknowledged)
    raise AssertionError("unreachable")
