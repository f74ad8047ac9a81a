"""The switch for the formats code's speed-ups.

Each speed-up takes a shortcut to the exact implementation's answer, or declines and lets the
exact code run; none may change a result. Every one asks :data:`ON` first, so with it False the
exact implementations alone run: the tests run the Drupal acceptance vectors, the equivalence
and the property tests that way too (tests/formats/conftest.py), which is what proves that
deleting a fast path changes nothing but speed.
"""
from __future__ import annotations

from contextlib import contextmanager

ON = True


@contextmanager
def off():
    """Run the exact implementations only, inside the ``with`` block (not thread-safe: tests)."""
    global ON
    saved, ON = ON, False
    try:
        yield
    finally:
        ON = saved
