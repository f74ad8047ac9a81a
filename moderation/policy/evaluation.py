"""How well a policy decides a labelled set of comments: precision and recall per outcome, per
class of comment and per rule.

    python -m moderation.policy.evaluation [FILE] [--write-docs] [--show-misses]

FILE (default tests/data/moderation/labelled.jsonl) holds one comment per line with the
decision a newsroom wants (``expected``) and its ``class`` (clean, abusive, threat, doxxing,
spam, borderline, scunthorpe, injection; tests/data/moderation/README.md). Each comment is
rendered with its format and decided by the default policy (config/policy.toml), exactly as a
worker would. ``--write-docs`` puts the tables in docs/moderation.md between its markers.
"""
from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from moderation.formats import render
from moderation.policy.engine import evaluate
from moderation.policy.findings import Decision
from moderation.policy.model import Policy, default_policy
from moderation.policy.near_duplicates import RecentCopies, fingerprint
from moderation.policy.text import comment_text

ROOT = Path(__file__).resolve().parents[2]
LABELLED = ROOT / "tests" / "data" / "moderation" / "labelled.jsonl"
DOC = ROOT / "docs" / "moderation.md"
OUTCOMES = ("approved", "pending", "rejected", "spam")
HARMFUL = ("abusive", "threat", "doxxing")
INNOCENT = ("clean", "scunthorpe")
MARKERS = ("<!-- evaluation:start -->", "<!-- evaluation:end -->")


def load_labelled(path: Path = LABELLED) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def decide_item(policy: Policy, item: dict, recent: RecentCopies | None = None) -> Decision:
    """One labelled comment decided as a worker would; ``recent``: the comments before it in
    the file (posting order), for the copies rule."""
    rendered = render(item["body"], item.get("format", "filtered_html"))
    print_ = fingerprint(comment_text(rendered.html).text)
    earlier = recent.seen(print_) if recent is not None else None
    decision = evaluate(policy, rendered.html, rendered.report.to_dict(), thread=item.get("thread", ""),
                        author_email=item.get("author_email", ""), earlier_copies=earlier, own_ref=item["id"])
    if recent is not None:
        recent.add(item["id"], print_)
    return decision


@dataclass
class Evaluation:
    """Decisions on a labelled set, and the measures made of them."""

    items: list[dict]
    decisions: list[Decision]
    confusion: Counter = field(init=False)  # (expected, decided) -> count

    def __post_init__(self):
        self.confusion = Counter((item["expected"], decision.status)
                                 for item, decision in zip(self.items, self.decisions))

    def outcome_scores(self) -> dict[str, dict]:
        """Precision and recall of each outcome against the expected one."""
        scores = {}
        for outcome in OUTCOMES:
            true = self.confusion[(outcome, outcome)]
            decided = sum(count for (_, got), count in self.confusion.items() if got == outcome)
            expected = sum(count for (wanted, _), count in self.confusion.items() if wanted == outcome)
            scores[outcome] = {"precision": true / decided if decided else None,
                               "recall": true / expected if expected else None,
                               "decided": decided, "expected": expected}
        return scores

    def class_rates(self) -> dict[str, dict]:
        """Per class: how many, exact decisions, and how many were kept off the page (not approved)."""
        rates = {}
        for name in sorted({item["class"] for item in self.items}):
            pairs = [(item, decision) for item, decision in zip(self.items, self.decisions) if item["class"] == name]
            rates[name] = {"count": len(pairs),
                           "exact": sum(decision.status == item["expected"] for item, decision in pairs) / len(pairs),
                           "held_or_refused": sum(decision.status != "approved" for _, decision in pairs) / len(pairs)}
        return rates

    def caught(self, classes: tuple[str, ...]) -> float:
        """Of comments of these classes, the share not published (pending, rejected or spam)."""
        pairs = [decision for item, decision in zip(self.items, self.decisions) if item["class"] in classes]
        return sum(decision.status != "approved" for decision in pairs) / len(pairs)

    def held_innocent(self) -> float:
        """Of clean comments (Scunthorpe traps included), the share not published."""
        return self.caught(INNOCENT)

    def rule_scores(self) -> dict[str, dict]:
        """Per reason code that decided: how often, and how often rightly (the comment was not
        one a newsroom wants published as it is)."""
        acted: dict[str, list[bool]] = defaultdict(list)
        for item, decision in zip(self.items, self.decisions):
            for code in set(decision.reason_codes):
                acted[code].append(item["expected"] != "approved")
        return {code: {"acted": len(results), "precision": sum(results) / len(results)}
                for code, results in sorted(acted.items(), key=lambda entry: -len(entry[1]))}

    def unexplained_holds(self) -> list[str]:
        """Ids of comments held or refused without a finding that says why."""
        return [item["id"] for item, decision in zip(self.items, self.decisions)
                if decision.status != "approved" and not any(f.detail for f in decision.findings)]

    def misses(self) -> list[tuple[dict, Decision]]:
        return [(item, decision) for item, decision in zip(self.items, self.decisions)
                if decision.status != item["expected"]]


