"""Benchmark: the store past one machine (issue #9), ratios measured in one run.

    python bench/topologies.py [--quick] [--json PATH]

1. Intake on a three-primary Redis Cluster against a single Redis (same machine): the real
   API under gunicorn (config/gunicorn.conf.py) twice, one per topology, driven by wrk with
   the same comment as bench/intake.py, taking turns, best of N rounds. The cluster's broker
   is the single Redis (Celery's transport does not speak Cluster).
2. End-to-end throughput of two workers against one: a backlog of N comments over four sites
   is stored first (no drain task yet); the workers (``celery -A workers worker``, solo pool)
   start and report ready; then one drain task per site is sent and the clock runs until no
   comment is queued or processing. One worker and two take turns, best of N rounds.

The machine has few CPUs and Redis shares them, so read the ratios, not the rates.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import harness  # noqa: E402
from bench.intake import API_KEY, RATE_LIMIT, SITE_ID, Gunicorn, comment_payload, run_wrk, wrk_script  # noqa: E402
from bench.worker import corpus_bodies  # noqa: E402
from moderation.settings import Settings  # noqa: E402
from moderation.store import CommentStore, SiteStore, connect_redis, connect_store, keys  # noqa: E402
from moderation.store.comments import PROCESSING, QUEUED  # noqa: E402
from moderation.processing import wake_sites_with_waiting_comments  # noqa: E402
from workers.celery_app import make_celery  # noqa: E402
from workers.task_messages import TaskMessages  # noqa: E402

WORKER_SITES = [f"bench-site-{n}" for n in range(4)]


# -- 1. intake: cluster against single --------------------------------------------
def intake_rounds(workdir: Path, rounds: int, seconds: int) -> dict:
    single = harness.RedisServer(workdir / "single").start()
    nodes = harness.start_cluster(workdir / "cluster")
    cluster_url = ",".join(f"redis://127.0.0.1:{node.port}" for node in nodes)
    stores = {"single": connect_redis(single.url(), socket_timeout=30),
              "cluster": connect_store("cluster", cluster_url, 30)}
    servers = {
        "single": Gunicorn("api-single", workdir, single.url(), 2).start(),
        "cluster": Gunicorn("api-cluster", workdir, cluster_url, 2, extra_env={
            "MODERATION_REDIS_TOPOLOGY": "cluster", "MODERATION_BROKER_URL": single.url()}).start(),
    }
    script = workdir / "post.lua"
    script.write_text(wrk_script(API_KEY, comment_payload()))
    results: dict[str, list[dict]] = {"single": [], "cluster": []}
    for index in range(rounds + 1):  # round 0 warms both up and is not counted
        for name in (("single", "cluster") if index % 2 else ("cluster", "single")):
            client = stores[name]
            if name == "cluster":
                for node in nodes:
                    node_client = connect_redis(node.url(), socket_timeout=30)
                    node_client.flushall()
            else:
                single.reset()
            SiteStore(client).create("Bench", [], api_key=API_KEY, site_id=SITE_ID)
            server = servers[name]
            cpu_before = server.worker_cpu_seconds()
            found = run_wrk(f"{server.url}/api/v1/comments", script, 2 if index == 0 else seconds, 16, 2)
            cpu = server.worker_cpu_seconds() - cpu_before
            stored = client.zcard(keys.in_flight_key(SITE_ID, QUEUED))
            if found["non_2xx"] or stored < found["requests"]:
                raise RuntimeError(f"{name}: {found['non_2xx']} non-2xx, {stored} of {found['requests']} stored:\n"
                                   f"{harness.log_tail(server.log_path)}")
            if index:
                rps = found["requests"] / (found["duration_us"] / 1e6)
                results[name].append({"rps": rps, "cpu_ms_per_req": cpu * 1000 / found["requests"],
                                      "p99_ms": found["latency_us"]["99"] / 1000})
                print(f"intake round {index}/{rounds} {name:<8} {rps:7.0f} req/s  p99 {found['latency_us']['99'] / 1000:6.1f} ms"
                      f"  {cpu * 1000 / found['requests']:.3f} CPU ms/req", flush=True)
    return results


# -- 2. workers: two against one --------------------------------------------------
def drain_round(redis_server: harness.RedisServer, workdir: Path, bodies: list[str], workers: int, label: str,
                timeout: float = 600) -> dict:
    redis_server.reset()
    client = connect_redis(redis_server.url(), socket_timeout=30)
    store = CommentStore(client)
    for index, body in enumerate(bodies):  # stored, on the ready lists, no drain task yet
        site_id = WORKER_SITES[index % len(WORKER_SITES)]
        store.create({"site_id": site_id, "thread": f"t{index % 50}", "body": body, "format": "filtered_html",
                      "author_name": "Bench Reader"})
    for site_id in WORKER_SITES:
        client.sadd(keys.sites_index_key(), site_id)
    env = harness.child_env(MODERATION_REDIS_URL=redis_server.url())
    processes = [harness.start_group([sys.executable, "-m", "celery", "-A", "workers", "worker", "--loglevel",
                                      "WARNING", "--hostname", f"{label}-{n}@%h"], env, workdir / f"{label}-{n}.log")
                 for n in range(workers)]
    try:
        harness.wait_until(lambda: client.hlen(keys.workers_key()) >= workers, 60, message="workers ready")
        messages = TaskMessages(make_celery(Settings.from_env({"MODERATION_REDIS_URL": redis_server.url()})))
        started, redis_before = time.perf_counter(), redis_server.cpu_seconds()
        cpu_before = sum(harness.tree_cpu_seconds(process.pid)[0] for process in processes)
        wake_sites_with_waiting_comments(store, lambda site_id: client.lpush(messages.queue_key,
                                                                                messages.drain(site_id)))
        deadline = started + timeout

        def in_flight() -> int:
            pipe = client.pipeline(transaction=False)
            for site_id in WORKER_SITES:
                pipe.zcard(keys.in_flight_key(site_id, QUEUED))
                pipe.zcard(keys.in_flight_key(site_id, PROCESSING))
            return sum(pipe.execute())

        while in_flight():
            if time.perf_counter() > deadline or any(p.poll() is not None for p in processes):
                raise RuntimeError(f"{label}: drain failed:\n{harness.log_tail(workdir / f'{label}-0.log')}")
            time.sleep(0.005)
        seconds = time.perf_counter() - started
        redis_cpu = redis_server.cpu_seconds() - redis_before
        worker_cpu = sum(harness.tree_cpu_seconds(process.pid)[0] for process in processes) - cpu_before
    finally:
        for process in processes:
            harness.stop_group(process, grace=10)
    return {"workers": workers, "seconds": seconds, "per_second": len(bodies) / seconds,
            "redis_cpu_share": redis_cpu / seconds, "worker_cpu_share": worker_cpu / seconds,
            "worker_cpu_ms_per_comment": worker_cpu * 1000 / len(bodies)}


def worker_rounds(workdir: Path, rounds: int, comments: int) -> dict:
    redis_server = harness.RedisServer(workdir / "workers-redis").start()
    bodies = corpus_bodies(comments)
    results: dict[int, list[dict]] = {1: [], 2: []}
    for index in range(rounds):
        for workers in ((1, 2) if index % 2 == 0 else (2, 1)):
            found = drain_round(redis_server, workdir, bodies, workers, f"r{index}w{workers}")
            results[workers].append(found)
            print(f"workers round {index + 1}/{rounds} {workers} worker(s) {found['per_second']:7.0f} comments/s, "
                  f"{found['worker_cpu_ms_per_comment']:.3f} worker CPU ms/comment; busy: workers "
                  f"{found['worker_cpu_share'] * 100:.0f}%, Redis {found['redis_cpu_share'] * 100:.0f}% of a CPU",
                  flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    harness.ensure_tools("redis-server", "wrk")
    seconds, comments = (3, 1200) if args.quick else (10, 4000)
    rounds = 2 if args.quick else args.rounds
    workdir = Path(tempfile.mkdtemp(prefix="bench-topologies-"))
    try:
        intake = intake_rounds(workdir, rounds, seconds)
        workers = worker_rounds(workdir, rounds, comments)
    finally:
        harness.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)
    best_intake = {name: max(runs, key=lambda run: run["rps"]) for name, runs in intake.items()}
    best_workers = {n: max(runs, key=lambda run: run["per_second"]) for n, runs in workers.items()}
    ratios = {
        "intake on the cluster ÷ intake on a single Redis (req/s)": (
            best_intake["cluster"]["rps"] / best_intake["single"]["rps"],
            [c["rps"] / s["rps"] for c, s in zip(intake["cluster"], intake["single"])]),
        "two workers ÷ one worker (comments/s)": (
            best_workers[2]["per_second"] / best_workers[1]["per_second"],
            [two["per_second"] / one["per_second"] for two, one in zip(workers[2], workers[1])]),
        "two workers ÷ one worker (worker CPU per comment)": (
            best_workers[2]["worker_cpu_ms_per_comment"] / best_workers[1]["worker_cpu_ms_per_comment"],
            [two["worker_cpu_ms_per_comment"] / one["worker_cpu_ms_per_comment"]
             for two, one in zip(workers[2], workers[1])]),
    }
    print(f"\n{os.cpu_count()} CPUs, Python {harness.python_version()}, best of {rounds} rounds "
          f"({seconds} s of wrk per intake run, {comments} comments per drain)")
    for label, (best, each) in ratios.items():
        print(f"  {label:<58} {best:5.2f}×   rounds: " + " ".join(f"{value:.2f}" for value in each))
    if args.json:
        args.json.write_text(json.dumps({"intake": intake, "workers": {str(k): v for k, v in workers.items()},
                                         "best_intake": best_intake,
                                         "best_workers": {str(k): v for k, v in best_workers.items()},
                                         "ratios": {k: {"best": b, "rounds": e} for k, (b, e) in ratios.items()},
                                         "settings": {"seconds": seconds, "comments": comments, "rounds": rounds,
                                                      "cpus": os.cpu_count(), "rate_limit": RATE_LIMIT}},
                                        indent=2))


if __name__ == "__main__":
    main()
