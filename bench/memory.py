"""Benchmark: bytes of Redis memory per stored comment, and what a GB holds.

    python bench/memory.py [--comments N] [--json PATH]

Comments are stored and decided exactly as the service does it (``CommentStore.create``,
then a worker's ``take_ready`` + ``process_batch``: approved, with rendered HTML, report,
reasons and three history entries) in a private redis-server, spread over 50 threads of one
site. Memory is Redis's own ``used_memory`` before and after, divided by the number of
comments: the comment's hash, its entries in the site's audit stream and thread index, and
every key's share of overhead.

Two comment shapes, each with a 450-byte body: ``cms`` (what a CMS sends from its server:
author, thread URL and title, client IP; the comment of issue #9's measurement) and
``browser`` (also a full browser user agent and a referrer). Each under two Redis settings of
``hash-max-listpack-value``: Redis's default (64 bytes, so a comment's hash is a hashtable) and
config/redis.conf's 4096 (a listpack). Memory is deterministic enough to need no rounds.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import harness  # noqa: E402
from moderation.processing import process_batch  # noqa: E402
from moderation.store import CommentStore, connect_redis, keys  # noqa: E402

SITE_ID = "a1b2c3d4e5f60718"
THREADS = 50
BODY = ("The minister's answer leaves the main question open: who pays for the new line, and "
        "when? The article says the budget was approved in March, but the council minutes from "
        "April list a different figure. Could you ask the ministry for the breakdown? Also, the "
        "map in the second paragraph shows the old route. Thanks for covering this, it affects "
        "everyone who commutes from the north of the city every day, and we rarely get straight "
        "answers from anyone involved.")[:450]
SHAPES = {
    "cms": {"author_name": "Ada Lovelace", "author_email": "ada@example.org", "client_ip": "203.0.113.7",
            "thread_url": "https://news.example/2026/12/04/new-line", "thread_title": "Who pays for the new line?"},
    "browser": {"author_name": "Ada Lovelace", "author_email": "ada@example.org", "client_ip": "203.0.113.7",
                "thread_url": "https://news.example/2026/12/04/new-line", "thread_title": "Who pays for the new line?",
                "client_user_agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                                     "Chrome/131.0.0.0 Safari/537.36",
                "client_referrer": "https://news.example/2026/12/04/new-line"},
}
LISTPACK_VALUES = {"redis default (64)": 64, "config/redis.conf (4096)": 4096}
NEWSROOM_COMMENTS_PER_DAY = 50_000  # a large newsroom (assumption, docs/operations.md)


def store_and_decide(store: CommentStore, site_id: str, shape: dict, count: int) -> list[str]:
    ids = []
    for index in range(count):
        fields = {"site_id": site_id, "thread": f"article-{index % THREADS}", "body": BODY,
                  "format": "filtered_html", **shape}
        ids.append(store.create(fields, request_id=f"{index:032x}").comment_id)
    while True:
        batch = store.take_ready(site_id, 100, "bench", 60)
        if not batch.comment_ids:
            break
        process_batch(store, site_id, batch.comment_ids)
        store.forget_batch(site_id, "bench")
    return ids


def measure(client, shape: dict, count: int) -> dict:
    client.flushall()
    store = CommentStore(client)
    # Every comment here has the same body: under the default policy the copies rule would make
    # all but the first spam. The site's policy is the default with that rule off, so each
    # comment is stored as an approved one is (the copies index is measured on its own).
    store.policies.save(SITE_ID, {"copies": {"enabled": False}}, "bench")
    store.policies.save("warm-up", {"copies": {"enabled": False}}, "bench")
    store_and_decide(store, "warm-up", shape, 200)  # scripts, Lua's memory, the first allocations
    before = client.info("memory")["used_memory"]
    ids = store_and_decide(store, SITE_ID, shape, count)
    total = client.info("memory")["used_memory"] - before
    sample = ids[:: max(1, count // 200)]
    hash_bytes = sum(client.memory_usage(keys.comment_key(SITE_ID, cid), samples=0) for cid in sample) / len(sample)
    data_bytes = sum(sum(len(f) + len(v.encode()) for f, v in client.hgetall(keys.comment_key(SITE_ID, cid)).items())
                     for cid in sample) / len(sample)
    statuses = {client.hget(keys.comment_key(SITE_ID, cid), "status") for cid in sample}
    return {"per_comment": total / count, "hash": hash_bytes, "hash_data": data_bytes,
            "audit": client.memory_usage(keys.audit_stream_key(SITE_ID), samples=0) / count,
            "encoding": client.object("encoding", keys.comment_key(SITE_ID, ids[0])), "statuses": sorted(statuses)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=5000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as scratch:
        for label, value in LISTPACK_VALUES.items():
            server = harness.RedisServer(Path(scratch) / str(value), ["--hash-max-listpack-value", str(value)]).start()
            try:
                client = connect_redis(server.url(), socket_timeout=30)
                for shape_name, shape in SHAPES.items():
                    found = measure(client, shape, args.comments)
                    results.append({"redis": label, "shape": shape_name, **found})
            finally:
                server.stop()
    rows = []
    for result in results:
        per_gb = 1e9 / result["per_comment"]
        result.update(comments_per_gb=per_gb, days_per_gb=per_gb / NEWSROOM_COMMENTS_PER_DAY)
        rows.append([f"{result['shape']}, {result['redis']}", f"{result['per_comment']:.0f}", f"{result['hash']:.0f}",
                     f"{result['hash_data']:.0f}", f"{result['audit']:.0f}", result["encoding"],
                     f"{per_gb / 1000:.0f}k", f"{result['days_per_gb']:.1f}"])
    print(f"{args.comments} comments per case, 450-byte body, approved; {harness.python_version()}")
    harness.print_table(["case", "B/comment", "hash B", "hash data B", "audit B", "encoding", "comments/GB",
                         f"days/GB at {NEWSROOM_COMMENTS_PER_DAY // 1000}k/day"], rows)
    if args.json:
        args.json.write_text(json.dumps({"settings": {"comments": args.comments, "threads": THREADS,
                                                      "per_day": NEWSROOM_COMMENTS_PER_DAY},
                                         "results": results}, indent=2))


if __name__ == "__main__":
    main()
