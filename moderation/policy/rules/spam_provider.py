"""An outside spam service's verdict (``policy.spam_providers``), when the deployment has one
and the site's policy turns it on."""
from moderation.policy.findings import Finding
from moderation.policy.spam_providers import SpamProviderError, active

RULE = "spam_provider"


def check(subject) -> list[Finding]:
    settings = subject.policy.spam_provider
    provider = active()
    if not settings.enabled or provider is None or subject.spam_request is None:
        return []
    try:
        is_spam = provider.check(subject.spam_request)
    except SpamProviderError as exc:
        return [Finding(RULE, settings.on_failure, "spam_provider_failed", f"{provider.name} failed: {exc}")]
    return [Finding(RULE, "spam", "spam_provider", f"{provider.name} says spam")] if is_spam else []
