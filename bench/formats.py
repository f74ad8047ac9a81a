"""Benchmark: render('filtered_html') per engine against a bleach baseline.

    python bench/formats.py [--rounds N] [--quick]

Prints ratios, not absolute claims: the baseline (bleach.clean then
bleach.linkify(parse_email=True), the pipeline we first planned on) runs in the
same process on the same data, interleaved with the candidates, and every
figure is the best of N rounds (our machines are noisy). Also prints the worst
µs/KB over a hostile-input set against the median µs/KB of the mixed corpus.
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import bleach  # noqa: E402

from corpus import make_corpus  # noqa: E402
from moderation.formats import render  # noqa: E402

BASELINE_TAGS = ["em", "strong", "blockquote", "br", "p"]
ENGINES = ("nh3", "bleach")


def bleach_baseline(text):
    cleaned = bleach.clean(text, tags=BASELINE_TAGS, attributes={}, strip=True)
    return bleach.linkify(cleaned, parse_email=True)


def render_with(engine):
    def run(text):
        return render(text, "filtered_html", engine=engine).html
    return run


def hostile_inputs(size=64 * 1024):
    """Inputs built to make backtracking or nesting blow up: all ~64 KB."""
    def fill(unit):
        return (unit * (size // len(unit) + 1))[:size]
    return {
        "open parens": fill("("),
        "ampersands": fill("&"),
        "at signs": fill("@"),
        "dots": fill("."),
        "one letter": fill("a"),
        "spaces between words": "a" + " " * (size - 2) + "b",
        "blank lines": fill("\n \n"),
        "lone <": fill("<"),
        "unclosed tags": fill("<p"),
        "unclosed comments": fill("<!--"),
        "deep nesting": fill("<blockquote>"),
        "deep em": fill("<em>"),
        "deep div": fill("<div>"),
        "implied closes": fill("<p>a<li>b<dd>c"),
        "no-break spaces": fill("\u00a0"),
        "http prefixes": fill("http://"),
        "www prefixes": fill("www."),
        "dotted domain": "http://" + fill("a.")[:-8],
        "email local run": fill("a") + "@",
        "emails glued": fill("a@b."),
        "parens in path": "http://example.com/" + fill("(a"),
        "query run": "http://example.com/?" + fill("?."),
        "entities": fill("&amp;"),
        "numeric entities": fill("&#"),
        "mixed markup": fill("<em>x</em> http://ex.com/a_(b) a@b.co\n\n"),
    }


def bench_corpus(quick: bool) -> dict:
    """The benchmark corpus, or with ``quick`` a smaller one whose "mixed" set keeps the
    70/25/5 mix of short, medium and long comments (every formats bench's --quick)."""
    if not quick:
        return make_corpus()
    corpus = make_corpus(n_short=100, n_medium=30, n_long=5)
    corpus["mixed"] = corpus["short"][:70] + corpus["medium"][:25] + corpus["long"][:5]
    return corpus


def best_seconds(fn, texts, rounds):
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for text in texts:
            fn(text)
        best = min(best, time.perf_counter() - start)
    return best


def per_comment_us_per_kb(fn, texts, rounds):
    """µs/KB of each comment (best of `rounds`), for medians and worst cases."""
    figures = []
    for text in texts:
        kb = max(len(text.encode("utf-8")), 1) / 1024
        figures.append(best_seconds(fn, [text], rounds) * 1e6 / kb)
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="smaller corpus, 2 rounds")
    args = parser.parse_args()
    rounds = 2 if args.quick else args.rounds
    corpus = bench_corpus(args.quick)
    candidates = {"baseline (bleach.clean+linkify)": bleach_baseline}
    candidates.update({f"render nh3": render_with("nh3"), f"render bleach": render_with("bleach")})

    for fn in candidates.values():  # warm caches (compiled patterns, cleaners)
        fn(corpus["medium"][0])

    print(f"Python {sys.version.split()[0]}, best of {rounds} rounds\n")
    print(f"{'set':<8} {'KB':>7} | " + " | ".join(f"{name:>32}" for name in candidates))
    summary = {}
    for set_name in ("short", "medium", "long", "mixed"):
        texts = corpus[set_name]
        kb = sum(len(t.encode("utf-8")) for t in texts) / 1024
        seconds = {name: best_seconds(fn, texts, rounds) for name, fn in candidates.items()}
        base = seconds["baseline (bleach.clean+linkify)"]
        cells = []
        for name, secs in seconds.items():
            rate = len(texts) / secs
            cells.append(f"{rate:9.0f}/s {secs * 1e6 / kb:7.1f}µs/KB {base / secs:5.1f}×")
        summary[set_name] = {name: base / secs for name, secs in seconds.items()}
        print(f"{set_name:<8} {kb:7.1f} | " + " | ".join(f"{c:>32}" for c in cells))

    print("\nRatios against the baseline (higher is faster), mixed corpus:")
    for name in ("render nh3", "render bleach"):
        print(f"  {name:<14} {summary['mixed'][name]:6.1f}×")

    print("\nHostile inputs (64 KB each), render('filtered_html'):")
    for engine in ENGINES:
        fn = render_with(engine)
        mixed_median = statistics.median(per_comment_us_per_kb(fn, corpus["mixed"], 3))
        worst_name, worst = None, 0.0
        for name, text in hostile_inputs().items():
            figure = per_comment_us_per_kb(fn, [text], 3)[0]
            if figure > worst:
                worst_name, worst = name, figure
        print(f"  {engine:<7} mixed median {mixed_median:7.1f} µs/KB; worst hostile "
              f"{worst:7.1f} µs/KB ({worst_name}) = {worst / mixed_median:4.1f}× the median")


if __name__ == "__main__":
    main()
