"""Drupal's ``Html::decodeEntities``: PHP's ``html_entity_decode`` with
``ENT_QUOTES | ENT_HTML5`` and UTF-8, which ``filter_url`` applies to each match.

It differs from ``html.unescape``: the ``;`` is required, and numeric references
to code points HTML5 does not allow (NUL, most controls, CR, surrogates,
non-characters, beyond U+10FFFF) are left as they are.
"""
import html.entities
import re

_REFERENCE = re.compile(r"&(?:#([0-9]+)|#[xX]([0-9A-Fa-f]+)|([A-Za-z0-9]+));")
_NAMED = {name: value for name, value in html.entities.html5.items() if name.endswith(";")}


def decode_entities(text: str) -> str:
    """``text`` with its character references decoded, as PHP does."""
    if "&" not in text:
        return text
    ampersands = text.count("&")
    if ampersands == text.count("&amp;"):
        # Every "&" starts an "&amp;" (the usual escaped query string), which the
        # pattern matches whole, and "&amp;"s cannot overlap: one C replace.
        return text.replace("&amp;", "&")
    return _REFERENCE.sub(_decoded, text)


def reference_end(text: str, position: int, endpos: int | None = None) -> int:
    """End of the reference at ``position`` (ending by ``endpos``, default the
    end of ``text``) if ``decode_entities`` would decode it, else -1."""
    if text.startswith("&amp;", position, endpos):     # the usual one, without the pattern
        return position + 5
    reference = _REFERENCE.match(text, position, len(text) if endpos is None else endpos)
    return reference.end() if reference and _decoded(reference) != reference.group() else -1


def _decoded(reference: re.Match) -> str:
    decimal, hexadecimal, name = reference.groups()
    if name is not None:
        return _NAMED.get(name + ";", reference.group())
    digits = (decimal if decimal is not None else hexadecimal).lstrip("0") or "0"
    if len(digits) > 7:                     # beyond U+10FFFF in either base
        return reference.group()
    code_point = int(digits, 10 if decimal is not None else 16)
    return chr(code_point) if _html5_allows(code_point) else reference.group()


def _html5_allows(code_point: int) -> bool:
    """PHP's ``unicode_cp_is_allowed`` for HTML5, minus U+000D (which PHP's
    decoder also refuses)."""
    return (0x20 <= code_point <= 0x7E
            or code_point in (0x09, 0x0A, 0x0C)
            or 0xA0 <= code_point <= 0xD7FF
            or (0xE000 <= code_point <= 0x10FFFF
                and (code_point & 0xFFFF) < 0xFFFE
                and not 0xFDD0 <= code_point <= 0xFDEF))
