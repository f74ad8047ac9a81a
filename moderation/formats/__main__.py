"""Render a comment from stdin: ``python -m moderation.formats [FORMAT_ID] [--report] < comment.txt``.

Prints the rendered HTML on stdout; ``--report`` adds the render report as JSON
on stderr. An unknown format (or an unusable formats file) exits with status 2.
"""
import argparse
import json
import sys

from moderation.formats.pipeline import render
from moderation.formats.registry import FormatConfigError, UnknownFormat, default_format_id


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m moderation.formats",
        description="Render a comment read from stdin with a text format.")
    parser.add_argument("format_id", nargs="?", default=None,
                        help="format id (default: the configured default format)")
    parser.add_argument("--report", action="store_true",
                        help="print the render report as JSON on stderr")
    parser.add_argument("--engine", default=None,
                        help="sanitizer engine: nh3 or bleach (default: $MODERATION_SANITIZER or nh3)")
    args = parser.parse_args(argv)

    text = sys.stdin.buffer.read().decode("utf-8", errors="replace")
    try:
        rendered = render(text, args.format_id or default_format_id(), engine=args.engine)
    except (UnknownFormat, FormatConfigError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    sys.stdout.write(rendered.html if rendered.html.endswith("\n") else rendered.html + "\n")
    if args.report:
        details = {"format_id": rendered.format_id, "format_version": rendered.format_version,
                   **rendered.report.to_dict()}
        print(json.dumps(details, ensure_ascii=False, indent=2), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
