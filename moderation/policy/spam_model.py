"""A small Naive Bayes spam model: seeded from ``config/spam_seed.jsonl``, refined per site by
its moderators' decisions.

Link-less spam (fake jobs, recovery scams, romance, copy-paste campaigns) and commercial link
spam share a style more than a vocabulary: money amounts, calls to contact someone elsewhere,
pointing emoji, praise that sells. A multinomial Naive Bayes over a comment's words and word
pairs, plus a few style markers, learns that from a few hundred examples and keeps learning
cheaply: a moderator marking a comment spam, or approving it, adds its tokens to the site's
counts (``SpamCounts``, in Redis), and the next decision uses seed and site counts together.

The seed is a corpus written for this project (see its first lines); an e-mail spam corpus
does not carry over to news comments. Thresholds were set by cross-validation on the seed
(``bench/spam_model.py``), never on the evaluation set.
"""
from __future__ import annotations

import functools
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from moderation.policy.folding import folded_words

SEED_FILE = Path(__file__).resolve().parents[2] / "config" / "spam_seed.jsonl"
SPAM, HAM = "spam", "ham"
SMOOTHING = 1.0
MAX_LOG_ODDS = 30.0
# A few hundred seed comments make rare words noisy: a token counts once seen in this many
# documents (seed and site together); 3 rather than 1 catches 83% of spam instead of 77% at 3%
# of ham held, out of fold on the seed (bench/spam_model.py).
MIN_DOCUMENTS = 3
# A probability resting on fewer known tokens than this holds a comment at most, never calls it
# spam: a short thank-you shares too few words with anything to be judged (spam_score.py).
MIN_TOKENS_FOR_SPAM = 8

# A number starts where no digit or separator precedes it: one start per number, so a long
# run of digits is read once (starting at each digit made a 64 KB run take minutes).
_MONEY = re.compile(r"[$€£¥₹]\s?\d|(?<![\d.,])\d[\d.,]{0,30}\s?(?:[$€£¥₹]|usd|eur|gbp|dollars?|euros?|pounds?|bucks)\b",
                    re.I)
_RATE = re.compile(r"\b(?:per|an|a|/)\s?(?:hour|hr|day|week|month)\b|\bpro (?:stunde|tag|woche|monat)\b"
                   r"|\bpar (?:heure|jour|semaine|mois)\b|\bal (?:día|dia|mes)\b", re.I)
_PHONE = re.compile(r"(?:\+|00)\d[\d ().\-]{7,20}\d")
_POINTER = re.compile("[\U0001F446-\U0001F449\u27A1\u2B05\u2B06\u2B07\u261D\U0001F4B0\U0001F4B5\U0001F4B8\u2705"
                      "\U0001F525\U0001F381\U0001F4AF]")
_SHOUT = re.compile(r"!{2,}|\b[A-Z]{4,}\b")
_PERCENT = re.compile(r"\d\s?%")
_ANY_DIGIT = re.compile(r"\d")
# Each marker with a cheap test of whether it can be there at all (most comments skip most).
_MARKERS = (
    ("__money__", _MONEY, lambda text: _ANY_DIGIT.search(text) is not None),
    ("__rate__", _RATE, lambda text: True),
    ("__phone__", _PHONE, lambda text: "+" in text or "00" in text),
    ("__pointer__", _POINTER, lambda text: not text.isascii()),
    ("__shout__", _SHOUT, lambda text: "!!" in text or not text.islower()),
    ("__percent__", _PERCENT, lambda text: "%" in text),
)
MAX_WORDS = 400  # a comment's first words are enough to tell; a long one costs no more


def tokens(text: str, link_count: int = 0, email_count: int = 0) -> frozenset[str]:
    """A comment's features: folded words and word pairs, and style markers (``__money__``...)."""
    words = folded_words(text)[:MAX_WORDS]
    found = set(words)
    found.update(f"{first} {second}" for first, second in zip(words, words[1:]))
    found.update(name for name, pattern, needs in _MARKERS if needs(text) and pattern.search(text))
    if link_count:
        found.add("__link__")
    if link_count > 1:
        found.add("__links__")
    if email_count:
        found.add("__email__")
    return frozenset(found)


def text_features(text) -> frozenset[str]:
    """:func:`tokens` of a rendered comment's text (``policy.text.CommentText``), its links
    and e-mail addresses counted from the HTML."""
    links = text.links
    return tokens(text.text, sum(not link.is_email for link in links), sum(link.is_email for link in links))


