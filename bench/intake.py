"""Benchmark: intake throughput of POST /api/v1/comments, against minimal Flask baselines.

    python bench/intake.py [--duration S] [--connections N] [--threads N] [--rounds N]
                           [--workers N] [--quick] [--json PATH]

Drives the real servers with a real load generator: the API under gunicorn with
config/gunicorn.conf.py, and, under the same config (worker class, worker count,
keep-alive) but another WSGI app, bench/baseline_app.py with two endpoints:
``/minimal`` (one Redis GET to authenticate, one pipelined HSET + LPUSH) and
``/minimal-publish`` (the same plus the Celery publish the API makes). wrk posts
the same JSON comment to each, keep-alive, same duration, connections and
threads; the targets take turns, best of N rounds, so the machine's noise hits
all of them. No Celery worker runs: the comments queue up, and Redis is emptied
before every run.

Prints ratios against the baselines (this machine is noisy): req/s, and CPU per
request of the gunicorn worker processes (from /proc, before and after each
run). Any answer other than 202 fails the benchmark.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import harness  # noqa: E402
from bench.baseline_app import QUEUE_KEY, auth_key  # noqa: E402
from moderation.store import SiteStore, connect_redis, keys  # noqa: E402
from moderation.store.comments import QUEUED  # noqa: E402
from workers.celery_app import QUEUE_NAME  # noqa: E402

TARGETS = {  # name -> (server, path)
    "intake": ("api", "/api/v1/comments"),
    "minimal": ("baseline", "/minimal"),
    "minimal+publish": ("baseline", "/minimal-publish"),
}
PERCENTILES = (50, 75, 90, 95, 99, 99.9)  # of wrk's latency distribution, kept in the JSON
RATE_LIMIT = "100000000/minute"  # never reached: we measure the intake, not the limiter
SITE_ID = "b0a1c2d3e4f50617"
API_KEY = "mk_bench_" + hashlib.sha256(b"bench").hexdigest()[:32]


def comment_payload() -> dict:
    """A realistic submission, shaped like tests/service/helpers.py's comment_payload()."""
    return {
        "thread": "article-123", "thread_url": "https://news.example/articles/123",
        "thread_title": "Export controls on cloud computing", "parent": None,
        "author": {"name": "Ada", "email": "ada@example.org"},
        "body": ("Interesting piece, and the <em>second</em> half is the important part: the rules "
                 "change what a small provider can sell, not only the big three.\n\nMore at "
                 "https://example.org/report and in last year's piece on www.example.com/cloud."),
        "format": "filtered_html",
        "client": {"ip": "203.0.113.9", "user_agent": "Mozilla/5.0 (X11; Linux x86_64) bench",
                   "referrer": "https://news.example/articles/123"},
    }


def wrk_script(api_key: str, payload: dict) -> str:
    """wrk's Lua: POST the payload; count non-2xx answers per thread; print one JSON line at the end."""
    body = json.dumps(payload)
    assert "]==]" not in body
    percentiles = ", ".join(f'"{p:g}": %d' for p in PERCENTILES)
    percentile_args = ", ".join(f"latency:percentile({p})" for p in PERCENTILES)
    return f"""
wrk.method = "POST"
wrk.body = [==[{body}]==]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {api_key}"

local threads = {{}}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0; bad_status = 0 end
function response(status, headers, body)
  if status < 200 or status > 299 then bad = bad + 1; bad_status = status end
end
function done(summary, latency, requests)
  local bad_total, bad_status_any = 0, 0
  for _, thread in ipairs(threads) do
    bad_total = bad_total + thread:get("bad")
    if thread:get("bad_status") ~= 0 then bad_status_any = thread:get("bad_status") end
  end
  local e = summary.errors
  io.write(string.format('BENCH_RESULT {{"requests": %d, "duration_us": %d, "non_2xx": %d, "a_non_2xx_status": %d, '
    .. '"socket_errors": {{"connect": %d, "read": %d, "write": %d, "timeout": %d}}, '
    .. '"latency_us": {{{percentiles}}}, "mean_us": %.1f, "max_us": %d}}\\n',
    summary.requests, summary.duration, bad_total, bad_status_any, e.connect, e.read, e.write, e.timeout,
    {percentile_args}, latency.mean, latency.max))
end
"""


