"""Removed tags keep their text, whatever their name (the spec's rule for filter_html).

ammonia (inside nh3) removes some disallowed elements *with* their content:
every element a reader writes whose name is also an SVG or MathML element name
(``<set>``, ``<list>``, ``<filter>``, ``<text>``, ``<mi>``: it cannot tell them
from misplaced foreign elements), everything inside ``<svg>`` and ``<math>``,
and a ``<template>``'s content. "Use the <filter> option and <list> view" would
lose all but "Use the". Renamed to unknown HTML elements, such tags are removed
like any other disallowed tag and their text is kept, with either engine. Which
names need it is asked of nh3 itself, once, so the list follows the installed
version.

The new name is the old one plus :data:`RENAME_MARK` (U+0001), a character
normalized text never holds: where the same letters were not a tag (inside
``<textarea>``, an attribute value...), the engine keeps the mark in the text or
value, and removing every mark from its output gives back exactly what the
reader wrote. The report is made from the text as written, before this runs.
"""
from __future__ import annotations

import re
from functools import cache

import nh3

# Element names of SVG 1.1/2 and MathML 3 (presentation and content markup), in
# lower case as the HTML parser writes names outside foreign content: the
# candidates asked about below.
_SVG_NAMES = (
    "a altglyph altglyphdef altglyphitem animate animatecolor animatemotion "
    "animatetransform circle clippath color-profile cursor defs desc discard ellipse "
    "feblend fecolormatrix fecomponenttransfer fecomposite feconvolvematrix "
    "fediffuselighting fedisplacementmap fedistantlight fedropshadow feflood fefunca "
    "fefuncb fefuncg fefuncr fegaussianblur feimage femerge femergenode femorphology "
    "feoffset fepointlight fespecularlighting fespotlight fetile feturbulence filter "
    "font font-face font-face-format font-face-name font-face-src font-face-uri "
    "foreignobject g glyph glyphref hatch hatchpath hkern image line lineargradient "
    "marker mask mesh meshgradient meshpatch meshrow metadata missing-glyph mpath path "
    "pattern polygon polyline radialgradient rect script set solidcolor stop style svg "
    "switch symbol text textpath title tref tspan unknown use view vkern"
).split()
_MATHML_NAMES = (
    "math maction maligngroup malignmark menclose merror mfenced mfrac mglyph mi "
    "mlabeledtr mlongdiv mmultiscripts mn mo mover mpadded mphantom mprescripts mroot "
    "mrow ms mscarries mscarry msgroup msline mspace msqrt msrow mstack mstyle msub "
    "msubsup msup mtable mtd mtext mtr munder munderover none semantics annotation "
    "annotation-xml abs and apply approx arccos arccosh arccot arccoth arccsc arccsch "
    "arcsec arcsech arcsin arcsinh arctan arctanh arg bind bvar card cartesianproduct "
    "cbytes ceiling cerror ci cn codomain complexes compose condition conjugate cos cosh "
    "cot coth cs csc csch csymbol curl declare degree determinant diff divergence divide "
    "domain domainofapplication emptyset eq equivalent eulergamma exists exp exponentiale "
    "factorial factorof false floor fn forall gcd geq grad gt ident image imaginary "
    "imaginaryi implies in infinity int integers intersect interval inverse lambda "
    "laplacian lcm leq limit list ln log logbase lowlimit lt matrix matrixrow max mean "
    "median min minus mode moment momentabout naturalnumbers neq not notanumber notin "
    "notprsubset notsubset or otherwise outerproduct partialdiff pi piece piecewise plus "
    "power primes product prsubset quotient rationals real reals reln rem root "
    "scalarproduct sdev sec sech selector sep set setdiff share sin sinh subset sum tan "
    "tanh tendsto times transpose true union uplimit variance vector vectorproduct xor"
).split()
CANDIDATE_NAMES = frozenset(_SVG_NAMES) | frozenset(_MATHML_NAMES) | {"template"}

# The roots of foreign content and template: renamed always (never allowed), so
# what is inside is parsed as plain HTML, where the names above are caught too.
_ALWAYS_RENAMED = frozenset({"svg", "math", "template"})

# A start or end tag's name as the tokenizer reads it.
_TAG_NAME = re.compile(r"</?([A-Za-z][^\t\n\x0c />]*)")


@cache  # computed once: it asks nh3 about each candidate name
def names_dropped_with_content() -> frozenset[str]:
    """The candidate names whose element nh3 removes together with its text."""
    cleaner = nh3.Cleaner(tags=set(), clean_content_tags=set(), attributes={"*": set()})
    return frozenset(name for name in CANDIDATE_NAMES
                     if cleaner.clean(f"<{name}>kept</{name}>") != "kept")


def renamed_names(allowed_tags: frozenset[str]) -> frozenset[str]:
    """The tag names to rename under a policy allowing ``allowed_tags`` (an
    allowed tag is left as it is)."""
    return (names_dropped_with_content() | _ALWAYS_RENAMED) - allowed_tags


RENAME_MARK = "\x01"  # a C0 control: normalize_text removes them all


def keep_text_of_removed_tags(text: str, allowed_tags: frozenset[str]) -> str:
    """``text`` (normalized) with the start and end tags named in
    :func:`renamed_names` renamed: ``<set`` to ``<set`` + RENAME_MARK, any case.
    Returns ``text`` itself when nothing is renamed; otherwise the caller
    removes every RENAME_MARK from the engine's output."""
    if "<" not in text:
        return text
    present = ({name.lower() for name in _TAG_NAME.findall(text)}
               & renamed_names(allowed_tags))
    if not present:
        return text
    return _renaming_pattern(frozenset(present)).sub(r"\g<0>" + RENAME_MARK, text)


def _renaming_pattern(names: frozenset[str]) -> re.Pattern:
    alternatives = "|".join(map(re.escape, sorted(names, key=len, reverse=True)))
    return re.compile(rf"</?(?:{alternatives})(?=[\t\n\x0c />]|\Z)",
                      re.IGNORECASE | re.ASCII)
