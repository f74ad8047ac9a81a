"""The offensive-language score of a classifier (``policy.classifier``): at or above the
site's threshold it holds the comment, never rejects it on its own; in ``shadow`` it is only
recorded. A provider that fails holds the comment (``on_failure``), never approves it silently."""
from moderation.policy.findings import Finding

RULE = "classifier"


def check(subject) -> list[Finding]:
    settings = subject.policy.classifier
    classifier = subject.compiled.classifier
    if classifier is None:
        return []
    from moderation.policy.classifier import ClassifierError  # noqa: PLC0415 - loads no model
    try:
        score = classifier.score(subject.text.text)
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