def run_wrk(url: str, script: Path, seconds: int, connections: int, threads: int) -> dict:
    """One wrk run with ``script`` (from :func:`wrk_script`); the JSON line it prints at the end."""
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
               "--timeout", "10s", "-s", str(script), url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            return json.loads(line.split(" ", 1)[1])
    raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


class Gunicorn:
    """One gunicorn master with config/gunicorn.conf.py, in its own process group."""

    def __init__(self, name: str, workdir: Path, redis_url: str, workers: int, app: str | None = None,
                 extra_env: dict[str, str] | None = None):
        self.name, self.app, self.workers = name, app, workers
        self.port = harness.free_port()
        self.log_path = workdir / f"{name}.log"
        metrics_dir = workdir / f"{name}-metrics"
        metrics_dir.mkdir()
        self.env = harness.child_env(
            MODERATION_REDIS_URL=redis_url, MODERATION_RATE_LIMIT=RATE_LIMIT, MODERATION_SITE_RATE_LIMIT="0/minute",
            PORT=str(self.port),
            HOST="127.0.0.1", WEB_CONCURRENCY=str(workers), PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
            **(extra_env or {}))
        self.process: subprocess.Popen | None = None

    def start(self) -> "Gunicorn":
        command = [sys.executable, "-m", "gunicorn", "--config", str(harness.REPO_ROOT / "config" / "gunicorn.conf.py")]
        if self.app:
            command.append(self.app)  # a positional app wins over the config file's wsgi_app
        self.process = harness.start_group(command, self.env, self.log_path)
        harness.wait_until(self._ready, 60, interval=0.1, message=f"gunicorn ({self.name}) to boot its workers")
        return self

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"gunicorn ({self.name}) exited:\n{harness.log_tail(self.log_path)}")
        if len(self.worker_pids()) != self.workers:
            return False
        try:
            with urllib.request.urlopen(f"{self.url}/livez", timeout=1) as reply:
                return reply.status == 200
        except OSError:
            return False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        return harness.children(self.process.pid)

    def worker_cpu_seconds(self) -> float:
        return sum(harness.cpu_seconds(pid) for pid in self.worker_pids())

    def worker_class(self) -> str:
        for line in self.log_path.read_text(errors="replace").splitlines():
            if "Using worker:" in line:
                return line.split("Using worker:", 1)[1].split('"')[0].strip()
        return "?"


