"""The spam model's thresholds, chosen by cross-validation on its own seed.

    python bench/spam_model.py [--folds K]

Each seed comment is scored by a model trained on the other folds; the table gives, for each
threshold, the share of spam caught and of ham caught with it (out of fold). The policy's
``spam_at`` is the lowest threshold at which at most 1% of ham is called spam, ``hold_at`` the
lowest at which at most 3% of ham is held. The evaluation set is never used here.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from moderation.policy.spam_model import SEED_FILE, SpamCounts, SpamModel, _link_counts, tokens  # noqa: E402

THRESHOLDS = (0.5, 0.7, 0.8, 0.87, 0.9, 0.95, 0.97, 0.99, 0.999)


def out_of_fold(records: list[dict], folds: int, seed: int = 11) -> list[tuple[str, float]]:
    order = list(range(len(records)))
    random.Random(seed).shuffle(order)
    features = [tokens(record["text"], *_link_counts(record["text"])) for record in records]
    scored = []
    for fold in range(folds):
        held = set(order[fold::folds])
        counts = SpamCounts()
        for index, record in enumerate(records):
            if index not in held:
                counts.add(record["label"], features[index])
        model = SpamModel(counts)
        scored += [(records[index]["label"], model.probability(features[index])[0]) for index in held]
    return scored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=10)
    args = parser.parse_args()
    records = [json.loads(line) for line in SEED_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]
    scored = out_of_fold(records, args.folds)
    spam = [p for label, p in scored if label == "spam"]
    ham = [p for label, p in scored if label == "ham"]
    print(f"{len(spam)} spam, {len(ham)} ham, {args.folds}-fold out-of-fold probabilities")
    print("threshold  spam caught  ham caught")
    for threshold in THRESHOLDS:
        caught, false = sum(p >= threshold for p in spam) / len(spam), sum(p >= threshold for p in ham) / len(ham)
        print(f"{threshold:9}  {caught:10.1%}  {false:9.1%}")
    ham.sort()
    for name, share in (("spam_at", 0.01), ("hold_at", 0.03)):
        threshold = ham[min(len(ham) - 1, int(len(ham) * (1 - share)))]  # above all but `share` of ham
        caught = sum(p > threshold for p in spam) / len(spam)
        print(f"{name}: above {threshold:.4f} (at most {share:.0%} of ham), catching {caught:.1%} of spam")

if __name__ == "__main__":
    main()
