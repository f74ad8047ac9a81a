"""``filter_html_escape``: display any HTML as plain text (Drupal's Plain text).

Drupal: ``trim(Html::escape($text))``, i.e. ``htmlspecialchars`` with
``ENT_QUOTES`` (existing entities are escaped again) and PHP's ``trim``.
"""
from moderation.formats.normalize import normalize_text
from moderation.formats.text_filter import NO_MARKUP, TextFilter

# PHP trim()'s default character list.  Escaping never creates or removes white
# space, so trimming first gives the same result with less copying.
_PHP_TRIM = " \t\n\r\0\x0b"


def html_escape(text: str) -> str:
    """Drupal's ``Html::escape``: ``& < > " '`` as ``&amp; &lt; &gt; &quot; &#039;``.

    Chained ``str.replace`` runs at C speed, ~1.9 us/KB here against ~53 us/KB
    for ``str.translate`` with multi-character replacements.  ``&`` goes first
    so the entities added by later replacements are not escaped twice.
    """
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#039;"))


def filter_html_escape(text: str) -> str:
    """Escape ``& < > " '`` as ``&amp; &lt; &gt; &quot; &#039;`` and trim."""
    return html_escape(normalize_text(text).strip(_PHP_TRIM))


FILTER = TextFilter(
    id="filter_html_escape",
    settings=(),
    run=lambda text, _prepared, _engine, _report: filter_html_escape(text),
    tip=lambda _settings: "No HTML tags allowed.",
    leaves=lambda _settings, _before: NO_MARKUP,  # every "<" is escaped
)
