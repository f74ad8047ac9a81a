"""kombu's Redis broker transport with one fix: a worker survives a broker outage.

The bug (kombu 5.7.0, Celery 5.7.0). When a worker loses the broker, Celery's
consumer runs ``connection.collect()`` and then ``connection.close()``
(``Consumer.on_connection_error_after_connected``). ``collect()`` closes the
channels, but stops at the first one whose close fails (Redis is down), and
then sets ``transport.client`` to None. If the task channel was left open
(it was waiting in BRPOP) while holding an unacknowledged message (a late-acked
task was running), ``close()`` closes it now: kombu logs "Restoring 1
unacknowledged message(s)" and builds a new connection pool from
``transport.client.hostname``, which raises ``AttributeError``. No caller treats
that as a connection error, so the worker logs "Unrecoverable error" and exits
for good. ``tests/workers/test_broker_transport.py`` reproduces it with plain kombu.

The fix: a channel whose transport has been collected raises redis's
``ConnectionError`` instead, which kombu and Celery handle like any other
failure during an outage. The channel's close is abandoned, the consumer
reconnects, and the unacknowledged message stays in the broker's ``unacked``
hash until ``visibility_timeout`` puts it back in the queue (and our sweeper
would find its comment anyway). Nothing is lost.
"""
from __future__ import annotations

import ssl
from urllib.parse import urlsplit

import redis
from kombu.transport import redis as kombu_redis

# Broker URL schemes this transport serves (others keep kombu's own transport).
SCHEMES = ("redis", "rediss")


def default_ssl_options(broker_url: str) -> dict | None:
    """TLS options for a ``rediss://`` URL that names none: verify the certificate.

    kombu picks its TLS defaults by the transport's name ("rediss"), which a
    transport class does not have; an explicit ``ssl_cert_reqs`` in the URL wins.
    """
    parts = urlsplit(broker_url)
    if parts.scheme != "rediss" or "ssl_" in parts.query:
        return None
    return {"ssl_cert_reqs": ssl.CERT_REQUIRED}


class _SurvivesCollection:
    """The fix, for kombu's plain and Sentinel channels alike."""

    def _connparams(self, asynchronous: bool = False) -> dict:
        if self.connection is None or self.connection.client is None:
            raise redis.exceptions.ConnectionError(
                "the broker connection was closed while recovering from an outage")
        return super()._connparams(asynchronous)


class Channel(_SurvivesCollection, kombu_redis.Channel):
    pass


class Transport(kombu_redis.Transport):
    Channel = Channel


class SentinelChannel(_SurvivesCollection, kombu_redis.SentinelChannel):
    pass


class SentinelTransport(kombu_redis.SentinelTransport):
    """A ``sentinel://`` broker (the primary Sentinel names), with the same fix."""

    Channel = SentinelChannel


def transport_for(broker_url: str) -> str | None:
    """The transport class (``module:Class``) for a broker URL; None: kombu's own choice."""
    scheme = urlsplit(broker_url).scheme
    if scheme in SCHEMES:
        return f"{__name__}:Transport"
    if scheme == "sentinel":
        return f"{__name__}:SentinelTransport"
    return None
