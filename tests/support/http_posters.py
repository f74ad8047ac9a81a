"""HTTP clients that post comments the way a CMS does: an Idempotency-Key per comment, the same
key retried until it gets a 202. For fault tests against the real API server (gunicorn)."""
from __future__ import annotations

import json
import threading
import time
from collections import Counter

from tests.service.helpers import comment_payload


class RetryingPoster(threading.Thread):
    """Posts to ``sites`` ((site id, API key) pairs, in turn) until halted.

    ``acknowledged``: idempotency key -> (site id, comment id) of every 202. ``statuses``: every
    answer by status; a refusal without ``Retry-After`` counts as ``"<status> bare"``, a socket
    error as ``"connection error"``.
    """

    def __init__(self, server, sites: list[tuple[str, str]], number: int, pause: float = 0.01,
                 attempts: int = 200):
        super().__init__(daemon=True, name=f"poster-{number}")
        self.server, self.sites, self.number = server, sites, number
        self.pause, self.attempts = pause, attempts
        self.acknowledged: dict[str, tuple[str, str]] = {}
        self.statuses: Counter = Counter()
        self.halt = threading.Event()

    def run(self) -> None:
        sent = 0
        while not self.halt.is_set():
            site_id, api_key = self.sites[sent % len(self.sites)]
            key = f"p{self.number}-{sent}"
            body = json.dumps(comment_payload(body=f"Comment {key} https://example.org/{sent}")).encode()
            headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json",
                       "Idempotency-Key": key}
            for _attempt in range(self.attempts):
                if self._post(key, site_id, body, headers):
                    break
            sent += 1
            time.sleep(self.pause)

    def _post(self, key: str, site_id: str, body: bytes, headers: dict) -> bool:
        try:
            reply = self.server.request("POST", "/api/v1/comments", body=body, headers=headers, timeout=10)
        except OSError:
            self.statuses["connection error"] += 1
            time.sleep(0.2)
            return False
        retry_after = {name.lower(): value for name, value in reply.headers.items()}.get("retry-after")
        self.statuses[reply.status if reply.status == 202 or retry_after else f"{reply.status} bare"] += 1
        if reply.status == 202:
            self.acknowledged[key] = (site_id, reply.json()["id"])
            return True
        time.sleep(0.1)
        return False


def run_posters(posters: list[RetryingPoster]) -> None:
    for poster in posters:
        poster.start()


def stop_posters(posters: list[RetryingPoster]) -> tuple[Counter, dict[str, tuple[str, str]]]:
    """Halt and join them; every status seen, and every acknowledged comment."""
    for poster in posters:
        poster.halt.set()
    for poster in posters:
        poster.join(timeout=60)
        assert not poster.is_alive(), f"{poster.name} did not stop"
    statuses = sum((poster.statuses for poster in posters), Counter())
    return statuses, {key: found for poster in posters for key, found in poster.acknowledged.items()}
