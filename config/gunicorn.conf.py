"""Gunicorn settings for the moderation API (`gunicorn -c config/gunicorn.conf.py`).

Every value can be changed from the environment, so the same file serves
`make run` (loopback, port 8000) and the container (0.0.0.0, see Dockerfile).
"""

import os
import shutil
import tempfile

from moderation.settings import Settings

_settings = Settings.from_env()

# The WSGI app: the Flask factory, so each worker builds its own app after the fork.
wsgi_app = "moderation:create_app()"

# Address: loopback by default (dev); the container sets HOST=0.0.0.0. PORT as in the README.
bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"

# Worker processes: WEB_CONCURRENCY (gunicorn's own convention); 2 suits a small dev box.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))

# gevent workers (moderation/serving.py): each connection is a greenlet, so slow or idle
# clients cannot starve the API (a sync worker is blocked by one unfinished request).
worker_class = "moderation.serving.GeventApiWorker"

# Connections one worker serves at once (slow clients included); past it, new ones wait.
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", "1000"))

# Seconds a client has to send a request's headers, and to send the next request on a kept-alive
# connection: slowloris clients are cut off after this. Keep-alive saves a TCP handshake per call.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))

# Do not import the app before forking: Redis and broker connections must not be shared across workers.
preload_app = False

# A request (body upload included) is cut after 30 s, and a worker whose event loop is stuck
# that long is killed: Redis calls time out in ~1 s, so anything longer is a hang or a slow client.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))

# On SIGTERM, give in-flight requests 10 s to finish before workers are killed.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "10"))

# No periodic worker recycling by default: restarting a worker drops its open connections, and
# at 1000 requests it happened every few seconds under load. GUNICORN_MAX_REQUESTS=N recycles
# after about N requests (jittered by 10%) if a leak ever needs it.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10

# Bound the request line and header sizes: the API takes small JSON bodies, not huge headers.
limit_request_line = 8190
limit_request_fields = 100

# Trust X-Forwarded-* only from these proxies (comma-separated); default loopback only.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# No gunicorn access log: the app writes one line per request itself, with its request id
# (MODERATION_ACCESS_LOG). gunicorn's own lines go to stderr, as JSON like the app's
# (MODERATION_LOG_FORMAT), where the launcher or the container runtime collects them.
accesslog = None
logger_class = "moderation.serving.GunicornLogger"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"moderation": {"()": "moderation.logs.formatter", "log_format": _settings.log_format}},
    "filters": {"request_id": {"()": "moderation.logs.RequestIdFilter"}},
    # Named like the handler moderation.logs.configure_logging installs, which replaces it in the
    # workers (not doubles it).
    "handlers": {"moderation": {"class": "logging.StreamHandler", "formatter": "moderation",
                                "filters": ["request_id"], "stream": "ext://sys.stderr"}},
    "root": {"level": "INFO", "handlers": ["moderation"]},
    "loggers": {"gunicorn.error": {"level": loglevel.upper(), "handlers": ["moderation"], "propagate": False}},
}

# Prometheus multiprocess mode: every worker writes its metrics to files in this directory and
# GET /metrics (any worker) adds them up. Set PROMETHEUS_MULTIPROC_DIR to choose it; otherwise a
# fresh temporary directory per gunicorn run. prometheus-client reads the variable at import,
# so it is set here, in the master, before the workers import the app.
_created_metrics_dir = None
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _created_metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="moderation-metrics-")


def on_starting(server):
    """Start without a previous run's samples (they would be added up too): remove the *.db
    files prometheus-client wrote there, nothing else."""
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        if name.endswith(".db"):
            os.remove(os.path.join(directory, name))


def on_exit(server):
    """Remove the temporary metrics directory this run created (never one it was given)."""
    if _created_metrics_dir:
        shutil.rmtree(_created_metrics_dir, ignore_errors=True)


def child_exit(server, worker):
    """A worker that exited no longer counts in live gauges (its counters stay)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)

# Put the process role in `ps` output, so you can tell the API from the Celery processes.
proc_name = "moderation-api"

# No gunicornc control socket (gunicorn >= 25): we do not use it, and its default path in
# $HOME is shared by every instance and unwritable for some container users.
control_socket_disable = True
