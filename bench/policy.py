"""Benchmark: what automatic moderation costs.

    python bench/policy.py [--rounds N] [--quick] [--json PATH]

Comments: about a thousand realistic ones, all different (``realistic_bodies``).

1. Decisions: ``moderation.policy.evaluate`` on the rendered comments, with a
   5,000-term word list against a 10-term one (everything else off), in this process,
   interleaved; and the full default policy per comment against the render itself.
2. The whole worker (bench/worker.py's drain of one backlog by one Celery worker): the default
   policy (config/policy.toml) against a policy with every rule off (MODERATION_POLICY_FILE),
   the sides taking turns in the same run.
Ratios, not absolute claims: our machines are noisy.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import harness  # noqa: E402
from bench.worker import run_worker  # noqa: E402
from moderation.formats import render  # noqa: E402
from moderation.policy import Policy, default_policy, evaluate  # noqa: E402
from moderation.policy.evaluation import LABELLED  # noqa: E402
from moderation.policy.spam_model import SEED_FILE  # noqa: E402
from moderation.store import connect_redis  # noqa: E402

OFF = {"languages": [], "words": {"suspect_to_reject": 0}, "links": {"max": 1000, "shorteners": []},
       "threats": {"enabled": False}, "personal_data": {"enabled": False}, "spam_phrases": {"enabled": False},
       "spam_model": {"enabled": False}, "copies": {"enabled": False}, "classifier": {"provider": "none"}}
OFF_TOML = """languages = []
[words]
suspect_to_reject = 0
[links]
max = 1000
shorteners = []
[threats]
enabled = false
[personal_data]
enabled = false
[spam_phrases]
enabled = false
[spam_model]
enabled = false
[copies]
enabled = false
[classifier]
provider = "none"
"""


def realistic_bodies(count: int) -> list[str]:
    """Up to ``count`` different realistic comments: the labelled evaluation set and the spam
    model's seed (about a thousand, written for the project in a dozen languages, clean,
    abusive and spam). The formats benchmark's generated corpus suits the renderer, not the
    policy: drawn from a small vocabulary, its comments look like copies of each other."""
    texts = [json.loads(line)["body"] for line in LABELLED.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts += [json.loads(line)["text"] for line in SEED_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]
    unique = list(dict.fromkeys(texts))
    random.Random(5).shuffle(unique)
    return unique[:count]


def word_list(size: int, rng: random.Random) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return sorted({"".join(rng.choice(letters) for _ in range(rng.randint(5, 10))) for _ in range(size * 2)})[:size]


def time_decisions(policy: Policy, rendered: list[tuple[str, dict]]) -> float:
    started = time.perf_counter()
    for html, report in rendered:
        evaluate(policy, html, report)
    return time.perf_counter() - started


def decisions(rounds: int, comments: int) -> dict:
    rng = random.Random(7)
    bodies = realistic_bodies(comments)
    rendered = [(result.html, result.report.to_dict()) for result in (render(body, "filtered_html") for body in bodies)]
    small = Policy.from_dict({**OFF, "words": {"banned": word_list(10, rng), "suspect_to_reject": 0}}, version="b10")
    large = Policy.from_dict({**OFF, "words": {"banned": word_list(5000, rng), "suspect_to_reject": 0}}, version="b5000")
    full = default_policy()
    for policy in (small, large, full):
        time_decisions(policy, rendered[:50])  # build the automata, load the models
    best = {"10 terms": float("inf"), "5,000 terms": float("inf"), "default policy": float("inf"), "render": float("inf")}
    for _ in range(rounds):
        best["10 terms"] = min(best["10 terms"], time_decisions(small, rendered))
        best["5,000 terms"] = min(best["5,000 terms"], time_decisions(large, rendered))
        best["default policy"] = min(best["default policy"], time_decisions(full, rendered))
        started = time.perf_counter()
        for body in bodies:
            render(body, "filtered_html")
        best["render"] = min(best["render"], time.perf_counter() - started)
    per_comment = {name: seconds * 1e6 / len(bodies) for name, seconds in best.items()}
    print(f"decisions on {len(bodies)} comments (µs per comment): "
          + ", ".join(f"{name} {value:.1f}" for name, value in per_comment.items()), flush=True)
    return {"us_per_comment": per_comment,
            "ratio_large_to_small": best["10 terms"] / best["5,000 terms"],
            "default_policy_to_render": best["default policy"] / best["render"]}


def worker_sides(rounds: int, comments: int, workdir: Path) -> dict:
    off_file = workdir / "policy-off.toml"
    off_file.write_text(OFF_TOML)
    redis_server = harness.RedisServer(workdir / "redis").start()
    os.environ["MODERATION_REDIS_URL"] = redis_server.url()
    os.environ.pop("MODERATION_BROKER_URL", None)
    client = connect_redis(redis_server.url(), socket_timeout=30)
    bodies = realistic_bodies(comments)
    results = {"on": [], "off": []}
    for index in range(rounds):
        for side in (("off", "on") if index % 2 == 0 else ("on", "off")):
            env = {} if side == "on" else {"MODERATION_POLICY_FILE": str(off_file)}
            run = run_worker(redis_server, client, bodies, workdir, index * 2 + (side == "on"), "", env, 600)
            results[side].append(run)
            print(f"worker round {index + 1}/{rounds} policy {side:>3}: {run['per_second']:7.0f} comments/s, "
                  f"{run['cpu_ms_per_comment']:.3f} CPU ms/comment, {run['statuses']}", flush=True)
    best = {side: max(runs, key=lambda run: run["per_second"]) for side, runs in results.items()}
    return {"runs": results, "best": best,
            "ratio_on_to_off": best["on"]["per_second"] / best["off"]["per_second"],
            "rounds": [on["per_second"] / off["per_second"] for on, off in zip(results["on"], results["off"])]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    harness.ensure_tools("redis-server")
    comments = 600 if args.quick else 1000
    workdir = Path(tempfile.mkdtemp(prefix="bench-policy-"))
    try:
        decided = decisions(args.rounds, comments)
        worker = worker_sides(2 if args.quick else args.rounds, comments, workdir)
    finally:
        harness.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"\n{os.cpu_count()} CPUs, Python {harness.python_version()}, best of {args.rounds} rounds")
    print(f"  decisions/s, 5,000-term list ÷ 10-term list          {decided['ratio_large_to_small']:5.2f}×")
    print(f"  default policy's decision ÷ the render (time)         {decided['default_policy_to_render']:5.2f}×")
    print(f"  worker comments/s, default policy on ÷ every rule off {worker['ratio_on_to_off']:5.2f}×   rounds: "
          + " ".join(f"{value:.2f}" for value in worker["rounds"]))
    if args.json:
        args.json.write_text(json.dumps({"decisions": decided, "worker": {k: v for k, v in worker.items()},
                                         "settings": {"comments": comments, "rounds": args.rounds}}, indent=2))


if __name__ == "__main__":
    main()
