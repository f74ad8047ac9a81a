"""The sanitizer seam: one small policy type and two engines behind it.

``filter_html`` describes *what* may survive as an :class:`HtmlPolicy`; an engine
decides *how*. ``Nh3Engine`` (Rust's ammonia over html5ever) is the default and
the fast one; ``BleachEngine`` (html5lib in pure Python) is the fallback and the
cross-check. Both return the same text for the same input wherever their HTML
parsers agree, because both outputs are brought to one serialization:

- HTML5 serialization, as browsers' ``innerHTML``, nh3 and Drupal 11 (masterminds
  html5) write it: character references are decoded, then only ``&``, ``<``,
  ``>`` and U+00A0 are written as ``&amp; &lt; &gt; &nbsp;`` in text, plus ``"``
  as ``&quot;`` in attribute values, which are always double-quoted. So
  ``&copy;`` comes out as ``©`` and ``&#39;`` as ``'``: the same characters,
  well-formed, one spelling.
- Void elements are written the way Drupal's filters write them: ``<br />``.

Which engine runs: ``get_engine(name)``, else ``$MODERATION_SANITIZER``, else nh3.
"""
from __future__ import annotations

import html
import re
import threading
from dataclasses import dataclass
from functools import cached_property, lru_cache

import bleach
import html5lib.filters.base
import nh3

from moderation.formats.html_prepass import split_long_text_runs
from moderation.formats.protocols import ALLOWED_PROTOCOLS, is_allowed_url
from moderation.settings import Settings

DEFAULT_ENGINE = "nh3"
ENGINE_ENV_VAR = "MODERATION_SANITIZER"  # Settings.sanitizer

# Attributes a browser dereferences as a URL: their scheme is checked wherever
# they are allowed (ammonia's own check covers href/src but not cite).
URL_ATTRIBUTES = frozenset({
    "href", "src", "cite", "action", "formaction", "background", "poster",
    "data", "codebase", "longdesc", "usemap", "dynsrc", "lowsrc", "ping",
})

VOID_ELEMENTS = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
    "source", "track", "wbr",
})


@dataclass(frozen=True)
class HtmlPolicy:
    """What survives the tag filter. Hashable, so engines cache one cleaner each.

    ``attributes`` maps a tag to the attribute names kept on it;
    ``attribute_values`` restricts some of them to space-separated tokens from a
    set (Drupal's ``<a llama="majestical epic">``).
    """

    tags: frozenset[str]
    attributes: tuple[tuple[str, frozenset[str]], ...] = ()
    attribute_values: tuple[tuple[str, str, frozenset[str]], ...] = ()
    protocols: tuple[str, ...] = ALLOWED_PROTOCOLS
    nofollow: bool = False

    def attributes_for(self, tag: str) -> frozenset[str]:
        return _attribute_map(self).get(tag, frozenset())

    @cached_property
    def derived(self) -> dict:
        """Values other code computes from this policy object (the nh3 cleaner, the
        report's patterns), each under its own key: a render looks them up with two
        dict reads instead of hashing the policy for an lru_cache (~0.3 µs each).
        The one cache for them (bench/caches.py: without it every render builds an nh3
        Cleaner, ~2.0x slower on the mixed corpus, ~5.0x on short comments);
        parse_allowed_html gives one policy object per setting."""
        return {}

    @property
    def needs_value_checks(self) -> bool:
        """True when some kept attribute's value must be looked at (URLs, value lists)."""
        return bool(self.attribute_values) or any(
            attrs & URL_ATTRIBUTES for _, attrs in self.attributes)

    def keeps_attribute(self, tag: str, name: str, value: str | None) -> bool:
        """Would this attribute survive on an allowed ``tag``?"""
        if self.nofollow and tag == "a" and name == "rel":
            return False  # replaced by rel="nofollow"
        if name not in self.attributes_for(tag) or _never_kept(name):
            return False
        value = value or ""
        if name in URL_ATTRIBUTES and not is_allowed_url(value, self.protocols):
            return False
        allowed_tokens = _value_map(self).get((tag, name))
        return allowed_tokens is None or _tokens_allowed(value, allowed_tokens)


def _never_kept(name: str) -> bool:
    """Event handlers and style: never kept, whatever a policy lists (spec)."""
    return name.startswith("on") or name == "style"


# Cached: nh3 asks keeps_attribute about every attribute when a policy keeps some; a text of
# 50 links under "<a href hreflang> <em>" filters ~1.05x slower without (issue #13).
@lru_cache(maxsize=256)
def _attribute_map(policy: HtmlPolicy) -> dict[str, frozenset[str]]:
    return {tag: frozenset(name for name in names if not _never_kept(name))
            for tag, names in policy.attributes}


