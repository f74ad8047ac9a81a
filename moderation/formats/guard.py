"""The output guard: check the final HTML as a browser would read it and enforce the allowlist.

Filters that add markup after the tag filter are where sanitizers get bypassed,
so ``render`` hands its final HTML to :func:`guard_html`, which returns it
untouched when everything in it is on the format's :class:`OutputAllowlist`, and
otherwise removes what is not, records it in the report and re-serializes.
Our own pipelines never need it to act (tests prove that).

Two ways to decide "everything is on the allowlist":

1. The fast path, :func:`is_canonical_and_allowed`: one precompiled regular
   expression must match the *whole* text, as text without ``<`` and tags in the
   exact canonical shapes our pipelines write (``<p>``, ``</em>``, ``<br />``,
   ``<a href="https://..." rel="nofollow ugc">``), each an allowed element with
   allowed attributes, lower-case names, one space before each attribute,
   double-quoted values holding no ``"``, ``<``, ``>``, NUL or CR, URL values
   that start with an allowed scheme or hold neither ``:`` nor ``&``, and
   values restricted to listed tokens holding only those tokens. Why that is
   proof enough:

   - An HTML tokenizer in the data state turns text without ``<`` into text
     (character references included); only ``<`` can start a tag, comment,
     doctype or processing instruction. Every ``<`` here starts one of our tags,
     so there is no ``<!``, ``<?``, ``</`` + junk or stray ``<``.
   - The elements accepted (:data:`SIMPLE_ELEMENTS`) never switch the tokenizer
     out of the data state (no raw-text, RCDATA, plaintext or foreign content),
     so every later ``<`` is read as a tag too, and each tag token is exactly
     the name and attributes written: values have no quote to end early, and
     character references cannot change what the checks depend on (an
     allowed scheme's prefix is plain letters; a relative URL or a token value
     holds no ``&``).
   - In a ``<div>`` fragment those elements create only themselves: no implied
     parents (as ``<tr>`` implies ``<tbody>``), no renaming (``<image>``), no
     attribute merging (``<body>``). The tree builder may close them early,
     clone a formatting element (``<a>``, ``<em>``) with the same attributes,
     or make an empty ``<p>`` for a stray ``</p>`` (accepted only when ``p`` is
     allowed): nothing outside the allowlist.
   So the parsed tree holds allowed elements with allowed attribute values and
   text, nothing else, which is what the full check below would conclude.

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
from functools import cached_property, lru_cache

from selectolax.lexbor import LexborHTMLParser

from moderation.formats import fast_paths
from moderation.formats.engines import (
    URL_ATTRIBUTES, HtmlPolicy, self_close_void_elements)
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
        """The guard's fast-path pattern, compiled once per allowlist object."""
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


@lru_cache(maxsize=64)
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


# --- the fast path: a proof from the text alone ------------------------------------

# Elements whose tags, in a <div> fragment, create only an element of that name (or
# a clone of one, or a <p> for a stray </p>) and leave the tokenizer in the data
# state. See the module docstring; not here on purpose: raw-text and RCDATA
# elements, svg/math, table parts (implied <tbody>), select/option, form, button,
# nobr, image, html/head/body/frameset, template.
SIMPLE_ELEMENTS = frozenset({
    "a", "abbr", "address", "article", "aside", "b", "bdi", "bdo", "blockquote", "br",
    "cite", "code", "dd", "del", "dfn", "div", "dl", "dt", "em", "figcaption", "figure",
    "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "i", "img", "ins",
    "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "section", "small", "span",
    "strong", "sub", "sup", "u", "ul", "var", "wbr",
})
SIMPLE_VOID_ELEMENTS = frozenset({"br", "hr", "img", "wbr"})

# A canonical attribute value: double-quoted, so only `"` ends it. No angle
# brackets (canonical serializations escape them), no NUL or CR (the tokenizer
# rewrites those). References may occur: where any value is allowed, or after an
# allowed scheme, what they decode to cannot matter.
_CANONICAL_VALUE = r'[^"<>\x00\r]*+'
# A relative URL: no ':' and no reference that could decode to one.
_NO_COLON_VALUE = r'[^"<>&\x00\r:]*+'
_CANONICAL_NAME = re.compile(r"[a-z][a-z0-9_.:-]*+")
_SCHEME_NAME = re.compile(r"[a-z][a-z0-9+.\-]*+")
_COMMON_SCHEMES = ("https", "http", "mailto")
# Tried first, in this order: the tags our pipelines write most.
_COMMON_FIRST = ("p", "a", "em", "strong", "br", "blockquote")


