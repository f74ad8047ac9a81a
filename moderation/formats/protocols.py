"""URL schemes a format may link to, and the one rule for reading a URL's scheme.

Every module that checks a URL (the tag filter's engines, the report, the
guard) calls :func:`url_scheme` here, so they can never disagree.
"""
import html
import re
import unicodedata

# Drupal's default `filter_protocols` container parameter, in its order.
ALLOWED_PROTOCOLS = (
    "ftp", "http", "https", "irc", "mailto", "news", "nntp", "rtsp",
    "sftp", "ssh", "tel", "telnet", "webcal",
)

# ASCII white space and controls; for non-ASCII values every Unicode space and
# invisible format character (U+200B, U+FEFF, bidi marks) is removed as well.
# That is stricter than browsers on purpose: "\u200bjavascript:" has no scheme
# for a browser today, but nothing legitimate needs it.
_ASCII_IGNORED = re.compile(r"[\x00-\x20\x7f]+")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")


def url_scheme(value: str) -> str | None:
    """The lower-cased scheme of an attribute value, or None when it is relative.

    Entities are decoded first (``jav&#x61;script:``), then white space and
    control characters are removed (``java\\tscript:``, ``java script:``); a
    value whose first ``:`` comes after a ``/``, ``?`` or ``#`` has no scheme.
    """
    decoded = html.unescape(value) if "&" in value else value
    if decoded.isascii():
        squeezed = _ASCII_IGNORED.sub("", decoded)
    else:
        squeezed = "".join(ch for ch in decoded if not _ignorable_in_scheme(ch))
    match = _SCHEME.match(squeezed)
    return match.group(1).lower() if match else None


def _ignorable_in_scheme(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zs", "Zl", "Zp")


def is_allowed_url(value: str, protocols=ALLOWED_PROTOCOLS) -> bool:
    """True for relative URLs and for URLs whose scheme is in ``protocols``."""
    scheme = url_scheme(value)
    return scheme is None or scheme in protocols