@dataclass
class SpamCounts:
    """Token counts of spam and ham documents (a seed's, or a site's moderators')."""

    documents: Counter = field(default_factory=Counter)  # label -> documents
    tokens: dict = field(default_factory=lambda: {SPAM: Counter(), HAM: Counter()})

    def add(self, label: str, features: frozenset[str]) -> None:
        self.documents[label] += 1
        self.tokens[label].update(features)


@dataclass(frozen=True)
class SpamModel:
    """Naive Bayes over the seed's counts, and a site's on top (``probability(..., site)``)."""

    seed: SpamCounts

    @functools.cached_property
    def _totals(self) -> dict[str, int]:
        return {label: sum(counts.values()) for label, counts in self.seed.tokens.items()}

    @functools.cached_property
    def _vocabulary(self) -> int:
        return len(set(self.seed.tokens[SPAM]) | set(self.seed.tokens[HAM])) + 1

    @functools.cached_property
    def _seed_weights(self) -> dict[str, float]:
        """Each token's weight under the seed alone (what log_odds computes without a site)."""
        weights = {}
        for token in set(self.seed.tokens[SPAM]) | set(self.seed.tokens[HAM]):
            spam, ham = self.seed.tokens[SPAM].get(token, 0), self.seed.tokens[HAM].get(token, 0)
            if spam + ham >= MIN_DOCUMENTS:
                weights[token] = self._weight(spam, ham, self._totals)
        return weights

    def _weight(self, spam: int, ham: int, totals: dict[str, int]) -> float:
        return (math.log((spam + SMOOTHING) / (totals[SPAM] + SMOOTHING * self._vocabulary))
                - math.log((ham + SMOOTHING) / (totals[HAM] + SMOOTHING * self._vocabulary)))

    def log_odds(self, features: frozenset[str], site: SpamCounts | None = None) -> tuple[float, list[tuple[float, str]]]:
        """log P(spam | features) - log P(ham | features), and each known token's weight."""
        if site is None:  # the seed alone: its weights are computed once
            weights = [(self._seed_weights[token], token) for token in features if token in self._seed_weights]
            prior = math.log((self.seed.documents[SPAM] + SMOOTHING) / (self.seed.documents[HAM] + SMOOTHING))
            odds = prior + sum(weight for weight, _ in weights)
            return max(-MAX_LOG_ODDS, min(MAX_LOG_ODDS, odds)), weights
        documents = {label: self.seed.documents[label] + (site.documents[label] if site else 0) for label in (SPAM, HAM)}
        totals = {label: self._totals[label] + (sum(site.tokens[label].values()) if site else 0) for label in (SPAM, HAM)}
        odds = math.log((documents[SPAM] + SMOOTHING) / (documents[HAM] + SMOOTHING))
        weights = []
        for token in features:
            spam = self.seed.tokens[SPAM].get(token, 0) + (site.tokens[SPAM].get(token, 0) if site else 0)
            ham = self.seed.tokens[HAM].get(token, 0) + (site.tokens[HAM].get(token, 0) if site else 0)
            if spam + ham < MIN_DOCUMENTS:
                continue  # unknown or too rare: says nothing reliable
            weight = self._weight(spam, ham, totals)
            odds += weight
            weights.append((weight, token))
        return max(-MAX_LOG_ODDS, min(MAX_LOG_ODDS, odds)), weights

    def probability(self, features: frozenset[str], site: SpamCounts | None = None) -> tuple[float, list[str], int]:
        """P(spam), the tokens that pushed most toward spam (for the finding's explanation), and
        how many known tokens it rests on."""
        odds, weights = self.log_odds(features, site)
        strongest = [token for weight, token in sorted(weights, reverse=True)[:5] if weight > 0]
        return 1.0 / (1.0 + math.exp(-odds)), strongest, len(weights)


def load_seed(path: Path = SEED_FILE) -> SpamCounts:
    counts = SpamCounts()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            counts.add(record["label"], tokens(record["text"], *_link_counts(record["text"])))
    return counts


_URL = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+\.(?:com|net|org|example|test|io|co|biz|info)\b/?\S*", re.I)
_MAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def _link_counts(text: str) -> tuple[int, int]:
    """Links and e-mail addresses in raw seed text (comments are counted from their HTML)."""
    emails = len(_MAIL.findall(text))
    return len(_URL.findall(_MAIL.sub(" ", text))), emails


@functools.cache
def seed_model() -> SpamModel:
    return SpamModel(load_seed())
