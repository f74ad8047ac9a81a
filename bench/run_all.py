"""`make bench`: every benchmark, then the service section of docs/benchmarks.md.

    python bench/run_all.py [--quick] [--no-docs] [--json-dir DIR]

Runs bench/formats.py, bench/fast_paths.py, bench/caches.py, bench/intake.py, bench/worker.py, bench/memory.py,
bench/topologies.py, bench/policy.py and bench/dashboard.py one after the other (their own output goes to the terminal),
then replaces what lies between ``<!-- bench:service:start -->`` and
``<!-- bench:service:end -->`` in docs/benchmarks.md (the markers are appended at
the end of the file the first time; nothing else in the file is touched) with
their results, and writes the latency plot docs/bench-intake-latency.svg that it
shows.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.latency_svg import percentile_svg  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"
SVG = ROOT / "docs" / "bench-intake-latency.svg"
START, END = "<!-- bench:service:start -->", "<!-- bench:service:end -->"


def run(script: str, *args: str) -> None:
    """Run one benchmark script with this interpreter; stop everything if it fails."""
    command = [sys.executable, str(ROOT / "bench" / script), *args]
    print(f"\n==> {' '.join(command[1:])}", flush=True)
    process = subprocess.Popen(command, cwd=ROOT)
    try:
        returncode = process.wait()
    except BaseException:
        # Ctrl-C or SIGTERM: the script must stop its own servers (they run in their own sessions),
        # so ask it to (it ignores a second signal while it cleans up) and give it time.
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
        raise
    if returncode:
        raise SystemExit(f"bench/{script} failed (exit status {returncode})")


def git_revision() -> str:
    """The commit benchmarked, marked when the work tree has changes."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown commit"
    return f"commit {commit}" + (" with uncommitted changes" if dirty else "")


def md_table(headers: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(headers) + " |", "|" + " --- |" * len(headers)] + \
           ["| " + " | ".join(row) + " |" for row in rows]


def per_round(rounds: list[dict], numerator, denominator) -> str:
    return ", ".join(f"{numerator(r) / denominator(r):.2f}" for r in rounds)


def intake_section(result: dict, svg_name: str) -> list[str]:
    s, best, rounds = result["settings"], result["best"], result["rounds"]
    lines = [
        "### Intake: `POST /api/v1/comments` under wrk (`bench/intake.py`)", "",
        f"wrk, {s['connections']} keep-alive connections, {s['threads']} threads, {s['duration_s']:g} s per run, "
        f"best of {s['rounds']} rounds with the targets taking turns; both servers under "
        f"`config/gunicorn.conf.py` with {s['workers']} workers (`{s['worker_class']}`). Baselines: "
        "`bench/baseline_app.py` (`minimal`: one GET to authenticate, one HSET + LPUSH pipeline; "
        "`minimal+publish`: the same plus the API's Celery publish). CPU: the gunicorn workers' "
        "user + system time from /proc over the run, per request. No Celery worker runs. Latency is "
        "wrk's closed-loop figure (each connection waits for its answer), so it rises with the "
        "server's CPU cost per request.", "",
    ]
    rows = []
    for target, run in best.items():
        lat = run["latency_ms"]
        rows.append([f"`{target}`", f"{run['rps']:.0f}", f"{run['rps'] / best['intake']['rps']:.2f}×",
                     f"{lat['50']:.1f}", f"{lat['90']:.1f}", f"{lat['99']:.1f}", f"{lat['99.9']:.1f}",
                     str(run["non_2xx"]), f"{run['cpu_ms_per_req']:.3f}", f"{run['redis_cpu_ms_per_req']:.3f}"])
    lines += md_table(["target", "req/s", "÷ intake", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "non-2xx",
                       "CPU ms/req", "Redis CPU ms/req"], rows)
    lines.append("")
    ratio_rows = []
    for base in ("minimal", "minimal+publish"):
        ratio_rows.append([f"intake req/s ÷ `{base}` req/s", f"**{best['intake']['rps'] / best[base]['rps']:.2f}×**",
                           per_round(rounds, lambda r: r["intake"]["rps"], lambda r, b=base: r[b]["rps"])])
    for base in ("minimal", "minimal+publish"):
        ratio_rows.append([f"`{base}` CPU/req ÷ intake CPU/req",
                           f"**{best[base]['cpu_ms_per_req'] / best['intake']['cpu_ms_per_req']:.2f}×**",
                           per_round(rounds, lambda r, b=base: r[b]["cpu_ms_per_req"],
                                     lambda r: r["intake"]["cpu_ms_per_req"])])
    lines += md_table(["ratio", "best runs", "each round (paired)"], ratio_rows)
    lines += ["", f"![Intake latency by percentile, best run of each target]({svg_name})", ""]
    return lines