class Bench:
    """The two servers, the Redis they share, and how to run wrk against one target."""

    def __init__(self, redis_server: harness.RedisServer, servers: dict[str, Gunicorn], script: Path,
                 connections: int, threads: int):
        self.redis_server, self.servers, self.script = redis_server, servers, script
        self.connections, self.threads = connections, threads
        self.client = connect_redis(redis_server.url(), socket_timeout=30)

    def prepare_db(self) -> None:
        """Empty Redis, then the site with its API key (for the API) and the baseline's auth key."""
        self.redis_server.reset()
        SiteStore(self.client).create("Bench", [], api_key=API_KEY, site_id=SITE_ID)
        self.client.set(auth_key(API_KEY), SITE_ID)

    def run(self, target: str, seconds: int) -> dict:
        """One wrk run against ``target`` on a fresh database; its figures."""
        server_name, path = TARGETS[target]
        server = self.servers[server_name]
        self.prepare_db()
        pids = sorted(server.worker_pids())
        cpu_before, redis_before = server.worker_cpu_seconds(), self.redis_server.cpu_seconds()
        result = self._wrk(server.url + path, seconds)
        cpu = server.worker_cpu_seconds() - cpu_before
        if sorted(server.worker_pids()) != pids:  # a replaced worker's CPU time would be lost
            raise RuntimeError(f"{target}: gunicorn replaced a worker during the run:\n{harness.log_tail(server.log_path)}")
        redis_cpu = self.redis_server.cpu_seconds() - redis_before
        requests = result["requests"]
        failures = result["non_2xx"] + sum(result["socket_errors"].values())
        if failures or not requests:
            raise RuntimeError(f"{target}: {result['non_2xx']} non-2xx answers (one was "
                               f"{result['a_non_2xx_status']}), socket errors {result['socket_errors']}, "
                               f"{requests} requests; server log:\n{harness.log_tail(server.log_path)}")
        stored, published = self._stored(target)
        if stored < requests or (target != "minimal" and published < requests):
            raise RuntimeError(f"{target}: {requests} requests answered but {stored} comments stored and "
                               f"{published} on their way to a worker; server log:\n{harness.log_tail(server.log_path)}")
        duration = result["duration_us"] / 1e6
        return {
            "target": target, "requests": requests, "duration_s": duration, "rps": requests / duration,
            "latency_ms": {key: value / 1000 for key, value in result["latency_us"].items()},
            "mean_ms": result["mean_us"] / 1000, "max_ms": result["max_us"] / 1000,
            "non_2xx": result["non_2xx"], "socket_errors": result["socket_errors"],
            "worker_cpu_s": cpu, "cpu_ms_per_req": cpu * 1000 / requests,
            "redis_cpu_ms_per_req": redis_cpu * 1000 / requests, "stored": stored, "published": published,
        }

    def _wrk(self, url: str, seconds: int) -> dict:
        return run_wrk(url, self.script, seconds, self.connections, self.threads)

    def _stored(self, target: str) -> tuple[int, int]:
        """Comments the target stored, and how many of them are on their way to a worker.

        The API logs a failed publish and still answers 202 (the sweeper wakes the site
        later): only the queues show that every request paid for its enqueueing. The baseline
        publishes one render task per comment; the intake puts each comment on its site's
        ready list, with one drain task on the broker's queue for all of them.
        """
        pipe = self.client.pipeline(transaction=False)
        if target == "intake":
            pipe.zcard(keys.in_flight_key(SITE_ID, QUEUED))
            pipe.llen(keys.ready_queue_key(SITE_ID))
        else:
            pipe.llen(QUEUE_KEY)
        pipe.llen(QUEUE_NAME)  # kombu's Redis transport: one list per queue, named after it
        if target != "intake":
            stored, published = pipe.execute()
            return stored, published
        stored, ready, drains = pipe.execute()
        return stored, ready if drains >= 1 else 0


def ratio_lines(best: dict[str, dict], rounds: list[dict[str, dict]]) -> list[tuple[str, float, list[float]]]:
    """(label, ratio of the best runs, the same ratio within each round) for the report."""
    lines = []
    for base in ("minimal", "minimal+publish"):
        lines.append((f"intake req/s ÷ {base} req/s", best["intake"]["rps"] / best[base]["rps"],
                      [r["intake"]["rps"] / r[base]["rps"] for r in rounds]))
    for base in ("minimal", "minimal+publish"):
        lines.append((f"{base} CPU/req ÷ intake CPU/req", best[base]["cpu_ms_per_req"] / best["intake"]["cpu_ms_per_req"],
                      [r[base]["cpu_ms_per_req"] / r["intake"]["cpu_ms_per_req"] for r in rounds]))
    return lines


