"""Input normalization applied before any filter (spec: "Before any filter").

Every public filter calls :func:`normalize_text` on its own input, so each is
safe when called alone: ``<\\0scr\\0ipt>`` must not survive as ``<script>``.
"""
import re

# CR is folded into LF first; the class then matches what must go: C0 controls
# other than TAB and LF, and lone surrogates (which cannot be encoded as UTF-8).
_NEEDS_WORK = re.compile("[\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_C0_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]+")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def normalize_text(text: str) -> str:
    """Fold CRLF/CR to LF, drop C0 controls except TAB/LF, replace lone surrogates."""
    if not _NEEDS_WORK.search(text):  # the common case: one C-level scan, no copy
        return text
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _C0_CONTROLS.sub("", text)
    return _LONE_SURROGATE.sub("\ufffd", text)