def worker_section(result: dict) -> list[str]:
    s, best, rounds = result["settings"], result["best"], result["rounds"]
    lines = [
        "### Worker: one worker draining a backlog (`bench/worker.py`)", "",
        f"{s['comments']} comments of the mixed corpus, created with `CommentStore.create` as the intake "
        "creates them (on the site's ready list; the first wakes a drain task) before the worker starts "
        f"(`{s['worker_command']}`, pool `{s['pool']}`, default batch); timed from its ready (first "
        "heartbeat) until no comment is queued or processing. Raw loop, in the benchmark process: "
        "HGETALL, `render()`, one pipelined HSET + ZADD. Best of "
        f"{s['rounds']} rounds, the two sides taking turns. CPU: the worker's processes (or the benchmark "
        "process) per comment.", "",
    ]
    rows = []
    for side, run in best.items():
        rows.append([side, f"{run['per_second']:.0f}", f"{run['per_second'] / best['raw loop']['per_second']:.2f}×",
                     f"{run['cpu_ms_per_comment']:.3f}", f"{run['redis_cpu_ms_per_comment']:.3f}",
                     str(run["processes"]), ", ".join(f"{k} {v}" for k, v in sorted(run["statuses"].items()))])
    lines += md_table(["side", "comments/s", "÷ raw loop", "CPU ms/comment", "Redis CPU ms/comment",
                       "processes", "final states"], rows)
    lines.append("")
    lines += md_table(["ratio", "best runs", "each round (paired)"], [
        ["worker comments/s ÷ raw loop comments/s", f"**{best['worker']['per_second'] / best['raw loop']['per_second']:.2f}×**",
         per_round(rounds, lambda r: r["worker"]["per_second"], lambda r: r["raw loop"]["per_second"])],
        ["worker CPU/comment ÷ raw loop CPU/comment",
         f"**{best['worker']['cpu_ms_per_comment'] / best['raw loop']['cpu_ms_per_comment']:.2f}×**",
         per_round(rounds, lambda r: r["worker"]["cpu_ms_per_comment"], lambda r: r["raw loop"]["cpu_ms_per_comment"])],
    ])
    startups = ", ".join(f"{r['worker']['startup_s']:.2f}" for r in rounds)
    lines += ["", f"Worker start-up (spawn to ready, not counted above): {startups} s.", ""]
    return lines


def memory_section(result: dict) -> list[str]:
    settings = result["settings"]
    rows = [[f"{r['shape']}, hash-max-listpack-value {r['redis']}", f"{r['per_comment']:.0f}", f"{r['hash']:.0f}",
             f"{r['hash_data']:.0f}", f"{r['audit']:.0f}", r["encoding"], f"{r['comments_per_gb'] / 1000:.0f}k",
             f"{r['days_per_gb']:.1f}"] for r in result["results"]]
    return [
        "### Memory: bytes of Redis per stored comment (`bench/memory.py`)", "",
        f"{settings['comments']} comments with a 450-byte body, stored and decided (approved) as the service "
        f"does it, over {settings['threads']} threads of one site; Redis's `used_memory` before and after. "
        "`cms`: the fields a CMS sends (author, thread URL and title, IP); `browser`: also a full user agent and "
        "a referrer. 'hash' is `MEMORY USAGE` of one comment's hash; 'audit' its share of the site's stream.",
        "",
        *md_table(["case", "bytes/comment", "hash", "hash data", "audit", "encoding", "comments per GB",
                   f"days per GB at {settings['per_day'] // 1000}k comments/day"], rows),
        "",
    ]


