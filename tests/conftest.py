"""Shared fixtures: a real Redis, the real app, real Celery workers.

Fixtures (all documented for reuse by fault-injection tests):

- ``redis_server`` (session): a :class:`~tests.support.redis_server.RedisServer`
  on a random port in a temp dir with AOF on. Tests may kill -9, restart,
  freeze or pause it; the next test's ``redis_url`` puts it back in service.
- ``redis_db`` / ``redis_url``: a Redis database of its own for each test
  (numbers are never reused in a session; flushed at start), used both as the
  store and as the Celery broker, exactly like production.
- ``redis_client``: a plain client on that database (``decode_responses=True``).
- ``redis_cluster`` (session, started on first use): a real Redis Cluster of three primaries,
  each with a replica (:class:`~tests.support.redis_cluster.RedisClusterServers`).
- ``redis_sentinel`` (session, started on first use): a primary, a replica and three sentinels
  (:class:`~tests.support.redis_sentinel.SentinelCluster`).
- ``store_settings``: where the store lives (Settings names): the test's database by default;
  ``@pytest.mark.parametrize("store_settings", STORE_TOPOLOGIES, indirect=True)`` (helpers) runs a test on a
  single Redis, on the cluster (the broker stays the test's database) and under Sentinel
  (store and broker on the Sentinel-managed primary). The app, workers,
  beat, API servers and store fixtures all follow it.
- ``settings_overrides``: MODERATION_* overrides (Settings field names) shared by
  the app and the workers; override this fixture in a test module to change them.
- ``app`` / ``client``: ``create_app`` on that database and its Flask test client.
- ``store_redis`` / ``comment_store`` / ``site_store``: a client and the store classes on the store;
  ``broker_redis``: a client where the broker's queue list lives.
- ``site`` / ``site_key``: a site allowed from ``https://news.example`` and its API key.
- ``site_comments``: the comment store seen from that site (:class:`~tests.support.site_comments.SiteComments`).
- ``start_worker``: a factory starting :class:`~tests.support.workers.WorkerProcess`
  objects on the test's database (``start_worker(beat=True, test_processing_delay=3)``;
  ``deployed=True`` for the command line ``make run`` uses);
  every worker it started is killed (its process group) at teardown.
- ``start_beat``: a factory starting Celery beat on its own (killed at teardown).
- ``start_api_server``: a factory starting the real API under gunicorn (gevent workers)
  on a free port, pointed at the test's database; killed at teardown.
- ``worker``: one started, ready worker with the default settings.
- ``formats_read_afresh`` (autouse): the text formats are read again in each test.
"""
from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from moderation import create_app
from moderation.formats import registry
from moderation.store import CommentStore, SiteStore, connect_store
from tests.support.api_server import ApiServer
from tests.support.redis_cluster import RedisClusterServers
from tests.support.redis_sentinel import MASTER_NAME, SentinelCluster
from tests.support.redis_server import DATABASES, RedisServer
from tests.support.site_comments import SiteComments
from tests.support.workers import BeatProcess, WorkerProcess, worker_env

_database_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def formats_read_afresh():
    """Each test starts and ends with no formats file in use, so the first render
    reads $MODERATION_FORMATS_FILE as the test (or monkeypatch's undo) left it.
    A test that changes the variable mid-way calls ``reload_formats()``."""
    registry._in_use = None
    yield
    registry._in_use = None

# Settings every test app and worker uses unless a test overrides them: a generous rate
# limit (429 has its own test). Tests that need the sweeper to re-deliver start beat (or let
# a worker stand in for it) with a short MODERATION_STUCK_AFTER.
DEFAULT_TEST_SETTINGS = {
    "rate_limit": "10000/minute",
    "site_rate_limit": "0/minute",  # load tests post thousands a minute to one site
    # Reliability tests post look-alike comments and check where each ends: moderation off but
    # for active content. The moderation's own tests use the default policy (DEFAULT_POLICY).
    "policy_file": str(Path(__file__).parent / "data" / "policy-rules-off.toml"),
    "redis_socket_timeout": 1.0,
}


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_db(redis_server) -> int:
    redis_server.ensure_running()
    number = next(_database_numbers)
    if number >= DATABASES:
        pytest.fail(f"more than {DATABASES - 1} tests needed a Redis database; raise DATABASES")
    redis_server.client(number).flushdb()
    return number


