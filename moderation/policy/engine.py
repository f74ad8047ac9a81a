"""Decide a rendered comment under a policy: run every rule, keep every finding, take the
worst outcome (spam > rejected > pending > approved).

A policy's word lists, spam phrases and classifier are compiled once per policy version and
kept (``compiled``): building the automaton for a few thousand terms takes milliseconds, a
decision then takes microseconds.
"""
from __future__ import annotations

import functools
import json
import threading
from dataclasses import dataclass
from pathlib import Path

from moderation.policy.findings import Decision
from moderation.policy.model import Policy, wordlists_dir
from moderation.policy.rules import RULES
from moderation.policy.subject import Subject
from moderation.policy.wordlists import WordMatcher

SPAM_PHRASES_FILE = Path(__file__).resolve().parents[2] / "config" / "spam_phrases.txt"
_COMPILED_KEEP = 64  # policy versions kept compiled per process


@dataclass(frozen=True)
class CompiledPolicy:
    words: WordMatcher
    spam_phrases: WordMatcher
    classifier: object | None  # an OffensiveLanguageClassifier, None when the provider is "none"


def evaluate(policy: Policy, html: str, report: dict | None = None, *, thread: str = "",
             author_email: str = "", client_ip: str = "", commenter_history: str | None = None,
             site_spam=None, earlier_copies=None, own_ref: str = "", spam_request=None) -> Decision:
    """The decision on one rendered comment (its HTML and render report) under ``policy``.
    What the store knows goes in as plain values: ``site_spam``, the site's moderators' spam
    counts (``spam_model.SpamCounts``); ``earlier_copies``, what the near-duplicate index
    found (``store.near_duplicates.EarlierCopies``) and ``own_ref``, this comment's name there;
    ``commenter_history``, the commenter's recent decisions (``store.commenters``);
    ``spam_request``, what an outside spam service is told (``spam_providers.SpamRequest``)."""
    subject = Subject(policy, compiled(policy), html, report or {}, thread, author_email, site_spam,
                      earlier_copies, own_ref, client_ip, commenter_history, False, spam_request)
    findings = [finding for rule in RULES for finding in rule.check(subject)]
    classifier = subject.compiled.classifier
    return Decision.of(findings, policy.version, subject.score,
                       classifier.version if classifier is not None and subject.score is not None else "")


def warm_up(policy: Policy) -> None:
    """Build the policy's matchers, load its classifier's model and the spam model now (about
    a second), rather than on the first comment."""
    classifier = compiled(policy).classifier
    if hasattr(classifier, "load"):
        classifier.load()
    from moderation.policy.spam_model import seed_model  # noqa: PLC0415

    seed_model()


_lock = threading.Lock()
_compiled_by_key: dict[tuple[str, str], CompiledPolicy] = {}


def compiled(policy: Policy) -> CompiledPolicy:
    """The policy's matchers and classifier, built once per (version, settings digest)."""
    key = (policy.version, policy.digest())
    with _lock:
        found = _compiled_by_key.get(key)
        if found is None:
            if len(_compiled_by_key) >= _COMPILED_KEEP:
                _compiled_by_key.pop(next(iter(_compiled_by_key)))
            found = _compiled_by_key[key] = _compile(policy)
        return found


def _compile(policy: Policy) -> CompiledPolicy:
    lists = {"banned": list(policy.words.banned), "suspect": list(policy.words.suspect)}
    allow = list(policy.words.allow)
    for language in policy.languages:
        data = language_list(language)
        lists["banned"] += data.get("banned", [])
        lists["suspect"] += data.get("suspect", [])
        allow += data.get("allow", [])
    classifier = None
    if policy.classifier.provider != "none":
        from moderation.policy.classifier import classifier_for  # noqa: PLC0415 - loads its model lazily
        classifier = classifier_for(policy.classifier.provider)
    return CompiledPolicy(WordMatcher(lists, allow), WordMatcher({"spam": spam_phrases()}), classifier)


@functools.cache
def language_list(language: str) -> dict:
    """``config/wordlists/<language>.json``: banned, suspect and allowed terms (and sources)."""
    return json.loads((wordlists_dir() / f"{language}.json").read_text(encoding="utf-8"))


@functools.cache
def spam_phrases() -> list[str]:
    lines = SPAM_PHRASES_FILE.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
