"""Benchmark: how fast ONE Celery worker drains a backlog, against a raw loop doing the core work.

    python bench/worker.py [--comments N] [--rounds N] [--quick] [--worker-args ARGS]
                           [--worker-env NAME=VALUE ...] [--json PATH]

Both sides start from the same N comments of the benchmark corpus's mixed set
(bench/corpus.py: 70% short, 25% medium, 5% long), created with the store's own
CommentStore.create in state ``queued`` in a private redis-server.

- Worker: the comments are created as the API creates them (the first wakes a
  drain task for the site, on the broker's queue) BEFORE the worker starts; then ``python -m celery -A workers worker --loglevel
  WARNING --concurrency 1`` runs, and the clock goes from its "ready" (its first
  heartbeat in Redis) until no comment is left queued or processing (the store's
  in-flight sets are empty). CPU: the worker's processes, from /proc.
- Raw loop, in this process: for each comment HGETALL, render() with its format,
  then one pipelined write (no transaction) of status/html/report and a ZADD to
  its thread's set. No Celery, no state machine, no audit, no decision.

Rounds alternate (raw, worker, raw, worker, ...); best of N. The machine is
noisy, so read the ratio, not the absolute rates.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import harness  # noqa: E402
from bench.corpus import make_corpus  # noqa: E402
from moderation.formats import render  # noqa: E402
from moderation.settings import Settings  # noqa: E402
from moderation.store import CommentStore, connect_redis, keys  # noqa: E402
from moderation.store.comments import PROCESSING, QUEUED, QueuedTask  # noqa: E402
from workers.celery_app import make_celery  # noqa: E402
from workers.task_messages import TaskMessages  # noqa: E402

SITE_ID = "b0a1c2d3e4f50617"
THREADS = 50  # comments are spread over this many threads of the site
POLL_SECONDS = 0.005  # how often the drain is checked (one pipelined round trip each time)
FINAL_STATES = {"approved", "pending", "rejected", "spam", "failed"}


# -- the data ----------------------------------------------------------------------
def corpus_bodies(count: int) -> list[str]:
    """``count`` comment bodies: the corpus's mixed set, repeated as needed (always the same)."""
    mixed = make_corpus()["mixed"]
    return [mixed[index % len(mixed)] for index in range(count)]


def preload(store, bodies: list[str], site_id: str) -> list[str]:
    """Create one ``queued`` comment per body with the store's own create(), waking the
    workers as the API's intake does (the broker is the store's Redis); their ids.

    The only place that knows CommentStore.create()'s signature (a dict of submission
    fields): adapt it here if the store changes.
    """
    celery = make_celery(Settings.from_env())  # MODERATION_REDIS_URL is set in main()
    messages = TaskMessages(celery)
    ids = []
    for index, body in enumerate(bodies):
        fields = {"site_id": site_id, "thread": f"bench-thread-{index % THREADS}", "body": body,
                  "format": "filtered_html", "author_name": "Bench Reader"}
        result = store.create(fields, wake=QueuedTask(messages.queue_key, messages.drain(site_id)))
        if result.outcome != "created":
            raise RuntimeError(f"preload: create() answered {result.outcome!r}")
        ids.append(result.comment_id)
    return ids


def statuses(client, comment_ids: list[str]) -> Counter:
    """How many comments are in each status."""
    pipe = client.pipeline(transaction=False)
    for comment_id in comment_ids:
        pipe.hget(keys.comment_key(SITE_ID, comment_id), "status")
    return Counter(pipe.execute())


def check_all_final(counts: Counter, side: str) -> None:
    unfinished = {status: count for status, count in counts.items() if status not in FINAL_STATES}
    if unfinished:
        raise RuntimeError(f"{side}: comments not in a final state: {unfinished}")


# -- the raw loop ------------------------------------------------------------------
def raw_loop(client, comment_ids: list[str]) -> None:
    """The core work with nothing around it: read, render, write."""
    for comment_id in comment_ids:
        key = keys.comment_key(SITE_ID, comment_id)
        comment = client.hgetall(key)
        rendered = render(comment["body"], comment["format"])
        pipe = client.pipeline(transaction=False)
        pipe.hset(key, mapping={"status": "approved", "html": rendered.html,
                                "report": json.dumps(rendered.report.to_dict(), sort_keys=True)})
        pipe.zadd(keys.thread_approved_key(comment["site_id"], comment["thread"]), {comment_id: int(comment["seq"])})
        pipe.execute()


