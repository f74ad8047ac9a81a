"""Best-of-N timing for the complexity tests (ratios at n and 8n, never absolute speed)."""
import time


def best_time(run, text: str, *, runs: int = 5, calls: int = 1) -> float:
    """The fastest of ``runs`` timings of ``calls`` calls of ``run(text)``, in seconds."""
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        for _ in range(calls):
            run(text)
        best = min(best, time.perf_counter() - started)
    return best
