"""The output guard: check the final HTML as a browser would read it and enforce the allowlist.

Filters that add markup after the tag filter are where sanitizers get bypassed,
so ``render`` hands its final HTML to :func:`guard_html`, which returns it
untouched when everything in it is on the format's :class:`OutputAllowlist`, and
otherwise removes what is not, records it in the report and re-serializes.
Our own pipelines never need it to act (tests prove that).

Two ways to decide "everything is on the allowlist":

1. The fast path (``fast_paths.GUARD_TEXT_PROOF``): a proof from the text alone that
   the parse would find nothing, in :mod:`moderation.formats.guard_text_proof`.

2. The full check (anything else): parse with Lexbor (HTML5, as the children of
   a ``<div>``, scripting on: what ``innerHTML`` does), walk every node once,
   and on a violation remove it and re-serialize.

The fast path only ever *accepts*; whatever it does not recognize goes to the
full check, so the result is always the full check's result.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import cached_property

from selectolax.lexbor import LexborHTMLParser

from moderation.formats import fast_paths
from moderation.formats.engines import (
    URL_ATTRIBUTES, HtmlPolicy, self_close_void_elements)
from moderation.formats.guard_text_proof import canonical_document_pattern
from moderation.formats.protocols import ALLOWED_PROTOCOLS, url_scheme
from moderation.formats.report import ACTIVE_TAGS, RenderReport

# Removed with everything inside: raw-text elements and foreign (svg/math) content,
# whose children are not what they seem once moved out. Others are unwrapped.
_DROP_WITH_CONTENT = ACTIVE_TAGS | {
    "xmp", "noembed", "noframes", "plaintext", "textarea", "title", "select",
}


@dataclass(frozen=True)
class OutputAllowlist:
    """What a format's final HTML may hold: element -> attribute names, and URL schemes."""

    elements: tuple[tuple[str, frozenset[str]], ...]
    protocols: tuple[str, ...] = ALLOWED_PROTOCOLS
    attribute_values: tuple[tuple[str, str, frozenset[str]], ...] = ()

    @property
    def tags(self) -> frozenset[str]:
        return frozenset(tag for tag, _ in self.elements)

    @cached_property
    def canonical_document(self) -> re.Pattern:
        """The guard's fast-path pattern, compiled once per allowlist object (bench/caches.py:
        without the cache the render is ~1.4x slower on the mixed corpus, ~3.9x on short
        comments)."""
        return canonical_document_pattern(self)


def output_allowlist(html_policy: HtmlPolicy | None, *, autolinks: bool,
                     protocols=ALLOWED_PROTOCOLS) -> OutputAllowlist:
    """The user-allowed tags and attributes, plus p and br, plus <a href rel> when autolinking."""
    from moderation.formats import html_filter, url_filter  # noqa: PLC0415 (they import this module)

    outputs = [html_filter.policy_output(html_policy)] if html_policy is not None else []
    if autolinks:
        outputs.append(url_filter.LINKS)
    return allowlist_from(outputs, protocols)


def allowlist_from(outputs, protocols=ALLOWED_PROTOCOLS) -> OutputAllowlist:
    """The guard's allowlist: p and br (the spec's base) and what each filter declares it
    writes (``text_filter.Output``); ``style`` and ``on*`` attributes never."""
    elements: dict[str, set[str]] = {"p": set(), "br": set()}
    attribute_values: list = []
    for output in outputs:
        for tag, attributes in output.elements.items():
            elements.setdefault(tag, set()).update(attributes)
        attribute_values.extend(output.attribute_values)
    return OutputAllowlist(
        elements=tuple(sorted(
            (tag, frozenset(name for name in attrs if not name.startswith("on") and name != "style"))
            for tag, attrs in elements.items())),
        protocols=tuple(protocols),
        attribute_values=tuple(attribute_values),
    )


# --- a reusable fragment parser -------------------------------------------------
# Creating a Lexbor document costs 5-11 µs, more than parsing a typical comment,
# so each thread keeps one document and re-fills a <div> through innerHTML.
# Refilling first frees the previous content, and Lexbor keeps that memory until
# the document goes: so long texts get a document of their own, and the shared
# one is replaced after it has parsed _RECYCLE_AFTER_BYTES.
_RECYCLE_AFTER_BYTES = 256 * 1024
_OWN_DOCUMENT_ABOVE = 16 * 1024
_local = threading.local()


def _new_container():
    document = LexborHTMLParser("<div></div>", scripting=True)  # scripting on, as in browsers
    return document, document.css_first("div")