@pytest.fixture
def redis_url(redis_server, redis_db) -> str:
    return redis_server.url(redis_db)


@pytest.fixture
def redis_client(redis_server, redis_db):
    client = redis_server.client(redis_db)
    yield client
    client.close()


@pytest.fixture
def settings_overrides() -> dict:
    """Settings field name -> value, applied to the app and to workers."""
    return {}


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory):
    cluster = RedisClusterServers(tmp_path_factory.mktemp("redis-cluster"), replicas_per_primary=1).start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def redis_sentinel(tmp_path_factory):
    setup = SentinelCluster(tmp_path_factory.mktemp("redis-sentinel")).start()
    yield setup
    setup.stop()


@pytest.fixture
def store_settings(request, redis_url) -> dict:
    topology = getattr(request, "param", "single")
    if topology == "single":
        return {"redis_topology": "single", "redis_url": redis_url, "broker_url": ""}
    if topology == "sentinel":  # the broker is the same Sentinel-managed primary (sentinel://)
        setup = request.getfixturevalue("redis_sentinel")
        setup.flush()
        return {"redis_topology": "sentinel", "redis_url": setup.url, "redis_sentinel_master": MASTER_NAME,
                "broker_url": ""}
    cluster = request.getfixturevalue("redis_cluster")
    cluster.flush()
    return {"redis_topology": "cluster", "redis_url": cluster.url, "broker_url": redis_url}


@pytest.fixture
def effective_settings(settings_overrides, store_settings) -> dict:
    return {**DEFAULT_TEST_SETTINGS, **store_settings, **settings_overrides}


@pytest.fixture
def app(effective_settings):
    config = {f"MODERATION_{name.upper()}": value for name, value in effective_settings.items()}
    config.update({"TESTING": True})
    return create_app(config)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def store_redis(store_settings):
    """A client on the store (a cluster client on the cluster)."""
    client = connect_store(store_settings["redis_topology"], store_settings["redis_url"],
                           sentinel_master=store_settings.get("redis_sentinel_master", ""))
    yield client
    client.close()


@pytest.fixture
def broker_redis(store_settings, store_redis, redis_client):
    """A client on the broker's Redis, where Celery's queue list lives: the test's database, or
    the Sentinel-managed primary."""
    return store_redis if store_settings["redis_topology"] == "sentinel" else redis_client


@pytest.fixture
def comment_store(store_redis) -> CommentStore:
    return CommentStore(store_redis)


@pytest.fixture
def site_store(store_redis) -> SiteStore:
    return SiteStore(store_redis)


@pytest.fixture
def site_and_key(site_store):
    """A site allowed from https://news.example, and its API key."""
    return site_store.create("Test News", ["https://news.example"])


@pytest.fixture
def site(site_and_key):
    return site_and_key[0]


@pytest.fixture
def site_key(site_and_key) -> str:
    return site_and_key[1]


@pytest.fixture
def site_comments(comment_store, site) -> SiteComments:
    return SiteComments(comment_store, site.id)


@pytest.fixture
def start_worker(redis_url, effective_settings, tmp_path):
    started: list[WorkerProcess] = []

    def start(wait: bool = True, beat: bool = False, deployed: bool = False, **settings) -> WorkerProcess:
        env = worker_env(redis_url, **{**effective_settings, **settings})
        worker = WorkerProcess(env, tmp_path, beat=beat, deployed=deployed)
        started.append(worker)
        return worker.start(wait=wait)

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def start_beat(redis_url, effective_settings, tmp_path):
    """A factory starting Celery beat alone (the sweeper's scheduler); killed at teardown."""
    started: list[BeatProcess] = []

    def start(**settings) -> BeatProcess:
        beat = BeatProcess(worker_env(redis_url, **{**effective_settings, **settings}), tmp_path)
        started.append(beat)
        return beat.start(wait=True)

    yield start
    for beat in started:
        beat.stop()


@pytest.fixture
def start_api_server(redis_url, effective_settings, tmp_path):
    """A factory starting the real API (gunicorn, config/gunicorn.conf.py) on the test's database:
    ``start_api_server(GUNICORN_KEEPALIVE=2)``; killed at teardown."""
    started: list[ApiServer] = []

    def start(**server_env) -> ApiServer:
        server = ApiServer(worker_env(redis_url, **effective_settings), tmp_path, **server_env)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def worker(start_worker) -> WorkerProcess:
    return start_worker()