def topologies_section(result: dict) -> list[str]:
    settings = result["settings"]
    intake_rows = [[name, f"{run['rps']:.0f}", f"{run['cpu_ms_per_req']:.3f}", f"{run['p99_ms']:.1f}"]
                   for name, run in result["best_intake"].items()]
    worker_rows = [[f"{count} worker{'s' if count != '1' else ''}", f"{run['per_second']:.0f}",
                    f"{run['worker_cpu_ms_per_comment']:.3f}", f"{run['worker_cpu_share'] * 100:.0f}%",
                    f"{run['redis_cpu_share'] * 100:.0f}%"] for count, run in result["best_workers"].items()]
    ratio_rows = [[label, f"**{value['best']:.2f}×**", ", ".join(f"{v:.2f}" for v in value["rounds"])]
                  for label, value in result["ratios"].items()]
    return [
        "### Past one machine: cluster intake, two workers (`bench/topologies.py`)", "",
        f"Intake: the API under gunicorn twice, store on a single Redis and on a three-primary Redis Cluster on "
        f"the same machine, wrk for {settings['seconds']} s per run. Workers: {settings['comments']} comments "
        "over four sites stored first, then one and two solo-pool workers drain them, from the first drain "
        f"task to the last decision. Best of {settings['rounds']} rounds, the sides taking turns; "
        f"{settings['cpus']} CPUs shared with Redis and the load generator.",
        "",
        *md_table(["store", "req/s", "CPU ms/req", "p99 ms"], intake_rows), "",
        *md_table(["workers", "comments/s", "worker CPU ms/comment", "workers busy (of one CPU)",
                   "Redis busy (of one CPU)"], worker_rows), "",
        *md_table(["ratio", "best runs", "each round (paired)"], ratio_rows), "",
    ]


def policy_section(result: dict) -> list[str]:
    decided, worker = result["decisions"], result["worker"]
    rows = [[name, f"{value:.1f}"] for name, value in decided["us_per_comment"].items()]
    worker_rows = [[f"policy {side}", f"{run['per_second']:.0f}", f"{run['cpu_ms_per_comment']:.3f}",
                    ", ".join(f"{k} {v}" for k, v in sorted(run["statuses"].items()))]
                   for side, run in worker["best"].items()]
    return [
        "### Automatic moderation: what the policy costs (`bench/policy.py`)", "",
        f"{result['settings']['comments']} different realistic comments (the labelled evaluation set and the spam "
        "model's seed). Decisions: `evaluate` in this process with a 10-term and a 5,000-term word list (every "
        "other rule off), and with the default policy; the render for scale. Worker: one solo-pool worker drains "
        "them with the default policy, and with a policy with every rule off, the sides taking turns.", "",
        *md_table(["decision", "µs per comment"], rows), "",
        *md_table(["worker", "comments/s", "CPU ms/comment", "statuses"], worker_rows), "",
        *md_table(["ratio", "value"], [
            ["decisions/s, 5,000-term list ÷ 10-term list", f"**{decided['ratio_large_to_small']:.2f}×**"],
            ["worker comments/s, default policy ÷ every rule off",
             f"**{worker['ratio_on_to_off']:.2f}×** (rounds " + ", ".join(f"{v:.2f}" for v in worker["rounds"]) + ")"],
        ]), "",
    ]


