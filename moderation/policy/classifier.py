"""Offensive-language scores for one comment: offline, in-process, cheap enough for every comment.

The default provider is the PyPI package ``alt-profanity-check``: a scikit-learn
``TfidfVectorizer`` (word unigrams, English stop words, l2 norm) and a
``CalibratedClassifierCV`` of linear SVMs with sigmoid (Platt) calibrators, shipped in the
package. Its ``predict_prob([text])`` pays scikit-learn's per-call overhead (validation, sparse
matrices, one pass per calibrated fold) on every call: milliseconds for one comment, against
tens of microseconds per comment in a batch. The worker scores one comment at a time, so this
module loads the fitted vectorizer and model once per process and computes the same number
itself: the vectorizer's own analyzer for the tokens, dict look-ups for idf and the folds'
coefficients, then each fold's decision function, its sigmoid, and the mean over the folds,
exactly as scikit-learn does. tests/policy/test_classifier.py proves that the two agree (to
1e-9) on hand-written and generated text; bench/classifier.py measures both.

A provider that cannot score raises :class:`ClassifierError`: the caller must hold the
comment, never approve it.
"""
from __future__ import annotations

import math
import operator
import threading
from collections import Counter
from dataclasses import dataclass
from importlib import metadata
from typing import Callable, Protocol

DEFAULT_CLASSIFIER = "profanity-check"
_PACKAGE = "alt-profanity-check"


class ClassifierError(Exception):
    """The provider could not score (its failure must hold the comment, never approve it)."""


class OffensiveLanguageClassifier(Protocol):
    name: str     # e.g. "profanity-check"
    version: str  # provider + model version, recorded with each decision

    def score(self, text: str) -> float:
        """Probability 0..1 that ``text`` is offensive; raises :class:`ClassifierError`."""
        ...


class NoClassifier:
    """Scores nothing: every text is 0.0 (classification switched off)."""

    name = "none"
    version = "none"

    def score(self, text: str) -> float:
        return 0.0


# -- the fitted model, flattened for one text at a time ------------------------------------
@dataclass
class LinearTextModel:
    """A tf-idf + calibrated linear SVM model as plain Python data.

    ``terms`` maps a vocabulary term to ``(idf, idf * w_1, ..., idf * w_k)`` (``w_i``: fold
    i's SVM coefficient for that term); ``folds`` holds each fold's
    ``(intercept, sigmoid a, sigmoid b)``. Read-only once built, so threads share it freely.
    """

    analyze: Callable[[str], list[str]]
    terms: dict[str, tuple[float, ...]]
    folds: tuple[tuple[float, float, float], ...]

    def probability(self, text: str) -> float:
        """The calibrated probability of the positive class, as ``predict_proba(X)[0, 1]``."""
        total = 0.0
        for decision, (_, a, b) in zip(self.decisions(text), self.folds):
            total += _expit(-(a * decision + b))  # _SigmoidCalibration.predict
        return total / len(self.folds)  # CalibratedClassifierCV: the mean over the folds

    def decisions(self, text: str) -> list[float]:
        """Each fold's SVM decision function on the l2-normalised tf-idf vector of ``text``."""
        get = self.terms.get
        hits = [(count, row) for term, count in Counter(self.analyze(text)).items()
                if (row := get(term)) is not None]  # out-of-vocabulary terms count for nothing
        if not hits:
            return [intercept for intercept, _, _ in self.folds]
        counts, rows = zip(*hits)
        idfs, *weights = zip(*rows)
        norm = math.hypot(*map(operator.mul, counts, idfs))  # of the tf-idf vector
        return [sum(map(operator.mul, counts, column)) / norm + intercept
                for column, (intercept, _, _) in zip(weights, self.folds, strict=True)]


