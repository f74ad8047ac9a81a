"""The output guard's fast path: a proof, from the text alone, that ``guard.guard_html``'s
parse would find nothing to remove. Taken only when ``fast_paths.GUARD_TEXT_PROOF``; it only
ever *accepts*, and whatever it does not recognize goes to the full check.

One precompiled regular expression must match the *whole* text, as text without ``<`` and
tags in the exact canonical shapes our pipelines write (``<p>``, ``</em>``, ``<br />``,
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
text, nothing else, which is what the full check would conclude.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from moderation.formats.engines import URL_ATTRIBUTES

if TYPE_CHECKING:
    from moderation.formats.guard import OutputAllowlist

# Elements whose tags, in a <div> fragment, create only an element of that name (or
# a clone of one, or a <p> for a stray </p>) and leave the tokenizer in the data
# state (see the module docstring); not here on purpose: raw-text and RCDATA
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


def _attribute_grammar(tag: str, name: str, allowlist: OutputAllowlist, values: dict) -> str | None:
    """The regex for one allowed attribute in canonical form, or None to leave it to the parser."""
    if not _CANONICAL_NAME.fullmatch(name) or name.startswith("on"):
        return None
    allowed_tokens = values.get((tag, name))
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
    attributes = dict(allowlist.elements)
    values = {(tag, name): allowed for tag, name, allowed in allowlist.attribute_values}
    names = [tag for tag, _ in allowlist.elements if tag in SIMPLE_ELEMENTS]
    names.sort(key=lambda tag: (_COMMON_FIRST.index(tag) if tag in _COMMON_FIRST
                                else len(_COMMON_FIRST), tag))
    tags = []
    for tag in names:
        grammars = [grammar for name in sorted(attributes[tag])
                    if (grammar := _attribute_grammar(tag, name, allowlist, values))]
        attribute_run = f"(?:{'|'.join(grammars)})*+" if grammars else ""
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