def run(policy: Policy | None = None, path: Path = LABELLED) -> Evaluation:
    policy = policy or default_policy()
    items = load_labelled(path)
    recent = RecentCopies()
    return Evaluation(items, [decide_item(policy, item, recent) for item in items])


def markdown(evaluation: Evaluation, policy_version: str) -> str:
    def percent(value):
        return "—" if value is None else f"{value * 100:.1f}%"

    lines = [f"Default policy `{policy_version}` on `tests/data/moderation/labelled.jsonl` "
             f"({len(evaluation.items)} comments; `python -m moderation.policy.evaluation`).", "",
             f"- harmful (abusive, threat, doxxing) kept off the page: **{percent(evaluation.caught(HARMFUL))}**",
             f"- spam kept off the page: **{percent(evaluation.caught(('spam',)))}**",
             f"- clean comments held (Scunthorpe traps included): **{percent(evaluation.held_innocent())}**",
             f"- holds without a reason: {len(evaluation.unexplained_holds())}", "",
             "| outcome | precision | recall | decided | expected |", "| --- | --- | --- | --- | --- |"]
    for outcome, score in evaluation.outcome_scores().items():
        lines.append(f"| {outcome} | {percent(score['precision'])} | {percent(score['recall'])} | "
                     f"{score['decided']} | {score['expected']} |")
    lines += ["", "| class | comments | decision as expected | kept off the page |", "| --- | --- | --- | --- |"]
    for name, rate in evaluation.class_rates().items():
        lines.append(f"| {name} | {rate['count']} | {percent(rate['exact'])} | {percent(rate['held_or_refused'])} |")
    lines += ["", "| reason code (deciding) | times | precision (the comment was not one to publish as is) |",
              "| --- | --- | --- |"]
    for code, score in evaluation.rule_scores().items():
        lines.append(f"| `{code}` | {score['acted']} | {percent(score['precision'])} |")
    lines += ["", "Confusion (rows: expected, columns: decided):", "",
              "| expected \\ decided | " + " | ".join(OUTCOMES) + " |", "| --- |" + " --- |" * len(OUTCOMES)]
    for expected in OUTCOMES:
        lines.append(f"| {expected} | " + " | ".join(str(evaluation.confusion[(expected, got)]) for got in OUTCOMES)
                     + " |")
    return "\n".join(lines) + "\n"


def write_docs(text: str, doc: Path = DOC) -> None:
    content = doc.read_text(encoding="utf-8")
    start, end = content.index(MARKERS[0]) + len(MARKERS[0]), content.index(MARKERS[1])
    doc.write_text(content[:start] + "\n" + text + content[end:], encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, default=LABELLED)
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    policy = default_policy()
    evaluation = run(policy, args.file)
    text = markdown(evaluation, policy.version)
    print(text)
    if args.show_misses:
        for item, decision in evaluation.misses():
            print(f"{item['id']:<22} expected {item['expected']:<8} got {decision.status:<8} "
                  f"{[f.code for f in decision.findings]} {item['body'][:100]!r}")
    if args.write_docs:
        write_docs(text)


if __name__ == "__main__":
    main()
