"""Near-duplicate fingerprints: copy-paste campaigns post the same text, lightly varied, in many
threads and sites.

A comment's folded words are cut into overlapping word pairs (shingles); each is hashed once
and dropped into one of 16 bins by its hash, each bin keeping its smallest hash ("one
permutation hashing", a MinHash in one pass). Two texts share a bin's minimum with a
probability close to the Jaccard similarity of their shingle sets. The 16 minima form 4 bands
of 4: two comments that agree on a whole band are near-duplicates (about 0.9 chance at 80%
similarity, 0.2 at 50%, almost none below); the empty bins of a short comment are filled from
its other bins ("densification"), so that copies of it still agree. The store indexes band keys for two days
(``store/near_duplicates.py``); this module only computes them, in about 30 µs.
"""
from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass

from moderation.policy.folding import fold

BINS, BANDS = 16, 4
ROWS = BINS // BANDS
MIN_WORDS = 8  # shorter comments ("Great article, thanks!") repeat innocently
_WORD = re.compile(r"[^\W_]+")
_EMPTY = 0xFFFFFFFF


def band_keys(text: str) -> tuple[str, ...]:
    """The comment's band keys (empty for a comment too short to judge)."""
    words = _WORD.findall(fold(text))
    if len(words) < MIN_WORDS:
        return ()
    minima = [_EMPTY] * BINS
    for first, second in zip(words, words[1:]):
        value = zlib.crc32(f"{first} {second}".encode())
        index = value % BINS
        if value < minima[index]:
            minima[index] = value
    _densify(minima)
    keys = []
    for band in range(BANDS):
        rows = minima[band * ROWS:(band + 1) * ROWS]
        digest = hashlib.blake2b(repr((band, rows)).encode(), digest_size=8).hexdigest()
        keys.append(f"{band}:{digest}")
    return tuple(keys)


def _densify(minima: list[int]) -> None:
    """Fill each empty bin from the next filled one (circularly), mixed with its own index: a
    short comment has empty bins, and two copies of it have the same ones."""
    filled = [index for index, value in enumerate(minima) if value != _EMPTY]
    for index in range(BINS):
        if minima[index] == _EMPTY:
            source = next((other for other in filled if other > index), filled[0])
            minima[index] = zlib.crc32(f"{index}:{minima[source]}".encode())


@dataclass(frozen=True)
class EarlierCopies:
    """What is known of a comment's text: how many comments shared a band with it (the most
    for any of its bands), and the first of them (``site/id``)."""

    count: int = 0
    first: str = ""

    def plus(self, other: "EarlierCopies") -> "EarlierCopies":
        return EarlierCopies(self.count + other.count, self.first or other.first) if other.count else self


class RecentCopies:
    """Band keys seen so far, in memory: a worker's batch (on top of the store's index), or an
    evaluation run over a file in posting order."""

    def __init__(self):
        self._bands: dict[str, EarlierCopies] = {}

    def seen(self, bands: tuple[str, ...]) -> EarlierCopies:
        return max((self._bands.get(band, EarlierCopies()) for band in bands), key=lambda copies: copies.count,
                   default=EarlierCopies())

    def add(self, ref: str, bands: tuple[str, ...]) -> None:
        for band in bands:
            self._bands[band] = self._bands.get(band, EarlierCopies()).plus(EarlierCopies(1, ref))