def _attribute_grammar(tag: str, name: str, allowlist: OutputAllowlist, compiled) -> str | None:
    """The regex for one allowed attribute in canonical form, or None to leave it to the parser."""
    if not _CANONICAL_NAME.fullmatch(name) or name.startswith("on"):
        return None
    allowed_tokens = compiled.values.get((tag, name))
    if name in URL_ATTRIBUTES:
        if allowed_tokens is not None:
            return None
        # An allowed scheme at the very start, in any case, or no ':' at all. Only
        # names url_scheme can return (lower case); others are left to the parse.
        # Plain literals before (?i) (the regex engine skips those on one
        # character, (?i) tests each), https, http and mailto first of all.
        protocols = sorted(
            (protocol for protocol in allowlist.protocols if _SCHEME_NAME.fullmatch(protocol)),
            key=lambda protocol: (_COMMON_SCHEMES.index(protocol)
                                  if protocol in _COMMON_SCHEMES else 9, protocol))
        schemes = "|".join(re.escape(protocol) for protocol in protocols)
        value = (rf'(?:(?:{schemes}|(?ai:{schemes})):{_CANONICAL_VALUE}|{_NO_COLON_VALUE})'
                 if schemes else _NO_COLON_VALUE)
    elif allowed_tokens is not None:
        # Space-separated tokens from the allowed set, at least one (str.split's white space).
        if not allowed_tokens or not all(re.fullmatch(r'[^"<>&\x00\r]+', token)
                                         for token in allowed_tokens):
            return None
        tokens = "|".join(re.escape(token)
                          for token in sorted(allowed_tokens, key=len, reverse=True))
        value = rf'\s*+(?:{tokens})(?=[\s"])(?:\s++(?:{tokens})(?=[\s"]))*+\s*+'
    else:
        value = _CANONICAL_VALUE
    return f' {re.escape(name)}="{value}"'


def canonical_document_pattern(allowlist: OutputAllowlist) -> re.Pattern:
    """One pattern matching a whole text made of plain text and canonical allowed tags.

    Linear: every quantifier is possessive and every branch after ``<`` starts
    with a different literal or ends at a fixed character.
    """
    compiled = _compiled(allowlist)
    names = [tag for tag, _ in allowlist.elements if tag in SIMPLE_ELEMENTS]
    names.sort(key=lambda tag: (_COMMON_FIRST.index(tag) if tag in _COMMON_FIRST
                                else len(_COMMON_FIRST), tag))
    tags = []
    for tag in names:
        attributes = [grammar for name in sorted(compiled.attributes[tag])
                      if (grammar := _attribute_grammar(tag, name, allowlist, compiled))]
        attribute_run = f"(?:{'|'.join(attributes)})*+" if attributes else ""
        if tag in SIMPLE_VOID_ELEMENTS:
            tags.append(f"{tag}{attribute_run}(?: /)?>")
        else:
            tags += [f"{tag}{attribute_run}>", f"/{tag}>"]
    if not tags:
        return re.compile(r"[^<]*+")
    return re.compile(f"[^<]*+(?:<(?:{'|'.join(tags)})[^<]*+)*+")


def is_canonical_and_allowed(html: str, allowlist: OutputAllowlist) -> bool:
    """True when ``html`` is plain text and canonical allowed tags only (the fast path).

    True proves the full check would find nothing (module docstring). False
    proves nothing: the text is merely not in the shape our pipelines write.
    """
    return allowlist.canonical_document.fullmatch(html) is not None


class GuardCounters:
    """How often :func:`guard_html` had to parse (for tests and diagnostics; not
    locked, so concurrent renders may undercount). The fast path counts nothing:
    it runs on every render and should cost only its regex."""

    parsed = 0


def guard_html(html: str, allowlist: OutputAllowlist, report: RenderReport | None = None) -> str:
    """``html`` unchanged when it is all on ``allowlist``; else the cleaned, re-serialized HTML."""
    if "<" not in html:  # no tag, comment or processing instruction can exist
        return html
    if fast_paths.GUARD_TEXT_PROOF and allowlist.canonical_document.fullmatch(html) is not None:  # is_canonical_and_allowed
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