def _expit(x: float) -> float:
    """1 / (1 + e^-x) without overflow for any finite x (scipy.special.expit)."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    exp_x = math.exp(x)
    return exp_x / (1.0 + exp_x)


def flatten(vectorizer, model) -> LinearTextModel:
    """A :class:`LinearTextModel` from a fitted ``TfidfVectorizer`` and a fitted sigmoid
    ``CalibratedClassifierCV`` of binary linear classifiers; ClassifierError for any other."""
    _check_vectorizer(vectorizer)
    folds, columns = [], []
    for calibrated in model.calibrated_classifiers_:
        estimator, calibrators = calibrated.estimator, calibrated.calibrators
        if calibrated.method != "sigmoid" or len(calibrators) != 1 or estimator.coef_.shape[0] != 1:
            raise ClassifierError("unsupported model: expected binary folds with sigmoid calibration")
        folds.append((float(estimator.intercept_[0]), float(calibrators[0].a_), float(calibrators[0].b_)))
        columns.append(estimator.coef_[0].tolist())
    if len(model.classes_) != 2 or not folds:
        raise ClassifierError("unsupported model: expected two classes and at least one fold")
    idf = vectorizer.idf_.tolist()
    terms = {term: (idf[index], *(idf[index] * column[index] for column in columns))
             for term, index in vectorizer.vocabulary_.items()}
    return LinearTextModel(analyze=vectorizer.build_analyzer(), terms=terms, folds=tuple(folds))


def _check_vectorizer(vectorizer) -> None:
    """The transform that :meth:`LinearTextModel.decisions` reproduces, and no other."""
    params = vectorizer.get_params()
    expected = {"binary": False, "use_idf": True, "sublinear_tf": False, "norm": "l2"}
    wrong = {name: params.get(name) for name, value in expected.items() if params.get(name) != value}
    if wrong or not hasattr(vectorizer, "idf_"):
        raise ClassifierError(f"unsupported vectorizer settings: {wrong or 'no idf_'}")


# -- loading once per process ----------------------------------------------------------------
class _Once:
    """A value built on first use, once per process (thread-safe); a failure is remembered."""

    def __init__(self, build: Callable[[], LinearTextModel]):
        self._build = build
        self._lock = threading.Lock()
        self._value: LinearTextModel | None = None
        self._error: ClassifierError | None = None

    def get(self) -> LinearTextModel:
        value = self._value
        if value is not None:
            return value
        with self._lock:
            if self._value is None and self._error is None:
                try:
                    self._value = self._build()
                except Exception as error:  # noqa: BLE001 - any failure to load holds comments
                    self._error = _as_classifier_error("could not load its model", error)
                    raise self._error from error
            if self._error is not None:
                raise ClassifierError(str(self._error))
            return self._value


def _load_profanity_check() -> LinearTextModel:
    from profanity_check import profanity_check as library  # loads both joblib files on import

    return flatten(library.vectorizer, library.model)


_PROFANITY_CHECK_MODEL = _Once(_load_profanity_check)


def _as_classifier_error(what: str, error: Exception) -> ClassifierError:
    if isinstance(error, ClassifierError):
        return error
    detail = str(error)
    detail = detail if len(detail) <= 200 else detail[:200] + "…"
    return ClassifierError(f"profanity-check {what}: {type(error).__name__}: {detail}")


def _package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not-installed"


# -- the default provider ------------------------------------------------------------------------
class ProfanityCheckClassifier:
    """``alt-profanity-check``'s probability, computed in pure Python from its fitted model.

    The model is loaded on the first score (or :meth:`load`), once per process. Empty or
    whitespace-only text scores 0.0; any other text gets the library's own probability.
    """

    name = DEFAULT_CLASSIFIER

    def __init__(self) -> None:
        self.version = (f"{_PACKAGE}=={_package_version(_PACKAGE)} "
                        f"scikit-learn=={_package_version('scikit-learn')}")

    def load(self) -> LinearTextModel:
        """The shared model, loaded now if it was not yet (e.g. at worker start-up)."""
        return _PROFANITY_CHECK_MODEL.get()

    def score(self, text: str) -> float:
        """The fast single-text path."""
        return self._guarded(lambda: self.load().probability(text), text)

    def score_reference(self, text: str) -> float:
        """The library's own ``predict_prob([text])`` (for the tests and the benchmark)."""
        def reference() -> float:
            from profanity_check import predict_prob

            return float(predict_prob([text])[0])
        return self._guarded(reference, text)

    @staticmethod
    def _guarded(compute: Callable[[], float], text: str) -> float:
        if not isinstance(text, str):
            raise ClassifierError(f"profanity-check scores text, not {type(text).__name__}")
        if not text or text.isspace():
            return 0.0
        try:
            probability = compute()
        except ClassifierError:
            raise
        except Exception as error:  # noqa: BLE001 - any failure to score holds the comment
            raise _as_classifier_error("could not score", error) from error
        if not 0.0 <= probability <= 1.0:  # NaN fails both
            raise ClassifierError(f"profanity-check gave an invalid probability: {probability!r}")
        return probability


_CLASSIFIERS: dict[str, Callable[[], OffensiveLanguageClassifier]] = {
    DEFAULT_CLASSIFIER: ProfanityCheckClassifier,
    "none": NoClassifier,
}


def known_providers() -> tuple[str, ...]:
    """The names :func:`classifier_for` knows (a policy's ``classifier.provider``)."""
    return tuple(sorted(_CLASSIFIERS))


def classifier_for(name: str) -> OffensiveLanguageClassifier:
    """The classifier called ``name``; ValueError naming the known ones for any other name."""
    try:
        factory = _CLASSIFIERS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown classifier {name!r}; known: {', '.join(sorted(_CLASSIFIERS))}") from None
    return factory()
