"""An independent safety oracle for rendered comment HTML.

It shares no code with the filters it judges: it parses the output with html5lib
the way a browser builds a ``<div>``'s children (``innerHTML`` with scripting on)
and reports anything a format must never publish:

- an element outside the format's output allowlist, or one outside the HTML
  namespace (an allowed name inside ``<svg>``/``<math>`` is a different element);
- an attribute outside the allowlist, and any ``on*`` attribute whatsoever;
- a URL attribute (``href``, ``src``, ``cite``, …) whose scheme is not an allowed
  protocol, read after the parser's entity decoding and after removing white
  space and control characters (ASCII and Unicode: ``java\\tscript:``,
  ``\\u200bjavascript:``); relative URLs are fine;
- any comment node;
- mutation: serializing the parsed tree and parsing it again must give the same
  tree (parse → serialize → parse), or the markup is unstable and what a later
  ``innerHTML`` round trip shows is not what was checked.

``violations(html, policy)`` returns readable strings (empty list = safe);
``assert_safe(html, policy, context=...)`` raises ``AssertionError`` with all of them.
"""
from __future__ import annotations

import json
import re
import unicodedata
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path

import html5lib

from moderation.formats.protocols import ALLOWED_PROTOCOLS

HTML_NAMESPACE = "http://www.w3.org/1999/xhtml"
XSS_CORPUS = Path(__file__).resolve().parents[1] / "data" / "xss_vectors.json"

# Attributes whose value a browser dereferences as a URL. Only href, src and cite
# can be allowed by a policy here, but any of them appearing is checked anyway.
URL_ATTRIBUTES = frozenset({
    "href", "src", "cite", "action", "formaction", "background", "poster",
    "data", "codebase", "longdesc", "usemap", "dynsrc", "lowsrc", "srcset",
    "xlink:href", "ping",
})

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_QUALIFIED = re.compile(r"\{([^}]*)\}(.*)")
_XLINK_NAMESPACE = "http://www.w3.org/1999/xlink"


@dataclass(frozen=True)
class OutputPolicy:
    """What a rendered text may contain: element name -> allowed attribute names."""

    name: str
    elements: dict[str, frozenset[str]] = field(default_factory=dict)
    protocols: tuple[str, ...] = ALLOWED_PROTOCOLS

    def allows_attribute(self, element: str, attribute: str) -> bool:
        return attribute in self.elements.get(element, frozenset())


def policy_from_allowed_html(allowed_html: str, *, name: str = "custom",
                             with_links: bool = False) -> OutputPolicy:
    """Build a policy from Drupal's ``<tag attr attr> <tag>`` syntax.

    ``with_links`` adds what the autolinker and autop may create: ``<a href rel>``,
    ``<p>`` and ``<br>``.
    """
    elements: dict[str, set[str]] = {}
    for group in re.findall(r"<([^<>]*)>", allowed_html):
        words = group.split()
        if words:
            elements.setdefault(words[0].lower(), set()).update(w.lower() for w in words[1:])
    if with_links:
        elements.setdefault("a", set()).update({"href", "rel"})
        elements.setdefault("p", set())
        elements.setdefault("br", set())
    return OutputPolicy(name, {tag: frozenset(attrs) for tag, attrs in elements.items()})


FILTERED_HTML = policy_from_allowed_html(
    "<em> <strong> <blockquote> <br> <p>", name="filtered_html", with_links=True)
PLAIN_TEXT = policy_from_allowed_html("", name="plain_text", with_links=True)
POLICIES = {"filtered_html": FILTERED_HTML, "plain_text": PLAIN_TEXT}


def parse_fragment(html: str) -> ElementTree.Element:
    """Parse ``html`` as the children of a ``<div>``, as ``innerHTML`` would."""
    parser = html5lib.HTMLParser(tree=html5lib.getTreeBuilder("etree"),
                                 namespaceHTMLElements=True)
    return parser.parseFragment(html, container="div", scripting=True)


def serialize_fragment(fragment: ElementTree.Element) -> str:
    """Serialize a parsed fragment the way a browser's ``innerHTML`` getter does.

    ``<`` and ``>`` in attribute values are left as they are, as browsers did until
    2025: the older, more mutation-prone behaviour is the one to check against.
    """
    return html5lib.serialize(
        fragment, tree="etree", quote_attr_values="always", omit_optional_tags=False,
        minimize_boolean_attributes=False, use_trailing_solidus=False,
        escape_lt_in_attrs=False, resolve_entities=False)