def print_report(best: dict[str, dict], rounds: list[dict[str, dict]], settings: dict) -> dict[str, float]:
    print(f"\nBest of {settings['rounds']} rounds ({settings['duration_s']:g} s each, "
          f"{settings['connections']} connections, {settings['threads']} wrk threads, "
          f"{settings['workers']} gunicorn workers ({settings['worker_class']}), Python {harness.python_version()}, "
          f"{os.cpu_count()} CPUs)\n")
    rows = []
    for target, run in best.items():
        lat = run["latency_ms"]
        rows.append([target, f"{run['rps']:.0f}", f"{run['rps'] / best['intake']['rps']:.2f}×",
                     f"{lat['50']:.2f}", f"{lat['90']:.2f}", f"{lat['99']:.2f}", str(run["non_2xx"]),
                     f"{run['cpu_ms_per_req']:.3f}", f"{run['redis_cpu_ms_per_req']:.3f}"])
    harness.print_table(["target", "req/s", "÷ intake", "p50 ms", "p90 ms", "p99 ms", "non-2xx",
                         "CPU ms/req (workers)", "Redis CPU ms/req"], rows)
    print("\nRatios (best runs; then each round's own, paired):")
    ratios = {}
    for label, value, per_round in ratio_lines(best, rounds):
        ratios[label] = value
        print(f"  {label:<40} {value:5.2f}×   rounds: " + " ".join(f"{v:.2f}" for v in per_round))
    print("  (CPU ratios below 1: the API spends more CPU per request than the baseline)")
    print("\nPer round (req/s): " + "; ".join(
        f"{i + 1}: " + ", ".join(f"{t} {r[t]['rps']:.0f}" for t in TARGETS) for i, r in enumerate(rounds)))
    return ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per run (default 10; wrk takes whole seconds)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--rounds", type=int, default=3, help="best of N rounds (default 3)")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")),
                        help="gunicorn workers, for both servers (default WEB_CONCURRENCY or 2)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of load per target before measuring")
    parser.add_argument("--quick", action="store_true", help="3 s runs, 1 s warm-up")
    parser.add_argument("--json", type=Path, help="also write every figure here (JSON)")
    args = parser.parse_args()
    if args.quick:
        args.duration, args.warmup = 3, 1
    harness.ensure_tools("wrk", "redis-server")

    workdir = Path(tempfile.mkdtemp(prefix="bench-intake-"))
    try:
        redis_server = harness.RedisServer(workdir / "redis").start()
        servers = {
            "api": Gunicorn("api", workdir, redis_server.url(), args.workers),
            "baseline": Gunicorn("baseline", workdir, redis_server.url(), args.workers,
                                 app="bench.baseline_app:create_app()"),
        }
        for server in servers.values():
            server.start()
        script = workdir / "post-comment.lua"
        script.write_text(wrk_script(API_KEY, comment_payload()))
        bench = Bench(redis_server, servers, script, args.connections, args.threads)

        for target in TARGETS:  # warm up: connection pools, lazy imports, kombu's queue declaration
            bench.run(target, args.warmup)
        rounds: list[dict[str, dict]] = []
        for index in range(args.rounds):
            order = list(TARGETS)[index % len(TARGETS):] + list(TARGETS)[:index % len(TARGETS)]  # rotate who goes first
            results = {}
            for target in order:
                run = bench.run(target, args.duration)
                results[target] = run
                print(f"round {index + 1}/{args.rounds} {target:<16} {run['rps']:8.0f} req/s  "
                      f"p99 {run['latency_ms']['99']:7.2f} ms  {run['cpu_ms_per_req']:.3f} CPU ms/req", flush=True)
            rounds.append({target: results[target] for target in TARGETS})

        best = {target: max((r[target] for r in rounds), key=lambda run: run["rps"]) for target in TARGETS}
        settings = {"duration_s": args.duration, "connections": args.connections, "threads": args.threads,
                    "rounds": args.rounds, "workers": args.workers, "worker_class": servers["api"].worker_class(),
                    "baseline_worker_class": servers["baseline"].worker_class()}
        if settings["worker_class"] != settings["baseline_worker_class"]:
            raise RuntimeError(f"the servers differ: {settings['worker_class']} vs {settings['baseline_worker_class']}")
        ratios = print_report(best, rounds, settings)
        if args.json:
            args.json.write_text(json.dumps({
                "benchmark": "intake", "when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
                "python": harness.python_version(), "cpus": os.cpu_count(), "settings": settings,
                "percentiles": [f"{p:g}" for p in PERCENTILES], "best": best, "rounds": rounds, "ratios": ratios,
            }, indent=2))
    finally:
        harness.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # what we started is already stopped (finally blocks, atexit)
        sys.exit("interrupted")