def dashboard_section(result: dict) -> list[str]:
    medians = result["median_seconds"]
    base = medians["admin API JSON"]
    rows = [[name, f"{value * 1000:.1f}", f"{value / base:.2f}×"] for name, value in medians.items()]
    return [
        "### Dashboard: a page against the admin API's JSON (`bench/dashboard.py`)", "",
        f"One site with {result['pending']} held comments (findings with evidence), a moderator's session, "
        f"Flask's test client in one process, {result['rounds']} rounds with the sides in turn; medians. "
        "The queue page renders every card (highlighted text, findings, sandboxed frame, actions); the JSON is "
        "the same comments from `GET /api/v1/admin/sites/{site}/comments?limit=50`.",
        "",
        *md_table(["target", "median ms", "÷ admin API JSON"], rows),
        "",
    ]


def section(intake: dict, worker: dict, memory: dict, topologies: dict, quick: bool, svg_name: str,
            policy: dict | None = None, dashboard: dict | None = None) -> str:
    lines = [
        START,
        "## Service: intake, worker, memory, topologies, moderation, dashboard",
        "",
        "Written by `make bench` (`bench/run_all.py`) between these markers; edit the scripts, not this text.",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}, {git_revision()}, Python {intake['python']}, "
        f"{intake['cpus']} CPUs{', `--quick` run (short, fewer comments)' if quick else ''}. "
        "Ratios are against baselines run in the same process on the same data; absolute "
        "figures are this machine's on this day only.",
        "",
        *intake_section(intake, svg_name),
        *worker_section(worker),
        *memory_section(memory),
        *topologies_section(topologies),
        *(policy_section(policy) if policy else []),
        *(dashboard_section(dashboard) if dashboard else []),
        END,
    ]
    return "\n".join(lines) + "\n"


def write_section(doc: Path, text: str) -> None:
    """Replace the marked section of ``doc`` (markers included), or append it at the end."""
    current = doc.read_text()
    start, end = current.find(START), current.find(END)
    if start == -1 and end == -1:
        updated = current.rstrip("\n") + "\n\n" + text
    elif start != -1 and end > start:
        after = current[end + len(END):]
        updated = current[:start] + text.rstrip("\n") + after
    else:
        raise SystemExit(f"{doc}: the markers {START} / {END} are not in order; fix the file by hand")
    doc.write_text(updated)


def main() -> None:
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))  # so run() can clean up
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="pass --quick to every benchmark")
    parser.add_argument("--no-docs", action="store_true", help="print the section instead of writing it")
    parser.add_argument("--json-dir", type=Path, help="keep every benchmark's JSON here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-results-") as scratch:
        json_dir = args.json_dir or Path(scratch)
        json_dir.mkdir(parents=True, exist_ok=True)
        quick = ["--quick"] if args.quick else []
        run("formats.py", *quick)
        run("fast_paths.py", *quick)
        run("caches.py", *quick)
        run("intake.py", *quick, "--json", str(json_dir / "intake.json"))
        run("worker.py", *quick, "--json", str(json_dir / "worker.json"))
        run("memory.py", *(["--comments", "1000"] if args.quick else []), "--json", str(json_dir / "memory.json"))
        run("topologies.py", *quick, "--json", str(json_dir / "topologies.json"))
        run("policy.py", *quick, "--json", str(json_dir / "policy.json"))
        run("dashboard.py", *(["--rounds", "10"] if args.quick else []), "--json", str(json_dir / "dashboard.json"))
        intake, worker, memory, topologies, policy, dashboard = (
            json.loads((json_dir / f"{name}.json").read_text())
            for name in ("intake", "worker", "memory", "topologies", "policy", "dashboard"))

    svg = percentile_svg({target: run["latency_ms"] for target, run in intake["best"].items()},
                         title="POST latency by percentile (wrk, best run of each target)")
    text = section(intake, worker, memory, topologies, args.quick, SVG.name, policy, dashboard)
    if args.no_docs:
        print("\n" + text)
        return
    SVG.write_text(svg)
    write_section(DOC, text)
    print(f"\nwrote {DOC.relative_to(ROOT)} (its section between the bench:service markers) and "
          f"{SVG.relative_to(ROOT)}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # what we started is already stopped (finally blocks, atexit)
        sys.exit("interrupted")
