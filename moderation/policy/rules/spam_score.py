"""The spam model's probability (``policy.spam_model``): at ``spam_at`` and above the comment
is spam (when the probability rests on enough known words), at ``hold_at`` and above it is
held; the finding names the words that weighed most."""
from moderation.policy.findings import Finding
from moderation.policy.spam_model import MIN_TOKENS_FOR_SPAM, seed_model, text_features

RULE = "spam_model"


def check(subject) -> list[Finding]:
    settings = subject.policy.spam_model
    if not settings.enabled:
        return []
    features = text_features(subject.text)
    probability, strongest, known = seed_model().probability(features, subject.site_spam)
    subject.spam_probability = probability
    if probability < settings.hold_at:
        return []
    outcome = "spam" if probability >= settings.spam_at and known >= MIN_TOKENS_FOR_SPAM else "pending"
    return [Finding(RULE, outcome, "spam_model" if outcome == "spam" else "spam_model_suspect",
                    f"reads like spam (p={probability:.3f}); weighing most: "
                    + ", ".join(token.strip("_") for token in strongest))]