@lru_cache(maxsize=256)
def _value_map(policy: HtmlPolicy) -> dict[tuple[str, str], frozenset[str]]:
    return {(tag, name): values for tag, name, values in policy.attribute_values}


def _tokens_allowed(value: str, allowed_tokens: frozenset[str]) -> bool:
    tokens = html.unescape(value).split()
    return bool(tokens) and all(token in allowed_tokens for token in tokens)


# --- one serialization for both engines -------------------------------------

_VOID_START_TAG = re.compile(
    r"<(%s)((?:\s[^>]*)?)>" % "|".join(sorted(VOID_ELEMENTS, key=len, reverse=True)))


def self_close_void_elements(markup: str) -> str:
    """``<br>`` -> ``<br />``, ``<img src="x">`` -> ``<img src="x" />``.

    Only for canonical serializations, where ``<`` and ``>`` inside attribute
    values are escaped, so ``[^>]*`` cannot stop inside a value.
    """
    if "<" not in markup:
        return markup
    return _VOID_START_TAG.sub(r"<\1\2 />", markup)


def escape_text(text: str) -> str:
    """HTML5 serialization of a text node."""
    return (text.replace("&", "&amp;").replace("\xa0", "&nbsp;")
            .replace("<", "&lt;").replace(">", "&gt;"))


def escape_attribute(value: str) -> str:
    """HTML5 serialization of an attribute value (with ``<``/``>`` escaped, as nh3 does)."""
    return (value.replace("&", "&amp;").replace("\xa0", "&nbsp;").replace('"', "&quot;")
            .replace("<", "&lt;").replace(">", "&gt;"))


# --- nh3 ------------------------------------------------------------------------

class Nh3Engine:
    """ammonia via nh3: one reused ``nh3.Cleaner`` per policy (building one costs ~4.5× a clean)."""

    name = "nh3"

    def clean(self, text: str, policy: HtmlPolicy) -> str:
        parts = policy.derived.get("nh3")
        if parts is None:
            parts = policy.derived["nh3"] = (_nh3_cleaner(policy), _allowed_void_start_tag(policy))
        cleaner, void_start_tag = parts
        cleaned = cleaner.clean(split_long_text_runs(text))  # same output, linear time
        if policy.nofollow and "<a " in cleaned:
            # ammonia puts rel wherever its attribute passes leave it; Drupal (and
            # our bleach engine) append it. In canonical output a `"` inside a value
            # is always &quot;, so this pattern only ever matches a real attribute.
            cleaned = _REL_NOT_LAST.sub(r'<a\1\2 rel="nofollow">', cleaned)
        # Only allowed elements are left, so only allowed void ones need rewriting. A
        # search for just their names is ~2x cheaper than the full substitution, which
        # is rarely needed (line breaks come later, from filter_autop).
        if void_start_tag is not None and void_start_tag.search(cleaned):
            return void_start_tag.sub(r"<\1\2 />", cleaned)
        return cleaned


_REL_NOT_LAST = re.compile(r'<a((?: [^>]*?)?) rel="nofollow"( [^>]+)>')


def _allowed_void_start_tag(policy: HtmlPolicy) -> re.Pattern | None:
    """``_VOID_START_TAG`` for the void elements ``policy`` allows; None if it allows none."""
    names = sorted(policy.tags & VOID_ELEMENTS, key=len, reverse=True)
    return re.compile(r"<(%s)((?:\s[^>]*)?)>" % "|".join(names)) if names else None


def _nh3_cleaner(policy: HtmlPolicy) -> nh3.Cleaner:
    # "*": set() because attributes={} would fall back to nh3's defaults (title, lang).
    attributes: dict[str, set[str]] = {"*": set()}
    for tag in policy.tags:
        kept = set(policy.attributes_for(tag))
        if policy.nofollow:
            kept.discard("rel")  # nh3 refuses rel in attributes when link_rel is set
        attributes[tag] = kept

    attribute_filter = None
    if policy.needs_value_checks or policy.nofollow:
        def attribute_filter(tag: str, name: str, value: str) -> str | None:
            if policy.nofollow and tag == "a" and name == "rel":
                return value  # the rel="nofollow" nh3 itself adds
            return value if policy.keeps_attribute(tag, name, value) else None

    return nh3.Cleaner(
        tags=set(policy.tags),
        clean_content_tags=set(),  # a disallowed tag's text is kept, escaped
        attributes=attributes,
        attribute_filter=attribute_filter,
        strip_comments=True,  # pipeline.py promises filter_url markup_free text on this
        link_rel="nofollow" if policy.nofollow else None,
        url_schemes=set(policy.protocols),
    )