def run_raw(redis_server: harness.RedisServer, client, bodies: list[str]) -> dict:
    """One raw-loop round on fresh data: wall time, this process's CPU, Redis's CPU."""
    redis_server.reset()
    ids = preload(CommentStore(client), bodies, SITE_ID)
    redis_before, cpu_before, started = redis_server.cpu_seconds(), time.process_time(), time.perf_counter()
    raw_loop(client, ids)
    seconds = time.perf_counter() - started
    cpu, redis_cpu = time.process_time() - cpu_before, redis_server.cpu_seconds() - redis_before
    counts = statuses(client, ids)
    check_all_final(counts, "raw loop")
    return {"side": "raw loop", "comments": len(ids), "seconds": seconds, "per_second": len(ids) / seconds,
            "cpu_s": cpu, "cpu_ms_per_comment": cpu * 1000 / len(ids),
            "redis_cpu_ms_per_comment": redis_cpu * 1000 / len(ids), "processes": 1, "statuses": dict(counts)}


# -- the worker --------------------------------------------------------------------
def worker_command(name: str, extra_args: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "workers", "worker", "--loglevel", "WARNING",
            "--concurrency", "1", "--hostname", f"{name}@%h", *shlex.split(extra_args)]


def run_worker(redis_server: harness.RedisServer, client, bodies: list[str], workdir: Path, round_index: int,
               extra_args: str, worker_env: dict[str, str], timeout: float) -> dict:
    """One worker round: preload (which enqueues), start the worker, time its drain from 'ready'."""
    redis_server.reset()
    ids = preload(CommentStore(client), bodies, SITE_ID)
    log_path = workdir / f"worker-{round_index}.log"
    env = harness.child_env(MODERATION_REDIS_URL=redis_server.url(), **worker_env)
    spawned = time.perf_counter()
    process = harness.start_group(worker_command(f"bench{round_index}", extra_args), env, log_path)
    try:
        drain = watch_drain(redis_server, client, process, log_path, len(ids), spawned + timeout)
    finally:
        harness.stop_group(process, grace=10)
    counts = statuses(client, ids)
    check_all_final(counts, "worker")
    seconds, cpu = drain["done_at"] - drain["ready_at"], drain["cpu_at_done"] - drain["cpu_at_ready"]
    redis_cpu = drain["redis_at_done"] - drain["redis_at_ready"]
    return {"side": "worker", "comments": len(ids), "seconds": seconds, "per_second": len(ids) / seconds,
            "startup_s": drain["ready_at"] - spawned, "done_before_ready": drain["done_before_ready"],
            "cpu_s": cpu, "cpu_ms_per_comment": cpu * 1000 / len(ids),
            "redis_cpu_ms_per_comment": redis_cpu * 1000 / len(ids), "processes": drain["processes"],
            "statuses": dict(counts)}


def watch_drain(redis_server: harness.RedisServer, client, process, log_path: Path, total: int,
                deadline: float) -> dict:
    """Poll until the worker is ready (its first heartbeat), then until no comment is queued or
    processing; times and CPU readings (worker tree, Redis) at both moments."""
    drain: dict = {"ready_at": None, "processes": 1, "done_before_ready": 0}
    polls = 0
    while True:
        pipe = client.pipeline(transaction=False)
        pipe.hlen(keys.workers_key())
        pipe.zcard(keys.in_flight_key(SITE_ID, QUEUED))
        pipe.zcard(keys.in_flight_key(SITE_ID, PROCESSING))
        heartbeats, queued, processing = pipe.execute()
        now = time.perf_counter()
        if drain["ready_at"] is None and heartbeats:  # the heartbeat thread starts on Celery's worker_ready
            drain.update(ready_at=now, redis_at_ready=redis_server.cpu_seconds(),
                         cpu_at_ready=harness.tree_cpu_seconds(process.pid)[0],
                         done_before_ready=total - queued - processing)  # ~0: ready comes before work
        if drain["ready_at"] is not None and queued + processing == 0:
            cpu, pids = harness.tree_cpu_seconds(process.pid)
            drain.update(done_at=now, cpu_at_done=cpu, redis_at_done=redis_server.cpu_seconds(),
                         processes=max(drain["processes"], len(pids)))
            return drain
        if polls % 20 == 0:  # pool children, if any (prefork)
            drain["processes"] = max(drain["processes"], len(harness.tree_cpu_seconds(process.pid)[1]))
        if process.poll() is not None:
            raise RuntimeError(f"the worker exited ({process.returncode}):\n{harness.log_tail(log_path)}")
        if now > deadline:
            raise RuntimeError(f"the worker did not drain {total} comments in time ({queued} queued, "
                               f"{processing} processing):\n{harness.log_tail(log_path)}")
        polls += 1
        time.sleep(POLL_SECONDS)


