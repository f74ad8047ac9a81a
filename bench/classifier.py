"""Benchmark: the offensive-language score of one comment, fast path against the library.

    python bench/classifier.py [--comments N] [--rounds N] [--json PATH]

Three ways to score the same N comments (default 500) with ``alt-profanity-check``'s model,
all in this process after the model is loaded:

- fast path: ``ProfanityCheckClassifier.score(text)``, one comment at a time (what the
  worker does): the vectorizer's analyzer, then dict look-ups and float arithmetic
  (moderation/policy/classifier.py);
- library, one at a time: ``profanity_check.predict_prob([text])`` per comment;
- library, one batch: ``profanity_check.predict_prob(texts)`` once for all N (what a batch
  costs per comment; the worker cannot wait for a batch).

Two sets of comments: ``mixed`` (the benchmark corpus's mixed set, bench/corpus.py: 70% short,
25% medium, 5% long, repeated as needed as in bench/worker.py) and ``450 chars`` (the corpus's
medium and long bodies cut into 450-character comments). Every path's probabilities are
compared with the batch's, and the largest difference is printed. Rounds alternate the paths;
best of N. The machine is noisy, so read the ratios, not the absolute figures.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import harness  # noqa: E402
from bench.corpus import make_corpus  # noqa: E402
from moderation.policy.classifier import ProfanityCheckClassifier  # noqa: E402

PATHS = ("fast path", "library, one at a time", "library, one batch")
COMMENT_CHARS = 450


# -- the data ----------------------------------------------------------------------
def comment_sets(count: int) -> dict[str, list[str]]:
    """``count`` comments of each set (always the same)."""
    corpus = make_corpus()
    mixed = corpus["mixed"]
    running = "\n\n".join(corpus["medium"] + corpus["long"])
    cut = [running[start:start + COMMENT_CHARS] for start in range(0, len(running), COMMENT_CHARS)]
    cut = [text for text in cut if len(text) == COMMENT_CHARS]
    return {"mixed": [mixed[index % len(mixed)] for index in range(count)],
            f"{COMMENT_CHARS} chars": [cut[index % len(cut)] for index in range(count)]}


# -- the paths ---------------------------------------------------------------------
def run_path(path: str, texts: list[str], classifier: ProfanityCheckClassifier) -> tuple[float, list[float]]:
    """Seconds to score ``texts`` one way, and the probabilities."""
    from profanity_check import predict_prob

    gc.collect()
    started = time.perf_counter()
    if path == "fast path":
        scores = [classifier.score(text) for text in texts]
    elif path == "library, one at a time":
        scores = [float(predict_prob([text])[0]) for text in texts]
    else:
        scores = [float(p) for p in predict_prob(texts)]
    return time.perf_counter() - started, scores


def measure(texts: list[str], classifier: ProfanityCheckClassifier, rounds: int, label: str) -> dict:
    """Best µs per comment of each path over ``rounds``, and the largest difference to the batch."""
    best = {path: float("inf") for path in PATHS}
    max_difference = 0.0
    for index in range(rounds):
        results = {path: run_path(path, texts, classifier) for path in PATHS}
        reference = results["library, one batch"][1]
        for path, (seconds, scores) in results.items():
            best[path] = min(best[path], seconds * 1e6 / len(texts))
            max_difference = max(max_difference, *(abs(a - b) for a, b in zip(scores, reference)))
        print(f"{label:<10} round {index + 1}/{rounds}  "
              + "  ".join(f"{path} {seconds * 1e6 / len(texts):9.1f} µs" for path, (seconds, _) in results.items()),
              flush=True)
    return {"us_per_comment": best, "max_abs_difference": max_difference, "comments": len(texts),
            "mean_chars": sum(map(len, texts)) / len(texts)}


# -- the report --------------------------------------------------------------------
def print_report(figures: dict[str, dict], rounds: int) -> dict[str, float]:
    print(f"\nBest of {rounds} rounds, Python {harness.python_version()}, {os.cpu_count()} CPUs\n")
    rows = []
    for label, run in figures.items():
        fast = run["us_per_comment"]["fast path"]
        for path in PATHS:
            micros = run["us_per_comment"][path]
            rows.append([f"{label} ({run['comments']}, {run['mean_chars']:.0f} chars avg): {path}",
                         f"{micros:.1f}", f"{micros / fast:.1f}×"])
    harness.print_table(["comments: path", "µs/comment", "÷ fast path"], rows)
    ratios = {}
    for label, run in figures.items():
        us = run["us_per_comment"]
        ratios[f"{label}: library one at a time ÷ fast path"] = us["library, one at a time"] / us["fast path"]
        ratios[f"{label}: library batch ÷ fast path"] = us["library, one batch"] / us["fast path"]
    print("\nRatios:")
    for name, value in ratios.items():
        print(f"  {name:<48} {value:8.1f}×")
    worst = max(run["max_abs_difference"] for run in figures.values())
    print(f"\nLargest |score − library batch| over every path and comment: {worst:.2e}")
    return ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=500, help="comments per set (default 500)")
    parser.add_argument("--rounds", type=int, default=3, help="best of N rounds (default 3)")
    parser.add_argument("--json", type=Path, help="also write every figure here (JSON)")
    args = parser.parse_args()

    classifier = ProfanityCheckClassifier()
    started = time.perf_counter()
    classifier.load()  # imports scikit-learn and loads the model: once per process, not timed below
    print(f"{classifier.version}: model loaded in {time.perf_counter() - started:.2f} s", flush=True)
    figures = {label: measure(texts, classifier, args.rounds, label)
               for label, texts in comment_sets(args.comments).items()}
    ratios = print_report(figures, args.rounds)
    if args.json:
        args.json.write_text(json.dumps({
            "benchmark": "classifier", "when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
            "python": harness.python_version(), "cpus": os.cpu_count(), "version": classifier.version,
            "settings": {"comments": args.comments, "rounds": args.rounds}, "figures": figures, "ratios": ratios,
        }, indent=2))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("interrupted")
