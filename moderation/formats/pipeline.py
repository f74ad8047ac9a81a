"""``render``: run a configured format's filters in order, then the output guard.

Also ``tips`` (the help lines a form prints under the comment field) and
``list_formats`` for the API; both are generated in the registry from the same
filter settings.
"""
from __future__ import annotations

from dataclasses import dataclass

from moderation.formats.engines import get_engine
from moderation.formats.guard import allowlist_from, guard_html
from moderation.formats.normalize import normalize_text
from moderation.formats.protocols import ALLOWED_PROTOCOLS
from moderation.formats.registry import (
    FILTERS, TextFormat, UnknownFormat, format_tips, get_format, list_formats)
from moderation.formats.report import RenderReport
from moderation.formats.text_filter import ANY_MARKUP

__all__ = ["Rendered", "UnknownFormat", "render", "tips", "list_formats"]


@dataclass(frozen=True)
class Rendered:
    """The HTML to publish, what changed on the way, and which format version made it."""

    html: str
    report: RenderReport
    format_id: str
    format_version: str


_plans: dict[tuple[str, str], tuple] = {}


def _plan(text_format: TextFormat):
    """The filter calls and the output allowlist of a format, computed once per version."""
    key = (text_format.id, text_format.version)
    plan = _plans.get(key)
    if plan is None:
        plan = _plans[key] = _build_plan(text_format)
    return plan


def _build_plan(text_format: TextFormat):
    """Each filter's run function with what it prepared from its settings, in order, and the
    guard's allowlist: all from the filters' declarations (text_filter.TextFilter). ``markup``
    follows what the text may hold from one filter to the next."""
    steps = []
    outputs = []
    markup = ANY_MARKUP
    for config in text_format.filters:
        declared = FILTERS[config.id]
        settings = dict(config.settings)
        steps.append((declared.run, declared.prepare(settings, markup)))
        markup = declared.leaves(settings, markup)
        outputs.append(declared.writes(settings))
    return tuple(steps), allowlist_from(outputs, ALLOWED_PROTOCOLS)


def render(text: str, format_id: str = "filtered_html", *, engine=None) -> Rendered:
    """Turn a reader's text into publishable HTML with the format ``format_id``.

    Raises :class:`UnknownFormat` (a ``KeyError``) for an id not in the configuration.
    ``engine`` picks the sanitizer engine (name or object) for ``filter_html``.
    """
    text_format = get_format(format_id)
    engine = engine if hasattr(engine, "clean") else get_engine(engine)  # bad names fail early
    steps, allowlist = _plan(text_format)
    report = RenderReport()
    text = normalize_text(text)
    for run, settings in steps:
        text = run(text, settings, engine, report)
    html = guard_html(text, allowlist, report)
    return _rendered(html, report, text_format.id, text_format.version)


def _rendered(html: str, report: RenderReport, format_id: str, format_version: str) -> Rendered:
    """``Rendered(...)`` without the frozen dataclass's four ``object.__setattr__``
    calls (~1 µs inside a render, where caches are cold); same object."""
    rendered = object.__new__(Rendered)
    rendered.__dict__.update(html=html, report=report, format_id=format_id,
                             format_version=format_version)
    return rendered


def tips(format_id: str) -> list[str]:
    """The help lines for ``format_id``, one per filter, in filter order."""
    return format_tips(get_format(format_id))
