"""Patterns gated by trigger words: a pattern runs only where one of its words starts a word.

Python's regular expressions scan a comment at some tens of nanoseconds per character and
pattern; a rule with twenty patterns would scan it twenty times. Each pattern here declares
words that any match must contain (its triggers); one Aho–Corasick pass over the folded text
finds the triggers present, and only their patterns run.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import ahocorasick_rs

from moderation.policy.folding import fold

# How far a match may reach from its trigger word: longer than any pattern's match.
WINDOW = 200


@dataclass(frozen=True)
class TriggeredPatterns:
    patterns: tuple[tuple[frozenset[str], re.Pattern], ...]
    automaton: ahocorasick_rs.AhoCorasick

    @classmethod
    def of(cls, entries, compile_pattern=re.compile) -> "TriggeredPatterns":
        """``entries``: (space-separated trigger words, pattern source) pairs."""
        patterns = tuple((frozenset(fold(word) for word in triggers.split()), compile_pattern(source))
                         for triggers, source in entries)
        words = sorted({word for triggers, _ in patterns for word in triggers})
        return cls(patterns, ahocorasick_rs.AhoCorasick(words, matchkind=ahocorasick_rs.MATCHKIND_STANDARD))

    def triggered(self, folded: str) -> list[re.Pattern]:
        """The patterns whose triggers start a word of ``folded`` (the comment folded)."""
        present = {folded[start:end] for _, start, end in self.automaton.find_matches_as_indexes(folded, overlapping=True)
                   if start == 0 or not folded[start - 1].isalnum()}  # "hang", not "change"
        return [pattern for triggers, pattern in self.patterns if triggers & present] if present else []

    def windows(self, folded: str, reach: int = WINDOW) -> list[tuple[re.Pattern, list[tuple[int, int]]]]:
        """The triggered patterns, each with the stretches of ``folded`` around its triggers
        (``reach`` characters either side, overlaps merged): a match contains a trigger, so
        it lies in one of them, and a pattern scans them rather than the whole comment."""
        where: dict[str, list[int]] = {}
        for _, start, end in self.automaton.find_matches_as_indexes(folded, overlapping=True):
            if start == 0 or not folded[start - 1].isalnum():
                where.setdefault(folded[start:end], []).append(start)
        found = []
        for triggers, pattern in self.patterns:
            starts = sorted(position for word in triggers & where.keys() for position in where[word])
            if starts:
                found.append((pattern, _merged([(max(0, start - reach), start + reach) for start in starts])))
        return found


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
