"""The offensive-language score of a classifier (``policy.classifier``): at or above the
site's threshold it holds the comment, never rejects it on its own; in ``shadow`` it is only
recorded. A provider that fails holds the comment (``on_failure``), never approves it silently."""
from moderation.policy.findings import Finding

RULE = "classifier"
# The score reads the comment's first characters: a statistical judgement of its language
# needs no more, and a long comment costs no more (the word lists read all of it).
SCORED_CHARS = 5000


def check(subject) -> list[Finding]:
    settings = subject.policy.classifier
    classifier = subject.compiled.classifier
    if classifier is None:
        return []
    from moderation.policy.classifier import ClassifierError  # noqa: PLC0415 - loads no model
    try:
        score = classifier.score(subject.text.text[:SCORED_CHARS])
    except ClassifierError as exc:
        return [Finding(RULE, settings.on_failure, "classifier_failed", f"{classifier.name} failed: {exc}")]
    subject.score = score
    if score < settings.threshold:
        return []
    if settings.shadow:
        return [Finding(RULE, "approved", "offensive_score_shadow",
                        f"{classifier.name} score {score:.2f} ≥ {settings.threshold:.2f} (shadow: not acted on)")]
    return [Finding(RULE, "pending", "offensive_score",
                    f"{classifier.name} scores it {score:.2f} offensive (threshold {settings.threshold:.2f})")]
