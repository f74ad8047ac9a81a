"""The offensive-language classifiers (moderation/policy/classifier.py).

The fast single-text path of ``profanity-check`` must give the library's own probability
(``profanity_check.predict_prob``) to 1e-9 on any text: hand-written sentences and generated
text. Then: a few sentences on each side of 0.5, the "none" classifier, unknown names, and
every failure (broken model, failed load, wrong input) surfacing as ClassifierError.
"""
from __future__ import annotations

import math
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from moderation.policy import classifier as classifier_module
from moderation.policy.classifier import (ClassifierError, LinearTextModel, ProfanityCheckClassifier,
                                          classifier_for)

TOLERANCE = 1e-9

SENTENCES = [
    # clean news comments
    "The city council approved the new budget on Tuesday.",
    "Thanks for the thorough reporting on the flood defences.",
    "I disagree with the mayor's transport plan, but the article is fair.",
    "The match was postponed because of heavy rain.",
    "Great interview with the head teacher, more of these please!",
    "Does anyone know when the consultation closes?",
    "Correction: the bridge opened in 1987, not 1978.",
    # profane, insulting, hostile
    "You are a fucking idiot.",
    "Shut up, you stupid bitch.",
    "This author is a worthless piece of shit.",
    "Go fuck yourself, moron.",
    "What an asshole. Fuck fuck fuck.",
    "f*ck this sh!t",
    "F U C K",
    "idiot " * 40,
    # multilingual
    "Merde, quel connard !",
    "¡Qué idiota eres!",
    "Das ist totaler Scheiß, du Arschloch.",
    "这篇文章写得很好",
    "Это просто ужасная статья",
    "مقال رائع جدا",
    "İSTANBUL'da ıslak ŞEHİR",
    "ﬁne ﬂoor Straße ǅemal",
    # emoji, symbols, markup
    "🤬🤬🤬 you suck 💩",
    "👍👍 great article 👏",
    "!!!",
    "12345 67890",
    "<b>idiot</b> &amp; <a href='http://example.com/?q=shit'>link</a>",
    "<script>alert('fuck')</script><p>Nice piece.</p>",
    "&lt;3 &copy; 2024 AT&T",
    "mail me at reader@example.com or see https://news.example/a/b?c=d",
    # odd spacing, case and punctuation
    "YOU ARE AN IDIOT",
    "you\tare\nan\r\nidiot",
    "stupid-stupid_stupid.stupid",
    "the the the and of to",  # stop words only
    "a b c d e",  # tokens too short for the pattern
    "\u200bfuck\u200b",
    "x" * 5000,
    # long
    "The council met again tonight to discuss the budget. " * 60 + "Idiots, all of them.",
    " ".join(f"word{index} damn" for index in range(3000)),
]


@pytest.fixture(scope="module")
def profanity_check() -> ProfanityCheckClassifier:
    classifier = ProfanityCheckClassifier()
    classifier.load()
    return classifier


@pytest.fixture(scope="module")
def vocabulary(profanity_check) -> list[str]:
    return sorted(profanity_check.load().terms)


def library_probability(text: str) -> float:
    from profanity_check import predict_prob

    return float(predict_prob([text])[0])


# -- the fast path is the library's number -------------------------------------------------------
def test_there_are_about_forty_varied_sentences():
    assert len(SENTENCES) >= 40 and max(map(len, SENTENCES)) > 20_000


@pytest.mark.parametrize("text", SENTENCES, ids=lambda text: repr(text[:30]))
def test_the_fast_score_is_the_library_probability(profanity_check, text):
    fast = profanity_check.score(text)
    assert abs(fast - library_probability(text)) <= TOLERANCE
    assert abs(fast - profanity_check.score_reference(text)) <= TOLERANCE


def test_the_library_scores_a_batch_as_one_by_one(profanity_check):
    from profanity_check import predict_prob

    batch = predict_prob(SENTENCES)
    assert max(abs(profanity_check.score(text) - float(p)) for text, p in zip(SENTENCES, batch)) <= TOLERANCE


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=400))
def test_the_fast_score_is_the_library_probability_on_any_text(profanity_check, text):
    assert abs(profanity_check.score(text) - profanity_check.score_reference(text)) <= TOLERANCE


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_fast_score_is_the_library_probability_on_vocabulary_words(profanity_check, vocabulary, data):
    """Generated text of the model's own terms (so the scores spread over 0..1), with case,
    stop words, punctuation and unknown words mixed in."""
    words = st.one_of(st.sampled_from(vocabulary), st.sampled_from(vocabulary).map(str.upper),
                      st.sampled_from(["the", "and", "you", "fuck", "idiot", "shit", "a", "x1"]),
                      st.text(alphabet=st.characters(codec="utf-8"), max_size=6))
    pieces = data.draw(st.lists(words, max_size=60))
    separators = data.draw(st.lists(st.sampled_from([" ", ", ", ". ", "\n", "!", "-", "<br>"]),
                                    min_size=len(pieces), max_size=len(pieces)))
    text = "".join(piece + sep for piece, sep in zip(pieces, separators))
    assert abs(profanity_check.score(text) - profanity_check.score_reference(text)) <= TOLERANCE


@pytest.mark.parametrize("text", ["", " ", "\n\t  \r\n", "\u3000\u00a0"])
def test_blank_text_scores_zero(profanity_check, text):
    assert profanity_check.score(text) == 0.0 == profanity_check.score_reference(text)