# --- bleach ---------------------------------------------------------------------

class BleachEngine:
    """bleach (html5lib): strip disallowed tags, keep their text, then re-serialize canonically."""

    name = "bleach"

    def __init__(self):
        self._per_thread = threading.local()

    def clean(self, text: str, policy: HtmlPolicy) -> str:
        return _canonical_from_bleach(self._cleaner(policy).clean(text))

    def _cleaner(self, policy: HtmlPolicy) -> bleach.sanitizer.Cleaner:
        # bleach's Cleaner keeps parser state: not thread-safe, so one per thread and policy.
        cleaners = getattr(self._per_thread, "cleaners", None)
        if cleaners is None:
            cleaners = self._per_thread.cleaners = {}
        if policy not in cleaners:
            if len(cleaners) >= 64:
                cleaners.clear()
            cleaners[policy] = _bleach_cleaner(policy)
        return cleaners[policy]


class _NofollowFilter(html5lib.filters.base.Filter):
    """Sets rel="nofollow" on every <a>, replacing any rel the author wrote (as Drupal does)."""

    def __iter__(self):
        for token in super().__iter__():
            if token["type"] in ("StartTag", "EmptyTag") and token["name"] == "a":
                attrs = {key: value for key, value in token["data"].items() if key[1] != "rel"}
                attrs[(None, "rel")] = "nofollow"
                token["data"] = attrs
            yield token


def _bleach_cleaner(policy: HtmlPolicy) -> bleach.sanitizer.Cleaner:
    def keep_attribute(tag: str, name: str, value: str) -> bool:
        return policy.keeps_attribute(tag, name, value)

    return bleach.sanitizer.Cleaner(
        tags=set(policy.tags),
        attributes=keep_attribute,
        protocols=set(policy.protocols),
        strip=True,
        strip_comments=True,  # pipeline.py promises filter_url markup_free text on this
        filters=[_NofollowFilter] if policy.nofollow else [],
    )


# bleach writes text with its entities as typed and may single-quote attribute
# values or leave ">" in them; this tokenizes its (well-formed) output to rewrite
# it in the canonical form above. Text never holds a raw "<" in bleach output.
_BLEACH_TOKEN = re.compile(
    r"""(?P<text>[^<]++)"""
    r"""|<(?P<slash>/?)(?P<name>[A-Za-z][A-Za-z0-9]*+)"""
    r"""(?P<attrs>(?:\s++[^\s"'>/=]++(?:=(?:"[^"]*+"|'[^']*+'|[^\s"'>]++))?+)*+)\s*+/?>"""
    r"""|(?P<other><)""")
_BLEACH_ATTR = re.compile(r"""([^\s"'>/=]++)(?:=(?:"([^"]*+)"|'([^']*+)'|([^\s"'>]++)))?+""")


def _canonical_from_bleach(markup: str) -> str:
    if "&" not in markup and "\xa0" not in markup and "=" not in markup:
        return self_close_void_elements(markup)  # no entities, no attributes: already canonical
    out = []
    for token in _BLEACH_TOKEN.finditer(markup):
        if token.group("text") is not None:
            out.append(escape_text(html.unescape(token.group("text"))))
        elif token.group("name") is not None:
            out.append(_canonical_tag(token))
        else:
            out.append("&lt;")
    return self_close_void_elements("".join(out))


def _canonical_tag(token: re.Match) -> str:
    name = token.group("name").lower()
    if token.group("slash"):
        return f"</{name}>"
    parts = [f"<{name}"]
    for attr in _BLEACH_ATTR.finditer(token.group("attrs")):
        value = next((v for v in attr.group(2, 3, 4) if v is not None), "")
        parts.append(f' {attr.group(1).lower()}="{escape_attribute(html.unescape(value))}"')
    return "".join(parts) + ">"


# --- choosing ---------------------------------------------------------------------

ENGINES = {"nh3": Nh3Engine, "bleach": BleachEngine}
_instances: dict[str, object] = {}


def get_engine(name: str | None = None):
    """The engine called ``name``, else ``$MODERATION_SANITIZER``, else nh3."""
    if name is None:
        name = Settings.value_from_env("sanitizer") or DEFAULT_ENGINE
    engine = _instances.get(name)  # a name as created before ("nh3"): every render's case
    if engine is not None:
        return engine
    key = name.strip().lower()
    if key not in ENGINES:
        raise ValueError(
            f"unknown sanitizer engine {name!r} (from the argument or ${ENGINE_ENV_VAR}); "
            f"choose one of: {', '.join(sorted(ENGINES))}")
    if key not in _instances:
        _instances[key] = ENGINES[key]()
    return _instances[key]
