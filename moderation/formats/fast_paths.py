"""The switches for the formats code's speed-ups, one per fast path.

Each speed-up takes a shortcut to the exact implementation's answer, or declines and lets the
exact code run; none may change a result. Each asks its switch here first (a module attribute:
as cheap as a global), so with them off the exact implementations alone run. The tests run the
Drupal acceptance vectors, the equivalence and the property tests that way too
(tests/formats/conftest.py), which is what proves that deleting a fast path changes nothing but
speed; ``bench/fast_paths.py`` measures what each one buys (docs/text-formats.md, "Fast paths").
"""
from __future__ import annotations

from contextlib import contextmanager

# Each gain: the render's time without it over its time with all on, mixed corpus / short
# comments (python bench/fast_paths.py --rounds 21, 2026-12-06; docs/benchmarks.md). All of
# them off, the render is 9.0x the bleach baseline, under the 22x floor (issue #13).

# filter_url: its passes anchor by anchor over the whole text (url_scan.scan_links), instead
# of Drupal's chunk walk (url_chunks.map_linkable_chunks). Gain 1.66 / 1.03.
ANCHOR_SCAN = True
# filter_autop: the common shapes written directly (autop_shortcuts.py) instead of the chain.
# Gain 1.17 / 1.23.
AUTOP_SHORTCUTS = True
# filter_html: text with no markup returned trimmed, without the engine. Gain 1.00 / 1.05:
# nothing on the mixed corpus, whose time long comments fill, but short comments are most of
# what readers post, and it is one line.
HTML_NO_MARKUP = True
# filter_html's report: removals counted from the text alone (html_text_counts.py), not a tree.
# Gain 1.26 / 1.12.
HTML_COUNT_FROM_TEXT = True
# The output guard: accept from the text alone (guard_text_proof.py), without a parse.
# Gain 1.35 / 1.66.
GUARD_TEXT_PROOF = True

NAMES = ("ANCHOR_SCAN", "AUTOP_SHORTCUTS", "HTML_NO_MARKUP", "HTML_COUNT_FROM_TEXT",
         "GUARD_TEXT_PROOF")


def all_on() -> bool:
    return all(globals()[name] for name in NAMES)


@contextmanager
def off(*names: str):
    """Turn the named fast paths (all of them by default) off inside the ``with`` block: the
    exact implementations run there (not thread-safe: tests and benchmarks)."""
    unknown = set(names) - set(NAMES)
    if unknown:
        raise ValueError(f"no such fast path: {', '.join(sorted(unknown))}")
    chosen = names or NAMES
    saved = {name: globals()[name] for name in chosen}
    globals().update(dict.fromkeys(chosen, False))
    try:
        yield
    finally:
        globals().update(saved)