# -- what the scores say -------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["You are a fucking idiot.", "Shut up, you stupid bitch.",
                                  "This author is a worthless piece of shit.", "Go fuck yourself, moron."])
def test_offensive_sentences_score_above_one_half(profanity_check, text):
    assert profanity_check.score(text) > 0.5


@pytest.mark.parametrize("text", ["The city council approved the new budget on Tuesday.",
                                  "Thanks for the thorough reporting on the flood defences.",
                                  "I disagree with the mayor's transport plan, but the article is fair.",
                                  "The match was postponed because of heavy rain."])
def test_clean_news_sentences_score_below_one_half(profanity_check, text):
    assert profanity_check.score(text) < 0.5


# -- the registry --------------------------------------------------------------------------------
def test_the_default_classifier_is_profanity_check():
    classifier = classifier_for("profanity-check")
    assert isinstance(classifier, ProfanityCheckClassifier)
    assert classifier.name == "profanity-check"
    assert classifier.version.startswith("alt-profanity-check==") and "scikit-learn==" in classifier.version


def test_none_scores_everything_zero():
    classifier = classifier_for("none")
    assert classifier.name == "none"
    assert classifier.score("You are a fucking idiot.") == 0.0
    assert classifier.score("") == 0.0


@pytest.mark.parametrize("name", ["perspective", "", "Profanity-Check", None])
def test_an_unknown_name_raises_value_error_listing_the_known_ones(name):
    with pytest.raises(ValueError, match="none, profanity-check"):
        classifier_for(name)


# -- failures are ClassifierError ----------------------------------------------------------------
def test_invalid_coefficients_surface_as_classifier_error(profanity_check, monkeypatch):
    model = profanity_check.load()
    monkeypatch.setattr(model, "folds", tuple((math.nan, a, b) for _, a, b in model.folds))
    with pytest.raises(ClassifierError, match="invalid probability"):
        profanity_check.score("You are a fucking idiot.")


def test_a_malformed_term_table_surfaces_as_classifier_error(profanity_check, monkeypatch):
    model = profanity_check.load()
    monkeypatch.setattr(model, "terms", {**model.terms, "idiot": ("not", "numbers")})
    with pytest.raises(ClassifierError, match="could not score"):
        profanity_check.score("You are an idiot.")


def test_a_failing_analyzer_surfaces_as_classifier_error(profanity_check, monkeypatch):
    def broken(text):
        raise MemoryError("no room")

    monkeypatch.setattr(profanity_check.load(), "analyze", broken)
    with pytest.raises(ClassifierError, match="MemoryError: no room"):
        profanity_check.score("any text")


def test_a_model_that_cannot_load_surfaces_as_classifier_error_every_time(monkeypatch):
    calls = []

    def cannot_load() -> LinearTextModel:
        calls.append(1)
        raise OSError("model.joblib: truncated")

    monkeypatch.setattr(classifier_module, "_PROFANITY_CHECK_MODEL", classifier_module._Once(cannot_load))
    classifier = ProfanityCheckClassifier()
    for _ in range(3):
        with pytest.raises(ClassifierError, match="could not load its model: OSError"):
            classifier.score("hello")
    assert len(calls) == 1  # the failure is remembered, not retried on every comment


def test_an_unsupported_model_is_refused_at_load(monkeypatch):
    from profanity_check import profanity_check as library

    monkeypatch.setattr(library.vectorizer, "sublinear_tf", True)
    with pytest.raises(ClassifierError, match="sublinear_tf"):
        classifier_module.flatten(library.vectorizer, library.model)


@pytest.mark.parametrize("text", [None, b"fuck", 42])
def test_non_text_is_classifier_error(profanity_check, text):
    with pytest.raises(ClassifierError):
        profanity_check.score(text)


# -- loading and cost ----------------------------------------------------------------------------
def test_the_model_loads_once_for_concurrent_first_scores(monkeypatch):
    builds = []

    def build() -> LinearTextModel:
        builds.append(1)
        time.sleep(0.05)  # a slow load: every thread arrives while it runs
        return classifier_module._load_profanity_check()

    monkeypatch.setattr(classifier_module, "_PROFANITY_CHECK_MODEL", classifier_module._Once(build))
    classifier, scores = ProfanityCheckClassifier(), []
    threads = [threading.Thread(target=lambda: scores.append(classifier.score("you idiot"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(builds) == 1 and len(scores) == 8 and len(set(scores)) == 1


def _best_time(classifier, text: str, runs: int = 5) -> float:
    best = math.inf
    for _ in range(runs):
        started = time.perf_counter()
        classifier.score(text)
        best = min(best, time.perf_counter() - started)
    return best


@pytest.mark.complexity
@pytest.mark.parametrize("unit", ["idiot ", "word{} ", "fuck, ", "🤬", "a" * 50 + " ", " "])
def test_long_text_stays_linear(profanity_check, unit):
    def text(size: int) -> str:
        pieces = (unit.format(index) for index in range(size))
        return "x " + "".join(pieces)[:size]

    small, large = text(16_384), text(131_072)
    ratio = _best_time(profanity_check, large) / max(_best_time(profanity_check, small), 1e-4)
    assert ratio < 24, f"{unit!r}: 8x input took {ratio:.1f}x as long"
