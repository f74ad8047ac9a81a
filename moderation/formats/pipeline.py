"""``render``: run a configured format's filters in order, then the output guard.

Also ``tips`` (the help lines a form prints under the comment field) and
``list_formats`` for the API; both are generated in the registry from the same
filter settings.
"""
from __future__ import annotations

from dataclasses import dataclass

from moderation.formats.autop import filter_normalized_autop
from moderation.formats.escape import filter_html_escape
from moderation.formats.engines import Nh3Engine, get_engine
from moderation.formats.guard import OutputAllowlist, guard_html, output_allowlist
from moderation.formats.html_filter import filter_normalized_html, parse_allowed_html
from moderation.formats.normalize import normalize_text
from moderation.formats.registry import (
    TextFormat, UnknownFormat, format_tips, get_format, list_formats)
from moderation.formats.report import RenderReport
from moderation.formats.protocols import ALLOWED_PROTOCOLS
from moderation.formats.url_filter import filter_normalized_url

__all__ = ["Rendered", "UnknownFormat", "render", "tips", "list_formats"]


@dataclass(frozen=True)
class Rendered:
    """The HTML to publish, what changed on the way, and which format version made it."""

    html: str
    report: RenderReport
    format_id: str
    format_version: str


def _run_filter_html(text, settings, engine, report):
    # render has normalized the text; the plan holds the parsed policy. The
    # sanitizer decodes character references, which may spell control characters
    # (&#13;), so its output is normalized again for the filters after it.
    flattened_before = report.flattened_tags
    html = filter_normalized_html(text, settings["policy"], engine, report)
    # Except where nh3 cannot have written one: it only decodes references its
    # tokenizer sees, no named reference spells a C0 control (only &Tab; and
    # &NewLine;, which stay) and a Rust string holds no lone surrogate, so without
    # "&#" in the text it was given (the pre-pass only changes it when it flattens
    # tags) its output is as normalized as its input. Saves a pass over the text.
    # ("#" first: one memchr, where a search for "&#" walks the text char by char.)
    if (type(engine) is Nh3Engine and report.flattened_tags == flattened_before
            and ("#" not in text or "&#" not in text)):
        return html
    return normalize_text(html)


def _run_filter_url(text, settings, engine, report):
    return filter_normalized_url(text, settings["max_length"], settings["rel"],
                                 ALLOWED_PROTOCOLS, report, markup_free=settings["markup_free"])


def _run_filter_html_escape(text, settings, engine, report):
    return filter_html_escape(text)


def _run_filter_autop(text, settings, engine, report):
    return filter_normalized_autop(text)


FILTER_RUNNERS = {
    "filter_html": _run_filter_html,
    "filter_url": _run_filter_url,
    "filter_html_escape": _run_filter_html_escape,
    "filter_autop": _run_filter_autop,
}

_plans: dict[tuple[str, str], tuple] = {}


def _plan(text_format: TextFormat):
    """The filter calls and the output allowlist of a format, computed once per version."""
    key = (text_format.id, text_format.version)
    plan = _plans.get(key)
    if plan is None:
        plan = _plans[key] = _build_plan(text_format)
    return plan


# Elements whose insides filter_url leaves alone (it must find them unless the
# text cannot hold them): see filter_normalized_url's markup_free.
_UNLINKED_ELEMENTS = frozenset({"a", "code", "pre", "script", "style"})


def _build_plan(text_format: TextFormat):
    steps = []
    html_policy = None
    markup_free = False  # no comment and no _UNLINKED_ELEMENTS tag in the text so far
    for f in text_format.filters:
        settings = dict(f.settings)
        if f.id == "filter_html":
            html_policy = settings["policy"] = parse_allowed_html(
                settings["allowed_html"], settings["nofollow"])
            # Both engines drop comments (strip_comments in engines.py) and write
            # only the policy's tags.
            markup_free = not html_policy.tags & _UNLINKED_ELEMENTS
        elif f.id == "filter_html_escape":
            markup_free = True  # no tag at all
        elif f.id == "filter_url":
            settings["markup_free"] = markup_free
            markup_free = False  # it writes <a> elements
        elif f.id != "filter_autop":  # autop writes only <p> and <br />; others: no promise
            markup_free = False
        steps.append((FILTER_RUNNERS[f.id], settings))
    autolinks = any(f.id == "filter_url" for f in text_format.filters)
    allowlist: OutputAllowlist = output_allowlist(html_policy, autolinks=autolinks)
    return tuple(steps), allowlist


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
