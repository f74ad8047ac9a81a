"""Text formats: turn what a reader typed into the HTML we publish.

The public names below are a contract (see docs/text-formats.md and the spec).
"""
from moderation.formats.autop import filter_autop
from moderation.formats.escape import filter_html_escape
from moderation.formats.html_filter import filter_html
from moderation.formats.pipeline import Rendered, render, tips
from moderation.formats.report import RenderReport
from moderation.formats.url_filter import filter_url

__all__ = [
    "filter_html", "filter_url", "filter_autop", "filter_html_escape",
    "render", "tips", "Rendered", "RenderReport",
]
