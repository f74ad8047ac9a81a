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
