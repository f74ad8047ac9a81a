"""Count Redis round trips: how many times a block sends something to Redis and waits."""
from __future__ import annotations

import contextlib
from unittest import mock

from redis.connection import Connection


@contextlib.contextmanager
def counting_round_trips():
    """``with counting_round_trips() as trips: ...; trips.count`` (a pipeline is one trip)."""
    counter = mock.Mock(count=0)
    original = Connection.send_packed_command

    def send(self, command, check_health=True):
        counter.count += 1
        return original(self, command, check_health)

    with mock.patch.object(Connection, "send_packed_command", send):
        yield counter
