"""nh3 and bleach side by side: do they let the same markup through?

Both engines run over the XSS corpus and a subset of the bench corpus, through
``render`` (filtered_html) and through ``filter_html`` with a permissive allowlist.
Each output is parsed as a browser would (html5lib) and reduced to the set of
``(element, attribute, value)`` it publishes (``(element, None, None)`` for the
element itself). Any difference between the two sets fails the test unless a
named entry of ``KNOWN_DIFFERENCES`` explains it; each entry says why it is
harmless. Text-only differences (same markup, other text) are counted in the
summary but do not fail: they are not about what the engines let through.

The summary is printed (``pytest -s``) and written to ``/tmp/engine_differences.txt``.
"""
from __future__ import annotations

import importlib.util
import xml.etree.ElementTree as ElementTree
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

from moderation.formats import filter_html, render

if __package__:
    from .oracle import HTML_NAMESPACE, load_xss_corpus, parse_fragment
else:
    from oracle import HTML_NAMESPACE, load_xss_corpus, parse_fragment

SUMMARY_FILE = Path("/tmp/engine_differences.txt")
PERMISSIVE_TAGS = ("<a href hreflang> <em> <strong> <cite> <blockquote cite> <code> "
                   "<ul type> <ol start type> <li> <dl> <dt> <dd> <h2 id> <h3 id> "
                   "<p> <br> <img src alt height width>")

Item = tuple  # (element, attribute | None, value | None)


@dataclass(frozen=True)
class KnownDifference:
    """A named, explained, harmless way the two engines' outputs may differ."""

    name: str
    explanation: str
    explains: Callable[[str, Item], bool]  # (side "nh3"/"bleach", item) -> bool


# Filled in from observed output; every entry must say why it is harmless.
KNOWN_DIFFERENCES: tuple[KnownDifference, ...] = ()


def _load_bench_corpus() -> dict[str, list[str]]:
    path = Path(__file__).resolve().parents[2] / "bench" / "corpus.py"
    spec = importlib.util.spec_from_file_location("bench_corpus", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_corpus()


def published_items(html: str) -> set[Item]:
    """The (element, attribute, value) triples a browser would build from ``html``."""
    items: set[Item] = set()

    def walk(node: ElementTree.Element) -> None:
        for child in node:
            if not isinstance(child.tag, str):
                items.add(("#comment", None, child.text))
                continue
            name = child.tag.removeprefix(f"{{{HTML_NAMESPACE}}}")  # foreign names keep their namespace
            items.add((name, None, None))
            for attribute, value in child.attrib.items():
                items.add((name, attribute, value))
            walk(child)

    walk(parse_fragment(html))
    return items


def visible_text(html: str) -> str:
    return " ".join("".join(parse_fragment(html).itertext()).split())


@dataclass
class Comparison:
    """What the two engines did differently over one corpus."""

    label: str
    compared: int = 0
    text_only: int = 0
    explained: Counter = field(default_factory=Counter)
    unexplained: list[str] = field(default_factory=list)

    def add(self, case_id: str, source: str, nh3_html: str, bleach_html: str) -> None:
        self.compared += 1
        nh3_items, bleach_items = published_items(nh3_html), published_items(bleach_html)
        differences = [("nh3", item) for item in sorted(nh3_items - bleach_items, key=repr)]
        differences += [("bleach", item) for item in sorted(bleach_items - nh3_items, key=repr)]
        if not differences:
            if visible_text(nh3_html) != visible_text(bleach_html):
                self.text_only += 1
            return
        unexplained = []
        for side, item in differences:
            known = next((k for k in KNOWN_DIFFERENCES if k.explains(side, item)), None)
            if known:
                self.explained[known.name] += 1
            else:
                unexplained.append(f"only {side}: {item!r}")
        if unexplained:
            self.unexplained.append(
                f"{case_id}\n    input:  {source[:300]!r}\n    nh3:    {nh3_html[:300]!r}\n"
                f"    bleach: {bleach_html[:300]!r}\n    " + "\n    ".join(unexplained))

    def summary(self) -> str:
        lines = [f"== {self.label}: {self.compared} inputs compared, "
                 f"{len(self.unexplained)} with unexplained differences, "
                 f"{self.text_only} with text-only differences"]
        lines += [f"   known difference {name!r}: {count}" for name, count in self.explained.items()]
        lines += [f" - {entry}" for entry in self.unexplained]
        return "\n".join(lines)


def _report(comparison: Comparison) -> None:
    text = comparison.summary()
    print("\n" + text)
    with SUMMARY_FILE.open("a", encoding="utf-8") as summary_file:
        summary_file.write(text + "\n\n")
    assert not comparison.unexplained, (
        f"nh3 and bleach let different markup through (see {SUMMARY_FILE}):\n{text}")


@pytest.fixture(scope="module", autouse=True)
def fresh_summary_file():
    SUMMARY_FILE.write_text("nh3 vs bleach: differences in published markup\n\n", encoding="utf-8")


def _xss_cases():
    return [(payload.id, payload.text) for payload in load_xss_corpus()]


def _bench_cases():
    corpus = _load_bench_corpus()
    # A subset keeps the run short: every kind of comment, long ones included.
    chosen = {"short": corpus["short"][:150], "medium": corpus["medium"][:60], "long": corpus["long"][:3]}
    return [(f"bench-{kind}-{index:03d}", text)
            for kind, texts in chosen.items() for index, text in enumerate(texts)]


CORPORA = {"xss": _xss_cases, "bench": _bench_cases}


@pytest.mark.parametrize("corpus_name", sorted(CORPORA))
def test_render_lets_the_same_markup_through(corpus_name):
    comparison = Comparison(f"render filtered_html over the {corpus_name} corpus")
    for case_id, text in CORPORA[corpus_name]():
        comparison.add(case_id, text, render(text, "filtered_html", engine="nh3").html,
                       render(text, "filtered_html", engine="bleach").html)
    _report(comparison)


@pytest.mark.parametrize("corpus_name", sorted(CORPORA))
def test_permissive_filter_html_lets_the_same_markup_through(corpus_name):
    comparison = Comparison(f"filter_html (permissive allowlist) over the {corpus_name} corpus")
    for case_id, text in CORPORA[corpus_name]():
        comparison.add(case_id, text, filter_html(text, PERMISSIVE_TAGS, nofollow=True, engine="nh3"),
                       filter_html(text, PERMISSIVE_TAGS, nofollow=True, engine="bleach"))
    _report(comparison)
