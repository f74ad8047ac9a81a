"""URL schemes a format may link to, and how to read a URL's scheme safely."""
import html
import re

# Drupal's default `filter_protocols` container parameter, in its order.
ALLOWED_PROTOCOLS = (
    "ftp", "http", "https", "irc", "mailto", "news", "nntp", "rtsp",
    "sftp", "ssh", "tel", "telnet", "webcal",
)

# Browsers ignore ASCII whitespace and C0 controls inside a URL's scheme
# ("java\tscript:"), so they are removed before the scheme is read.
_IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20\x7f]+")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")


def url_scheme(value: str) -> str | None:
    """The lower-cased scheme a browser would see in an attribute value, or None.

    Entities are decoded first (``jav&#x61;script:``); a value whose first ``:``
    comes after a ``/``, ``?`` or ``#`` is relative and has no scheme.
    """
    decoded = _IGNORED_IN_SCHEME.sub("", html.unescape(value))
    match = _SCHEME.match(decoded)
    return match.group(1).lower() if match else None


def is_allowed_url(value: str, protocols=ALLOWED_PROTOCOLS) -> bool:
    """True for relative URLs and for URLs whose scheme is in ``protocols``."""
    scheme = url_scheme(value)
    return scheme is None or scheme in protocols