# -- the report --------------------------------------------------------------------
def print_report(best: dict[str, dict], rounds: list[dict[str, dict]], settings: dict) -> dict[str, float]:
    print(f"\nBest of {settings['rounds']} rounds, {settings['comments']} comments (mixed corpus), "
          f"worker pool {settings['pool']}, Python {harness.python_version()}, {os.cpu_count()} CPUs\n")
    rows = []
    for side, run in best.items():
        rows.append([side, f"{run['per_second']:.0f}", f"{run['seconds']:.2f}",
                     f"{run['per_second'] / best['raw loop']['per_second']:.2f}×",
                     f"{run['cpu_ms_per_comment']:.3f}", f"{run['redis_cpu_ms_per_comment']:.3f}",
                     str(run["processes"]), ", ".join(f"{k} {v}" for k, v in sorted(run["statuses"].items()))])
    harness.print_table(["side", "comments/s", "seconds", "÷ raw", "CPU ms/comment", "Redis CPU ms/comment",
                         "processes", "statuses"], rows)
    worker, raw = best["worker"], best["raw loop"]
    ratios = {
        "worker comments/s ÷ raw loop comments/s": worker["per_second"] / raw["per_second"],
        "worker CPU/comment ÷ raw loop CPU/comment": worker["cpu_ms_per_comment"] / raw["cpu_ms_per_comment"],
    }
    per_round = {
        "worker comments/s ÷ raw loop comments/s": [r["worker"]["per_second"] / r["raw loop"]["per_second"] for r in rounds],
        "worker CPU/comment ÷ raw loop CPU/comment": [r["worker"]["cpu_ms_per_comment"] / r["raw loop"]["cpu_ms_per_comment"]
                                                      for r in rounds],
    }
    print("\nRatios (best runs; then each round's own, paired):")
    for label, value in ratios.items():
        print(f"  {label:<42} {value:5.2f}×   rounds: " + " ".join(f"{v:.2f}" for v in per_round[label]))
    print(f"  worker start-up (spawn to ready), not in its time: "
          + ", ".join(f"{r['worker']['startup_s']:.2f} s" for r in rounds))
    return ratios


def parse_env(pairs: list[str]) -> dict[str, str]:
    env = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.startswith("MODERATION_"):
            raise SystemExit(f"--worker-env expects MODERATION_NAME=VALUE, got {pair!r}")
        env[name] = value
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=3000, help="backlog size (default 3000)")
    parser.add_argument("--rounds", type=int, default=2, help="best of N rounds (default 2)")
    parser.add_argument("--quick", action="store_true", help="600 comments")
    parser.add_argument("--worker-args", default="", help="extra flags for `celery worker` (one string)")
    parser.add_argument("--worker-env", action="append", default=[], metavar="MODERATION_NAME=VALUE",
                        help="a setting for the worker, e.g. MODERATION_WORKER_POOL=prefork (the pool is "
                             "configured by the app and wins over celery's --pool)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds a drain may take before failing")
    parser.add_argument("--json", type=Path, help="also write every figure here (JSON)")
    args = parser.parse_args()
    if args.quick:
        args.comments = 600
    worker_env = parse_env(args.worker_env)
    harness.ensure_tools("redis-server")

    workdir = Path(tempfile.mkdtemp(prefix="bench-worker-"))
    try:
        redis_server = harness.RedisServer(workdir / "redis").start()
        os.environ["MODERATION_REDIS_URL"] = redis_server.url()  # for make_celery(Settings.from_env())
        os.environ.pop("MODERATION_BROKER_URL", None)
        pool = Settings.from_env({"MODERATION_REDIS_URL": redis_server.url(), **worker_env}).worker_pool
        client = connect_redis(redis_server.url(), socket_timeout=30)
        bodies = corpus_bodies(args.comments)
        rounds: list[dict[str, dict]] = []
        for index in range(args.rounds):
            raw = run_raw(redis_server, client, bodies)
            print(f"round {index + 1}/{args.rounds} raw loop {raw['per_second']:8.0f} comments/s  "
                  f"{raw['cpu_ms_per_comment']:.3f} CPU ms/comment", flush=True)
            worker = run_worker(redis_server, client, bodies, workdir, index + 1, args.worker_args, worker_env,
                                args.timeout)
            print(f"round {index + 1}/{args.rounds} worker   {worker['per_second']:8.0f} comments/s  "
                  f"{worker['cpu_ms_per_comment']:.3f} CPU ms/comment  (start-up {worker['startup_s']:.2f} s, "
                  f"{worker['processes']} processes)", flush=True)
            if worker["done_before_ready"]:
                print(f"  note: {worker['done_before_ready']} comments were done before the worker's ready was seen")
            rounds.append({"raw loop": raw, "worker": worker})

        best = {side: max((r[side] for r in rounds), key=lambda run: run["per_second"]) for side in ("raw loop", "worker")}
        settings = {"comments": args.comments, "rounds": args.rounds, "pool": pool,
                    "worker_command": "python " + shlex.join(worker_command("bench", args.worker_args)[1:]),
                    "worker_env": worker_env}
        ratios = print_report(best, rounds, settings)
        if args.json:
            args.json.write_text(json.dumps({
                "benchmark": "worker", "when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
                "python": harness.python_version(), "cpus": os.cpu_count(), "settings": settings,
                "best": best, "rounds": rounds, "ratios": ratios,
            }, indent=2))
    finally:
        harness.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # what we started is already stopped (finally blocks, atexit)
        sys.exit("interrupted")
