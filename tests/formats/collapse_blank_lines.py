"""A filter written for the tests, as a newcomer would add one: its module (this file, the
declaration at the end) plus one line, its entry in ``registry.FILTERS``.

``collapse_blank_lines``: runs of more than ``max_blank_lines`` blank lines become that many.
"""
import re

from moderation.formats.text_filter import TextFilter, integer_at_least

_BLANK_LINES = re.compile(r"\n(?:[ \t]*\n)+")


def collapse_blank_lines(text: str, max_blank_lines: int = 1) -> str:
    def shorten(run: re.Match) -> str:
        blank_lines = run.group(0).count("\n") - 1
        return run.group(0) if blank_lines <= max_blank_lines else "\n" * (max_blank_lines + 1)
    return _BLANK_LINES.sub(shorten, text)


FILTER = TextFilter(
    id="collapse_blank_lines",
    settings=(integer_at_least("max_blank_lines", 1, 1),),
    run=lambda text, settings, _engine, _report: collapse_blank_lines(text, settings["max_blank_lines"]),
    tip=lambda settings: f"At most {settings['max_blank_lines']} blank line(s) in a row are kept.",
    leaves=lambda _settings, before: before,  # only newlines and blanks change: no markup appears
)
