"""Wait for a condition with a hard deadline."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(probe: Callable[[], T], timeout: float, interval: float = 0.05,
               message: str = "condition") -> T:
    """Call ``probe`` until it returns something truthy; return that, or fail after ``timeout`` s.

    Exceptions from the probe count as "not yet" (the last one is reported).
    """
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            value = probe()
            if value:
                return value
        except Exception as exc:  # e.g. Redis still restarting
            last_error = exc
        if time.monotonic() >= deadline:
            detail = f" (last error: {last_error!r})" if last_error else ""
            raise AssertionError(f"timed out after {timeout}s waiting for {message}{detail}")
        time.sleep(interval)
