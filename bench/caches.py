"""Benchmark: what each cache in moderation/formats buys.

    python bench/caches.py [--rounds N] [--quick]

Every ``functools`` cache (``lru_cache``, ``cache``, ``cached_property``) in the formats
package is found by walking its modules; each in turn is bypassed (the undecorated function
called every time, in every module that holds it) while render('filtered_html') with nh3 runs
the mixed and the short corpus and bench/formats.py's hostile inputs (cut to 8 KB each,
where a per-tag or per-link cost shows). Prints the render's time without the cache over its time with
every cache (1.10 = 10% slower without it), best of N rounds, interleaved in one process.
A cache that shows ~1.00 on all three is not paying for itself.
"""
import argparse
import functools
import importlib
import os
import pkgutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from formats import bench_corpus, hostile_inputs  # noqa: E402
import moderation.formats as formats_package  # noqa: E402
from moderation.formats import render  # noqa: E402


def formats_modules():
    return [importlib.import_module(f"moderation.formats.{info.name}")
            for info in pkgutil.iter_modules(formats_package.__path__)]


def find_caches(modules):
    """name -> (bypass, restore) for every cache defined in the formats modules."""
    caches = {}
    for module in modules:
        for name, value in vars(module).items():
            if hasattr(value, "cache_info") and getattr(value, "__module__", None) == module.__name__:
                caches[f"{module.__name__.rsplit('.', 1)[1]}.{name}"] = _function_swap(modules, value)
            elif isinstance(value, type) and value.__module__ == module.__name__:
                for attribute, member in vars(value).items():
                    if isinstance(member, functools.cached_property):
                        caches[f"{module.__name__.rsplit('.', 1)[1]}.{name}.{attribute}"] = (
                            _property_swap(value, attribute, member))
    return caches


def _function_swap(modules, cached):
    holders = [(module, name) for module in modules for name, value in vars(module).items()
               if value is cached]

    def bypass():
        for module, name in holders:
            setattr(module, name, cached.__wrapped__)

    def restore():
        for module, name in holders:
            setattr(module, name, cached)
    return bypass, restore


def _property_swap(owner, attribute, member):
    def bypass():
        setattr(owner, attribute, property(member.func))

    def restore():
        setattr(owner, attribute, member)
    return bypass, restore


def timed(texts):
    start = time.perf_counter()
    for text in texts:
        render(text, "filtered_html", engine="nh3")
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="smaller corpus, 3 rounds")
    args = parser.parse_args()
    rounds = 3 if args.quick else args.rounds
    corpus = bench_corpus(args.quick)
    sets = {"mixed": corpus["mixed"], "short": corpus["short"],
            "hostile": list(hostile_inputs(8 * 1024).values())}
    caches = find_caches(formats_modules())
    timed(sets["mixed"][:20])       # warm every cache once

    configurations = ["all caches", *caches]
    best = {(set_name, name): float("inf") for set_name in sets for name in configurations}
    for _ in range(rounds):
        for name in configurations:
            bypass, restore = caches.get(name, (None, None))
            if bypass:
                bypass()
            try:
                for set_name, texts in sets.items():
                    key = (set_name, name)
                    best[key] = min(best[key], timed(texts))
            finally:
                if restore:
                    restore()

    print(f"Python {sys.version.split()[0]}, best of {rounds} rounds; render time without each cache "
          "over the time with all (higher: the cache pays more)\n")
    print(f"{'cache':<44} " + " ".join(f"{set_name:>7}" for set_name in sets))
    for name in caches:
        cells = [best[(set_name, name)] / best[(set_name, "all caches")] for set_name in sets]
        print(f"{name:<44} " + " ".join(f"{cell:7.2f}" for cell in cells))


if __name__ == "__main__":
    main()