def url_scheme_as_browser_sees(value: str) -> str | None:
    """The scheme of an already entity-decoded attribute value, or None if relative.

    White space and control characters are removed first (``jav\\tascript:``),
    including Unicode spaces and invisible format characters, which is stricter
    than any current browser on purpose.
    """
    squeezed = "".join(ch for ch in value if not _is_ignorable(ch))
    match = _SCHEME.match(squeezed)
    return match.group(1).lower() if match else None


def _is_ignorable(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zs", "Zl", "Zp")


def _split_name(qualified: str) -> tuple[str | None, str]:
    match = _QUALIFIED.match(qualified)
    return (match.group(1), match.group(2)) if match else (None, qualified)


def _attribute_display_name(qualified: str) -> str:
    namespace, local = _split_name(qualified)
    if namespace == _XLINK_NAMESPACE:
        return "xlink:" + local
    return local if namespace is None else f"{{{namespace}}}{local}"


def _check_element(element: ElementTree.Element, policy: OutputPolicy, found: list[str]) -> None:
    namespace, local = _split_name(element.tag)
    if namespace != HTML_NAMESPACE:
        found.append(f"element <{local}> in foreign namespace {namespace}")
    elif local not in policy.elements:
        found.append(f"element <{local}> is not allowed in {policy.name}")
    for qualified, value in element.attrib.items():
        attribute = _attribute_display_name(qualified)
        if attribute.lower().startswith("on"):
            found.append(f"event handler attribute {attribute}={value!r} on <{local}>")
        elif namespace != HTML_NAMESPACE or not policy.allows_attribute(local, attribute):
            found.append(f"attribute {attribute}={value!r} is not allowed on <{local}>")
        if attribute.lower() in URL_ATTRIBUTES:
            scheme = url_scheme_as_browser_sees(value)
            if scheme is not None and scheme not in policy.protocols:
                found.append(f"URL attribute {attribute}={value!r} on <{local}> "
                             f"has disallowed scheme {scheme!r}")


def _walk(node: ElementTree.Element, policy: OutputPolicy, found: list[str]) -> None:
    for child in node:
        if child.tag is ElementTree.Comment:
            found.append(f"comment node <!--{child.text}-->")
            continue
        if not isinstance(child.tag, str):  # processing instructions: not produced by HTML parsing
            found.append(f"unexpected node {child.tag!r}")
            continue
        _check_element(child, policy, found)
        _walk(child, policy, found)


def canonical_tree(node: ElementTree.Element) -> tuple:
    """A comparable form of a parsed fragment: nested tuples, adjacent text merged."""
    items: list[tuple] = []

    def add_text(text: str | None) -> None:
        if not text:
            return
        if items and items[-1][0] == "text":
            items[-1] = ("text", items[-1][1] + text)
        else:
            items.append(("text", text))

    add_text(node.text)
    for child in node:
        if child.tag is ElementTree.Comment:
            items.append(("comment", child.text or ""))
        else:
            items.append(("element", str(child.tag), tuple(sorted(child.attrib.items())),
                          canonical_tree(child)))
        add_text(child.tail)
    return tuple(items)


def violations(html: str, policy: OutputPolicy = FILTERED_HTML) -> list[str]:
    """Everything unsafe about ``html`` under ``policy``; an empty list means safe."""
    found: list[str] = []
    fragment = parse_fragment(html)
    _walk(fragment, policy, found)
    reserialized = serialize_fragment(fragment)
    if canonical_tree(parse_fragment(reserialized)) != canonical_tree(fragment):
        found.append("mutation: the tree changes after serialize and re-parse "
                     f"(re-serialized as {reserialized!r})")
    return found


def assert_safe(html: str, policy: OutputPolicy = FILTERED_HTML, *, context: str = "") -> None:
    """Fail with every violation listed, the output, and what produced it."""
    found = violations(html, policy)
    if found:
        lines = [f"unsafe output under the {policy.name} policy"]
        if context:
            lines.append(f"  produced by: {context}")
        lines.append(f"  output: {html!r}")
        lines.extend(f"  - {problem}" for problem in found)
        raise AssertionError("\n".join(lines))


@dataclass(frozen=True)
class Payload:
    """One corpus entry: a stable id (``group-index``), the text, and its source."""

    id: str
    text: str
    source: str


def load_xss_corpus(path: Path = XSS_CORPUS) -> list[Payload]:
    """The payloads the oracle is run over, in file order, with group-based ids."""
    document = json.loads(path.read_text(encoding="utf-8"))
    return [Payload(f"{group['key']}-{index:03d}", text, group["source"])
            for group in document["groups"]
            for index, text in enumerate(group["payloads"])]
