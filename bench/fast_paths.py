"""Benchmark: what each formats fast path buys (moderation/formats/fast_paths.py).

    python bench/fast_paths.py [--rounds N] [--quick]

On the mixed corpus (the issue's yardstick) and on the short comments alone (most comments
are short; there the fixed cost per comment shows), render('filtered_html') with nh3 runs with every fast path on, with
each one off in turn, and with all of them off (the exact implementations alone), against
the bleach clean+linkify baseline of bench/formats.py, all interleaved round by round in
one process and each figure the best of N rounds. Prints each configuration's ratio to the
baseline and each fast path's gain: the render's time without it over its time with all on
(1.10 = the render is 10% slower without it).
"""
import argparse
import os
import sys
import time
from contextlib import nullcontext

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from formats import bench_corpus, bleach_baseline  # noqa: E402
from moderation.formats import fast_paths, render  # noqa: E402

FLOOR = 22.0    # issue #13: the render stays >= 22x the baseline on the mixed corpus


def render_all(texts):
    for text in texts:
        render(text, "filtered_html", engine="nh3")


def baseline_all(texts):
    for text in texts:
        bleach_baseline(text)


def timed(fn, texts, switched_off):
    with fast_paths.off(*switched_off) if switched_off is not None else nullcontext():
        start = time.perf_counter()
        fn(texts)
        return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="smaller corpus, 3 rounds")
    args = parser.parse_args()
    rounds = 3 if args.quick else args.rounds
    corpus = bench_corpus(args.quick)
    sets = {"mixed": corpus["mixed"], "short": corpus["short"]}

    # name -> (function, fast paths switched off: None for none, () for all)
    configurations = {"baseline (bleach.clean+linkify)": (baseline_all, None),
                      "all fast paths on": (render_all, None)}
    configurations.update({f"without {name}": (render_all, (name,)) for name in fast_paths.NAMES})
    configurations["exact only (all off)"] = (render_all, ())
    for fn, switched_off in configurations.values():     # warm caches
        timed(fn, sets["mixed"][:20], switched_off)

    best = {(set_name, name): float("inf") for set_name in sets for name in configurations}
    for _ in range(rounds):
        for set_name, texts in sets.items():
            for name, (fn, switched_off) in configurations.items():
                key = (set_name, name)
                best[key] = min(best[key], timed(fn, texts, switched_off))

    print(f"Python {sys.version.split()[0]}, best of {rounds} rounds; "
          + ", ".join(f"{name} {len(texts)} comments" for name, texts in sets.items()) + "\n")
    print(f"{'configuration':<32} {'mixed ÷ baseline':>16} {'gain':>6} | {'short ÷ baseline':>16} {'gain':>6}")
    for name in configurations:
        if name.startswith("baseline"):
            continue
        cells = []
        for set_name in sets:
            base = best[(set_name, "baseline (bleach.clean+linkify)")]
            seconds, all_on = best[(set_name, name)], best[(set_name, "all fast paths on")]
            cells.append(f"{base / seconds:15.1f}× {seconds / all_on:6.2f}")
        mixed_ratio = best[("mixed", "baseline (bleach.clean+linkify)")] / best[("mixed", name)]
        note = "" if mixed_ratio >= FLOOR else f"  (mixed below the {FLOOR:.0f}x floor)"
        print(f"{name:<32} {cells[0]} | {cells[1]}{note}")


if __name__ == "__main__":
    main()