def parse_fragment(html: str):
    """Parse ``html`` as a ``<div>``'s innerHTML; return that div (valid until the next call)."""
    if len(html) > _OWN_DOCUMENT_ABOVE:
        _, container = _new_container()
        container.inner_html = html
        return container
    state = getattr(_local, "state", None)
    if state is None or state[2] > _RECYCLE_AFTER_BYTES:
        state = [*_new_container(), 0]
        _local.state = state
    container = state[1]
    container.inner_html = html
    state[2] += len(html)
    return container


# --- the check -------------------------------------------------------------------

@dataclass(frozen=True)
class _CompiledAllowlist:
    attributes: dict            # tag -> allowed attribute names
    values: dict                # (tag, attribute) -> allowed value tokens
    safe_prefixes: tuple        # "https:", ...: a value starting so has an allowed scheme


def _compiled(allowlist: OutputAllowlist) -> _CompiledAllowlist:
    attributes = dict(allowlist.elements)
    return _CompiledAllowlist(
        attributes=attributes,
        values={(tag, name): allowed for tag, name, allowed in allowlist.attribute_values},
        safe_prefixes=tuple(f"{protocol}:" for protocol in allowlist.protocols),
    )


def _attribute_problem(allowlist: OutputAllowlist, allowed_names, values, tag, name, value):
    """None if the attribute may stay, else the guard_removed key ("attr:x" / "url:scheme")."""
    if name not in allowed_names or name.startswith("on"):
        return f"attr:{name}"
    if name in URL_ATTRIBUTES:
        scheme = url_scheme(value or "")
        if scheme is not None and scheme not in allowlist.protocols:
            return f"url:{scheme}"
    allowed_tokens = values.get((tag, name))
    if allowed_tokens is not None:
        tokens = (value or "").split()
        if not tokens or any(token not in allowed_tokens for token in tokens):
            return f"attr:{name}"
    return None


def _is_clean(container, allowlist: OutputAllowlist) -> bool:
    """The fast path: one walk over every element, comment and processing instruction.

    (Lexbor selector matching and per-tag lookups were tried: slower than this walk.)
    """
    nodes = container.traverse(include_text=False)
    next(nodes)  # the container itself
    return _nodes_are_clean(nodes, allowlist, _compiled(allowlist))


def _nodes_are_clean(nodes, allowlist: OutputAllowlist, compiled: _CompiledAllowlist) -> bool:
    attributes, values, safe_prefixes = compiled.attributes, compiled.values, compiled.safe_prefixes
    for node in nodes:
        allowed_names = attributes.get(node.tag)
        if allowed_names is None:  # a disallowed element, a comment or a processing instruction
            return False
        attrs = node.attributes
        if not attrs:
            continue
        for name, value in attrs.items():
            if name not in allowed_names:
                return False
            needs_look = values or (name in URL_ATTRIBUTES
                                    and not (value or "").startswith(safe_prefixes))
            if needs_look and _attribute_problem(allowlist, allowed_names, values,
                                                 node.tag, name, value):
                return False
    return True


class GuardCounters:
    """How often :func:`guard_html` had to parse (for tests and diagnostics; not
    locked, so concurrent renders may undercount). The fast path counts nothing:
    it runs on every render and should cost only its regex."""

    parsed = 0


def guard_html(html: str, allowlist: OutputAllowlist, report: RenderReport | None = None) -> str:
    """``html`` unchanged when it is all on ``allowlist``; else the cleaned, re-serialized HTML."""
    if "<" not in html:  # no tag, comment or processing instruction can exist
        return html
    if fast_paths.GUARD_TEXT_PROOF and allowlist.canonical_document.fullmatch(html) is not None:
        return html
    GuardCounters.parsed += 1
    container = parse_fragment(html)
    if _is_clean(container, allowlist):
        return html
    removed = _remove_violations(container, allowlist)
    if report is not None:
        report.guard_acted = True
        report.guard_removed.update(removed)
    return self_close_void_elements(container.inner_html)


def _remove_violations(container, allowlist: OutputAllowlist) -> list[str]:
    """Fix the tree in place, children before parents; return what was removed."""
    compiled = _compiled(allowlist)
    attributes, values = compiled.attributes, compiled.values
    nodes = list(container.traverse(include_text=False))[1:]
    removed: list[str] = []
    for node in reversed(nodes):
        tag = node.tag
        if tag is None or tag == "-comment":
            removed.append("comment" if tag == "-comment" else "processing_instruction")
            node.decompose()
            continue
        allowed_names = attributes.get(tag)
        if allowed_names is None:
            removed.append(f"tag:{tag}")
            if tag in _DROP_WITH_CONTENT:
                node.decompose()
            else:
                node.unwrap(delete_empty=True)
            continue
        for name, value in list(node.attributes.items()):
            problem = _attribute_problem(allowlist, allowed_names, values, tag, name, value)
            if problem:
                removed.append(problem)
                del node.attrs[name]
    return removed
