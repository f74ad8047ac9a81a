"""Fold a comment's text so that evasions of a word list match the plain word.

Readers who want a listed word past a filter write it ``F.U.C.K``, ``fuuuck``, ``f u c k``,
``sh1t``, ``$hit``, with a Cyrillic ``о`` or a Greek ``ο`` for the Latin ``o``, with zero-width
characters or accents inside it (HTML entities and empty tags are gone already: the rules read
the text as rendered, ``policy.text``). Folding undoes that, in four stages, each the same for
the comment and for the list's terms:

1. **characters**: Unicode compatibility decomposition (NFKD) without combining marks, format
   characters (zero-width space, joiners, soft hyphen) dropped, lower case, look-alike letters
   of other scripts to their Latin twin, leetspeak digits and signs to letters, every white
   space to one space;
2. **single letters**: three or more one-letter words in a row, split by spaces or
   punctuation, are joined (``f u c k``, ``i.d.i.o.t``);
3. **separators inside words**: ``.``, ``-``, ``_`` between two letters go (an asterisk stays:
   ``f*ck`` is a masked word, which the word lists match as such);
4. **runs**: a letter or space repeated is kept once (``fuuuck``).

Two implementations: :func:`fold_mapped` is the reference, and also says for each folded
character which character of the original it came from, so that evidence points at the
reader's own characters; :func:`fold` gives the same text without the map, at C speed
(``str.translate`` and ``re.sub``), for the common case of a comment that matches nothing.
``tests/policy/test_folding.py`` proves they agree on any text.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

# Letters of other scripts that readers use for their Latin look-alike (after lower-casing):
# Cyrillic and Greek, the ones in Unicode's confusables list that pass for a Latin letter in
# ordinary fonts. A full confusables table would also fold whole alphabets into Latin and make
# Russian or Greek text match English terms by accident.
LOOK_ALIKES = {
    "а": "a", "в": "b", "е": "e", "ё": "e", "з": "3", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d", "ӏ": "l",
    "ԛ": "q", "ԝ": "w", "ь": "b", "α": "a", "β": "b", "γ": "y", "ε": "e", "η": "n", "ι": "i", "κ": "k",
    "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ɑ": "a", "ɡ": "g", "ı": "i",
}
# Leetspeak that stands for a letter wherever it is. '1' reads as 'i' (sh1t, 1d10t) rather
# than 'l'. '!' and '|' only count between letters (stage 1b), else "idiot!" would fold to
# "idioti".
LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "€": "e", "£": "l",
        "’": "'", "ʼ": "'"}  # (and typographic apostrophes are apostrophes)
_LETTER_LIKE = "[^\\W\\d_]"  # a letter of any script (digits are letters only once folded)
# Stage 1b: '!' or '|' between two letters is an 'i' (sh!t).
_BAR_AS_I = re.compile(rf"(?<={_LETTER_LIKE})[!|](?={_LETTER_LIKE})")
# Stage 2: three or more single letters split by spaces or punctuation, the same between each
# (so "a b.a.s.t.a.r.d" keeps its article apart).
_SPLIT_LETTERS = re.compile(r"(?<!\w)\w([ .\-_*·•]+)\w(?!\w)(?:\1\w(?!\w))+")
_SPLIT_SEPARATORS = re.compile(r"[ .\-_*·•]+")
# Stage 3: a separator between two letters. Not an apostrophe: "who're" is not a listed word,
# and "bitch's" or "d'enculés" must keep their word edge.
# Nor an asterisk: "f*ck" keeps its mask, which the word lists match (wordlists.masked_forms).
_INNER_SEPARATOR = re.compile(rf"(?<={_LETTER_LIKE})[.\-_·](?={_LETTER_LIKE})")
# Stage 4: a letter or a space repeated.
_RUN = re.compile(rf"({_LETTER_LIKE}| )\1+")


def fold_char(char: str) -> str:
    """Stage 1 for one character: what it folds to (often itself, sometimes nothing)."""
    if char.isspace():
        return " "
    category = unicodedata.category(char)
    if category == "Cf" or category == "Cc":
        return ""
    if char.isascii():
        lowered = char.lower()
        return LEET.get(lowered, lowered)
    folded = []
    for part in unicodedata.normalize("NFKD", char):
        if unicodedata.category(part) in ("Mn", "Me", "Cf"):
            continue
        part = part.lower()
        folded.append(LOOK_ALIKES.get(part) or LEET.get(part, part))
    return "".join(folded)


class _CharTable(dict):
    """``str.translate`` table of :func:`fold_char`, filled in as characters are met."""

    def __missing__(self, code: int) -> str:
        folded = self[code] = fold_char(chr(code))
        return folded


_TABLE = _CharTable()
_TABLE.update({code: fold_char(chr(code)) for code in range(128)})
# Stage 1 of ASCII text as a bytes table (each ASCII character folds to one or none): about
# thirty times faster than str.translate with a dict, and most comments are ASCII.
_ASCII_TABLE = bytes((ord(_TABLE[code]) if len(_TABLE[code]) == 1 else code) for code in range(128)) + bytes(range(128, 256))
_ASCII_DELETE = bytes(code for code in range(128) if not _TABLE[code])
# Stages 1b-4 compiled twice. On ASCII text, stage 1 has left only lower-case letters, so the
# letter class is [a-z] and \w is ASCII: the same matches, about twice as fast.
_STAGES = {
    False: (_BAR_AS_I, _SPLIT_LETTERS, _INNER_SEPARATOR, _RUN),
    True: tuple(re.compile(pattern.pattern.replace(_LETTER_LIKE, "[a-z]"), re.ASCII)
                for pattern in (_BAR_AS_I, _SPLIT_LETTERS, _INNER_SEPARATOR, _RUN)),
}


def fold(text: str) -> str:
    """The folded text (module docstring), without the map back."""
    return fold_stages(text)[1]


_FOLDED_WORD = re.compile(r"[^\W\d_]{3,}")


@functools.lru_cache(maxsize=256)
def folded_words(text: str) -> tuple[str, ...]:
    """The folded text's words of three letters or more, in order. Cached: the spam model and
    the near-duplicate fingerprint both read them."""
    return tuple(_FOLDED_WORD.findall(fold(text)))


@functools.lru_cache(maxsize=256)
def fold_stages(text: str) -> tuple[str, str]:
    """The text folded up to its runs (stages 1-3), and folded (stages 1-4). Cached: the rules
    of one decision fold the same text."""
    if text.isascii():
        folded = text.encode("ascii").translate(_ASCII_TABLE, _ASCII_DELETE).decode("ascii")
    else:
        folded = text.translate(_TABLE)
    bar_as_i, split_letters, inner_separator, run = _STAGES[folded.isascii()]
    if "!" in folded or "|" in folded:
        folded = bar_as_i.sub("i", folded)
    folded = split_letters.sub(lambda match: _SPLIT_SEPARATORS.sub("", match.group()), folded)
    folded = inner_separator.sub("", folded)
    return folded, run.sub(r"\1", folded)


@dataclass(frozen=True)
class Folded:
    """A folded text, the same text before its runs were collapsed (stages 1-3), and the maps
    from each to the original text."""

    text: str
    before_runs: str
    runs_origins: tuple[int, ...]    # for each character of text: its index in before_runs
    origins: tuple[int, ...]         # for each character of before_runs: its index in the original

    def span_before_runs(self, start: int, end: int) -> tuple[int, int]:
        """``text[start:end]`` in ``before_runs``: the whole run of its last letter included."""
        run_start, run_end = self.runs_origins[start], self.runs_origins[end - 1] + 1
        last = self.before_runs[run_end - 1]
        while run_end < len(self.before_runs) and self.before_runs[run_end] == last:
            run_end += 1
        return run_start, run_end

    def span_in_original(self, start: int, end: int) -> tuple[int, int]:
        """The original characters that folded into ``text[start:end]`` (end exclusive)."""
        run_start, run_end = self.span_before_runs(start, end)
        return self.origins[run_start], self.origins[run_end - 1] + 1


def fold_mapped(text: str) -> Folded:
    """The folded text (module docstring) with the maps back to ``text``: the reference."""
    chars: list[str] = []
    origins: list[int] = []
    for index, char in enumerate(text):  # stage 1
        for folded in fold_char(char):
            chars.append(folded)
            origins.append(index)
    folded_text = "".join(chars)
    folded_text = _BAR_AS_I.sub("i", folded_text)  # one character for one: origins unchanged
    for pattern, kept in ((_SPLIT_LETTERS, _split_letters_kept), (_INNER_SEPARATOR, _nothing_kept)):
        folded_text, origins = _drop_within_matches(folded_text, origins, pattern, kept)
    text_folded, runs_origins = _drop_within_matches(folded_text, list(range(len(folded_text))), _RUN, _first_kept)
    return Folded(text_folded, folded_text, tuple(runs_origins), tuple(origins))


def _drop_within_matches(text: str, origins: list[int], pattern: re.Pattern, kept) -> tuple[str, list[int]]:
    """Keep, of each match of ``pattern``, only the characters at the offsets ``kept(match)``
    names (every stage 2-4 keeps a subsequence of what it matched), with their origins."""
    chars: list[str] = []
    new_origins: list[int] = []
    position = 0
    for match in pattern.finditer(text):
        chars.append(text[position:match.start()])
        new_origins.extend(origins[position:match.start()])
        for offset in kept(match.group()):
            chars.append(match.group()[offset])
            new_origins.append(origins[match.start() + offset])
        position = match.end()
    chars.append(text[position:])
    new_origins.extend(origins[position:])
    return "".join(chars), new_origins


def _split_letters_kept(matched: str) -> list[int]:
    return [offset for offset, char in enumerate(matched) if not _SPLIT_SEPARATORS.fullmatch(char)]


def _nothing_kept(_matched: str) -> list[int]:
    return []


def _first_kept(_matched: str) -> list[int]:
    return [0]
