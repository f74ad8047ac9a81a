"""The default policy on the labelled set (tests/data/moderation/): its measures may not fall
below what docs/moderation.md reports. Deterministic: no model is trained here but the
shipped seed, and no Redis is involved."""
import pytest

from moderation.policy.evaluation import HARMFUL, OUTCOMES, run


@pytest.fixture(scope="module")
def evaluation():
    return run()


def test_the_set_is_large_and_varied_enough(evaluation):
    classes = {item["class"] for item in evaluation.items}
    assert len(evaluation.items) >= 300
    assert classes >= {"clean", "abusive", "threat", "doxxing", "spam", "borderline", "scunthorpe", "injection"}
    assert {item["lang"] for item in evaluation.items} >= {"en", "fr", "de"}


def test_harmful_comments_are_kept_off_the_page(evaluation):
    assert evaluation.caught(HARMFUL) >= 0.90


def test_spam_is_kept_off_the_page(evaluation):
    assert evaluation.caught(("spam",)) >= 0.90


def test_few_clean_comments_are_held(evaluation):
    assert evaluation.held_innocent() <= 0.05


def test_every_hold_says_why_with_evidence_or_a_sentence(evaluation):
    assert evaluation.unexplained_holds() == []
    for item, decision in zip(evaluation.items, evaluation.decisions):
        for finding in decision.findings:
            for evidence in finding.evidence:  # evidence points at the comment's own characters
                assert evidence.start <= evidence.end


def test_outcomes_keep_their_precision(evaluation):
    scores = evaluation.outcome_scores()
    assert set(scores) == set(OUTCOMES)
    assert scores["approved"]["precision"] >= 0.90
    assert scores["rejected"]["precision"] >= 0.85
    assert scores["spam"]["precision"] >= 0.90


def test_no_rejection_of_an_innocent_comment_but_the_village_of_fucking(evaluation):
    rejected = [item["id"] for item, decision in zip(evaluation.items, evaluation.decisions)
                if item["class"] in ("clean", "scunthorpe") and decision.status in ("rejected", "spam")]
    assert len(rejected) <= 1, rejected
