"""Benchmark: what a dashboard page costs against the admin API's JSON for the same comments.

    python bench/dashboard.py [--comments 50] [--rounds 30] [--json PATH]

A private redis-server holds one site with ``--comments`` held comments (each with findings and
evidence, decided by the real pipeline). In one process, through Flask's test client and a
logged-in moderator's session, the two sides take turns: the Pending tab (50 cards: highlighted
text, findings, sandboxed frame, actions) and ``GET /api/v1/admin/sites/{site}/comments?limit=50``
(the same comments as JSON); then the overview (queue states and 24 hourly counters) against the
same JSON. Printed: the median time of each and the ratios.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import harness  # noqa: E402
from moderation import create_app  # noqa: E402
from moderation.processing import process_batch  # noqa: E402

WORDS = ("idiot", "moron", "clown", "fool")
PASSWORD = "bench password here"


def seed(app, count: int) -> str:
    services = app.extensions["moderation"]
    site, _key = services.sites.create("Bench News", ["https://news.example"])
    store = services.comments
    # Every comment held, with its findings: the pre-moderation mode, and the rules that would
    # call these look-alike comments spam (copies, spam model) off.
    store.policies.save(site.id, {"mode": "pre", "copies": {"enabled": False}, "spam_model": {"enabled": False}},
                        "bench")
    for index in range(count):
        body = (f"Comment {index}: only an {WORDS[index % len(WORDS)]} would believe the council on "
                f"item {index * 7919 % 1000}, see https://example.org/{index}")
        store.create({"site_id": site.id, "thread": f"article-{index % 5}", "body": body, "format": "filtered_html",
                      "author_name": f"Reader {index}", "author_email": f"reader{index}@example.org",
                      "client_ip": "203.0.113.7", "thread_title": "The new line"}, request_id=f"{index:032x}")
    while True:
        batch = store.take_ready(site.id, 100, "bench", 60)
        if not batch.comment_ids:
            break
        process_batch(store, site.id, batch.comment_ids)
        store.forget_batch(site.id, "bench")
    services.accounts.create("bench", PASSWORD, "moderator")
    return site.id


def timed(client, path: str) -> float:
    started = time.perf_counter()
    response = client.get(path)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, (path, response.status_code)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as scratch:
        server = harness.RedisServer(Path(scratch) / "redis").start()
        try:
            app = create_app({"MODERATION_REDIS_URL": server.url(), "MODERATION_ACCESS_LOG": "false",
                              "TESTING": True})
            site_id = seed(app, args.comments)
            client = app.test_client()
            client.post("/admin/login", data={"name": "bench", "password": PASSWORD})
            paths = {"queue page": f"/admin/sites/{site_id}/queue/pending",
                     "overview page": "/admin/",
                     "admin API JSON": f"/api/v1/admin/sites/{site_id}/comments?status=pending&limit=50"}
            pending = app.extensions["moderation"].comments.status_counts(site_id)["pending"]
            samples = {name: [] for name in paths}
            for name, path in paths.items():  # warm-up: templates compiled, scripts loaded
                timed(client, path)
            for _round in range(args.rounds):
                for name, path in paths.items():
                    samples[name].append(timed(client, path))
        finally:
            server.stop()
    medians = {name: statistics.median(values) for name, values in samples.items()}
    base = medians["admin API JSON"]
    print(f"{pending} pending comments shown (of {args.comments}); {args.rounds} rounds, sides in turn; "
          f"{harness.python_version()}")
    harness.print_table(["target", "median ms", "÷ admin API JSON"],
                        [[name, f"{value * 1000:.1f}", f"{value / base:.2f}×"] for name, value in medians.items()])
    if args.json:
        args.json.write_text(json.dumps({"pending": pending, "rounds": args.rounds,
                                         "median_seconds": medians}, indent=2))


if __name__ == "__main__":
    main()
