"""Near-duplicates: copy-paste campaigns post the same text, lightly varied, in many threads
and sites.

A comment's **shingles** are its folded words of three letters or more (the first few
hundred): two copies of a campaign share nearly all of them whatever the order or small
edits, two honest comments share few. Finding earlier copies among thousands of recent
comments without comparing to each:

- each shingle is hashed once and dropped into one of 20 bins, each bin keeping its smallest
  hash ("one permutation hashing", a MinHash in one pass; empty bins of a short comment are
  filled from its other bins). Two texts agree on a bin with a probability close to the
  Jaccard similarity of their shingle sets;
- the 20 minima form 4 bands of 5 (the **band keys**); texts that agree on a whole band are
  candidates (about 0.97 chance at 90% similarity, almost none below 20%). The store indexes
  band keys for two days (``store/near_duplicates.py``);
- a candidate is a copy only when the two texts' shingle sets really are similar
  (``SIMILARITY``, Jaccard): the candidate's text is read back and compared, so a chance
  collision of bands never holds an honest comment.

Computing a comment's fingerprint takes tens of microseconds.
"""
from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass, field

from moderation.policy.folding import folded_words

BINS, BANDS = 20, 4
ROWS = BINS // BANDS
MIN_WORDS = 8      # shorter comments ("Great article, thanks!") repeat innocently
MAX_WORDS = 400    # a campaign shows in its first few hundred words: a long comment costs no more
SIMILARITY = 0.6   # Jaccard of shingle sets at or above which two texts are copies
_EMPTY = 0xFFFFFFFF


@dataclass(frozen=True)
class Fingerprint:
    shingles: frozenset[str] = frozenset()
    bands: tuple[str, ...] = ()


def fingerprint(text: str) -> Fingerprint:
    """The comment's shingles and band keys (empty for a comment too short to judge)."""
    words = folded_words(text)
    if len(words) < MIN_WORDS:
        return Fingerprint()
    shingles = frozenset(words[:MAX_WORDS])
    minima = [_EMPTY] * BINS
    for shingle in shingles:
        value = zlib.crc32(shingle.encode())
        index = value % BINS
        if value < minima[index]:
            minima[index] = value
    _densify(minima)
    bands = tuple(f"{band}:" + hashlib.blake2b(repr((band, minima[band * ROWS:(band + 1) * ROWS])).encode(),
                                               digest_size=8).hexdigest() for band in range(BANDS))
    return Fingerprint(shingles, bands)


def _densify(minima: list[int]) -> None:
    """Fill each empty bin from the next filled one (circularly), mixed with its own index: a
    short comment has empty bins, and two copies of it have the same ones."""
    filled = [index for index, value in enumerate(minima) if value != _EMPTY]
    for index in range(BINS):
        if minima[index] == _EMPTY:
            source = next((other for other in filled if other > index), filled[0])
            minima[index] = zlib.crc32(f"{index}:{minima[source]}".encode())


def similar(first: frozenset[str], second: frozenset[str]) -> bool:
    """Whether two shingle sets are copies of one text (Jaccard ≥ SIMILARITY)."""
    if not first or not second:
        return False
    return len(first & second) >= SIMILARITY * len(first | second)


@dataclass(frozen=True)
class EarlierCopies:
    """What is known of a comment's text: how many comments had it before (at least), and the
    first of them (``site/id``)."""

    count: int = 0
    first: str = ""

    def plus(self, other: "EarlierCopies") -> "EarlierCopies":
        return EarlierCopies(self.count + other.count, self.first or other.first) if other.count else self


@dataclass
class RecentCopies:
    """Comments seen so far, in memory, with their shingles: a worker's batch (on top of the
    store's index), or an evaluation run over a file in posting order."""

    _bands: dict[str, list[str]] = field(default_factory=dict)  # band key -> refs
    _shingles: dict[str, frozenset[str]] = field(default_factory=dict)  # ref -> shingles

    def seen(self, print_: Fingerprint) -> EarlierCopies:
        """The earlier comments whose text this one copies."""
        copies = [ref for ref in dict.fromkeys(ref for band in print_.bands for ref in self._bands.get(band, ()))
                  if similar(print_.shingles, self._shingles[ref])]
        return EarlierCopies(len(copies), copies[0]) if copies else EarlierCopies()

    def add(self, ref: str, print_: Fingerprint) -> None:
        if print_.bands:
            self._shingles[ref] = print_.shingles
            for band in print_.bands:
                self._bands.setdefault(band, []).append(ref)
