"""Word lists matched as whole words and phrases, evasions folded, in linear time.

Every term and the comment go through the same folding (``policy.folding``); one Aho–Corasick
automaton (``ahocorasick-rs``) over all terms of all lists finds every occurrence in one pass
over the folded comment, so the cost grows with the comment, not with the size of the lists.

A match counts only on word edges: ``Scunthorpe``, ``Essex``, ``cocktail`` hold no listed
word. A term ending in ``*`` also matches the words it starts (``fuck*``: fucking); a word in
the ``allow`` list never matches (``anal*`` would otherwise catch ``analysis``), compared
before repeated letters are folded (allowing ``Niger`` does not allow the slur).

Folding keeps a repeated letter once, so the letters' counts are checked afterwards: a double
letter of the term is required in the comment (``ass`` matches ``asss`` but not ``as``), and a
single letter of the term matches a single letter or a run of three or more (``fuuuck``) but
not a double, which is how ordinary words spell (``boner`` does not match ``Bonner``, nor
``shite`` ``Shiite``).

Most comments hold no listed word: they are read only through the fast fold. Only when the
fast fold finds a candidate is the comment folded again with the map back
(``fold_mapped``), so that each match names the reader's own characters.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import ahocorasick_rs

from moderation.policy.folding import _RUN, fold, fold_mapped, fold_stages


@dataclass(frozen=True)
class WordMatch:
    """One listed term found in a text: the term as listed, its list, and where it is."""

    term: str
    list_name: str
    start: int    # offsets in the text searched (end exclusive)
    end: int
    matched: str  # the text's own characters there


@dataclass(frozen=True)
class _Term:
    term: str
    list_name: str
    prefix: bool
    counts: re.Pattern  # the term's letters with their counts (module docstring), on word edges


class WordMatcher:
    """Finds the terms of several named lists in a text (module docstring)."""

    def __init__(self, lists: Mapping[str, Iterable[str]], allow: Iterable[str] = ()):
        by_folded: dict[str, list[_Term]] = {}
        for list_name, terms in lists.items():
            for term in terms:
                prefix = term.endswith("*")
                core = term.rstrip("*").strip()
                for form in (core, *masked_forms(fold_stages(core)[0])):
                    before_runs, folded = fold_stages(form)
                    if folded.strip():
                        by_folded.setdefault(folded, []).append(
                            _Term(term, list_name, prefix, _counts_pattern(before_runs, prefix)))
        self._patterns = list(by_folded)
        self._terms = [by_folded[pattern] for pattern in self._patterns]
        self._allow = frozenset(fold_stages(word)[0].strip() for word in allow)
        self._automaton = (ahocorasick_rs.AhoCorasick(self._patterns, matchkind=ahocorasick_rs.MATCHKIND_STANDARD)
                           if self._patterns else None)

    def __len__(self) -> int:
        return sum(len(terms) for terms in self._terms)

    def find(self, text: str) -> list[WordMatch]:
        """Every listed term in ``text`` on word edges, in order of position."""
        if self._automaton is None:
            return []
        before_runs, folded = fold_stages(text)
        if not self._candidates(before_runs, folded):
            return []
        mapped = fold_mapped(text)
        matches = []
        for pattern_index, start, end in self._automaton.find_matches_as_indexes(mapped.text, overlapping=True):
            for term in self._terms[pattern_index]:
                word_end = self._word_end(mapped.text, start, end, term)
                if word_end is None:
                    continue
                run_start, run_end = mapped.span_before_runs(start, word_end)
                if (not term.counts.fullmatch(mapped.before_runs, run_start, run_end)
                        or mapped.before_runs[run_start:run_end] in self._allow):
                    continue
                original_start, original_end = mapped.span_in_original(start, word_end)
                matches.append(WordMatch(term.term, term.list_name, original_start, original_end,
                                         text[original_start:original_end]))
        return sorted(set(matches), key=lambda match: (match.start, match.end, match.term))

    def _candidates(self, before_runs: str, folded: str) -> bool:
        """Whether the fast fold holds any term on word edges (a term with a double letter
        also with its double): most comments end here."""
        for pattern_index, start, end in self._automaton.find_matches_as_indexes(folded, overlapping=True):
            for term in self._terms[pattern_index]:
                if self._word_end(folded, start, end, term) is not None and term.counts.search(before_runs):
                    return True
        return False

    def _word_end(self, folded: str, start: int, end: int, term: _Term) -> int | None:
        """Where the matched word ends, or None when the match is not on word edges."""
        if start > 0 and folded[start - 1].isalnum():
            return None
        word_end = end
        if term.prefix:
            while word_end < len(folded) and folded[word_end].isalnum():
                word_end += 1
        elif end < len(folded) and folded[end].isalnum():
            return None
        return word_end


def masked_forms(word: str) -> list[str]:
    """How readers mask a listed word with asterisks: one vowel (``f*ck``, ``sh*t``), or every
    letter but the first (``f***``) or but the first and the last (``f**k``). Only for words of
    four letters or more, and only matched where the comment has the asterisks."""
    if len(word) < 4 or not word.isalpha():
        return []
    forms = {word[:index] + "*" + word[index + 1:] for index in range(1, len(word) - 1) if word[index] in "aeiouy"}
    forms |= {word[0] + "*" * (len(word) - 1), word[0] + "*" * (len(word) - 2) + word[-1]}
    return sorted(forms)


def _counts_pattern(before_runs: str, prefix: bool) -> re.Pattern:
    """The term's letters with their counts (module docstring: ``ass`` is ``as{2,}``, ``fuck``
    is ``f(?:ff+)?u(?:uu+)?...``, each letter once or three times and more), on word edges;
    searched in, or matched against, a text folded up to its runs."""
    parts = []
    for run in re.finditer(r"(.)\1*", before_runs):
        char, count = re.escape(run.group(1)), len(run.group())
        if not _RUN.match(run.group(1) * 2):  # not a letter nor a space: as it is
            parts.append(char * count)
        elif count > 1:
            parts.append(f"{char}{{{count},}}")
        else:
            parts.append(f"{char}(?:{char}{{2,}})?")
    return re.compile(r"(?<!\w)" + "".join(parts) + (r"\w*" if prefix else r"(?!\w)"))
