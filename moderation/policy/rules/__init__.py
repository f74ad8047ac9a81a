"""The rules of a moderation policy: each reads a :class:`~moderation.policy.subject.Subject`
and returns findings (``policy.findings``). ``RULES`` is the order they run in; a rule's
findings are all kept, whatever the others found."""
from moderation.policy.rules import (
    active_content, classifier_score, commenters, copies, links, mode, personal_data, spam_phrases, spam_provider,
    spam_score, threats, words,
)

RULES = (commenters, mode, active_content, words, threats, personal_data, links, spam_phrases, copies, spam_score,
         spam_provider, classifier_score)
