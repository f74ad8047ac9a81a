"""Automatic moderation: a site's policy decides each rendered comment, and says why.

``Policy`` (model.py) holds a site's settings; ``evaluate`` (engine.py) runs the rules
(``rules/``) on a rendered comment and returns a ``Decision`` with every ``Finding`` and its
evidence. docs/moderation.md describes the rules and their measured precision and recall.
"""
from moderation.policy.engine import evaluate
from moderation.policy.findings import Decision, Evidence, Finding
from moderation.policy.model import Policy, PolicyError, default_policy

__all__ = ["Decision", "Evidence", "Finding", "Policy", "PolicyError", "default_policy", "evaluate"]
