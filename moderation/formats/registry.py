"""The format registry: text formats read from configuration (``config/formats.toml``).

A format is an id, a name and an ordered list of filters with settings. The file
is validated as a whole, with errors that name the place and the problem. Each
format gets a ``version``: the first 12 hex digits of the SHA-256 of its filters
and settings (defaults filled in), so a stored comment can say which rules
rendered it and unchanged settings keep their version across restarts.
"""
from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from moderation.formats import autop, escape, html_filter, url_filter
from moderation.formats.text_filter import TextFilter
from moderation.settings import Settings

FORMATS_FILE_ENV_VAR = "MODERATION_FORMATS_FILE"  # Settings.formats_file
DEFAULT_FORMATS_FILE = Path(__file__).resolve().parents[2] / "config" / "formats.toml"

# The filters a format may list, by id: each module's declaration (text_filter.TextFilter).
FILTERS: dict[str, TextFilter] = {
    declared.id: declared for declared in (html_filter.FILTER, escape.FILTER, url_filter.FILTER, autop.FILTER)}

_FORMAT_ID = re.compile(r"[a-z0-9_]{1,64}")
_FORMAT_KEYS = {"id", "name", "default", "filters"}


class FormatConfigError(ValueError):
    """The formats file cannot be used; the message says where and why."""


class UnknownFormat(KeyError):
    """No format has this id."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else "unknown format"


@dataclass(frozen=True)
class FilterConfig:
    """One filter of a format, with every setting present (defaults filled in)."""

    id: str
    settings: tuple[tuple[str, object], ...]

    def setting(self, name: str):
        return dict(self.settings)[name]


@dataclass(frozen=True)
class TextFormat:
    id: str
    name: str
    filters: tuple[FilterConfig, ...]
    default: bool
    version: str


def filter_tip(filter_config: FilterConfig) -> str:
    """The filter's help line (Drupal 7's short tips, the wording of the form we serve)."""
    return FILTERS[filter_config.id].tip(dict(filter_config.settings))


def format_tips(text_format: TextFormat) -> list[str]:
    return [filter_tip(f) for f in text_format.filters]


def list_formats() -> list[dict]:
    """Every configured format for the API: id, name, tips, version, default."""
    return [{"id": fmt.id, "name": fmt.name, "tips": format_tips(fmt),
             "version": fmt.version, "default": fmt.default}
            for fmt in all_formats().values()]


# The formats in use, as (file, formats): read on first use and kept for the life
# of the process, like every other setting (a deployment sets its environment
# before it starts). Looking the variable up on every render cost ~0.6 µs, a
# tenth of a short comment's whole render.
_in_use: tuple[str, dict[str, "TextFormat"]] | None = None


def _read_formats_in_use() -> tuple[str, dict[str, TextFormat]]:
    global _in_use
    path = Settings.value_from_env("formats_file") or str(DEFAULT_FORMATS_FILE)
    try:
        in_use = (path, load_formats(path))
    except FormatConfigError:
        _in_use = None  # nothing in use: the next call reads again
        raise
    _in_use = in_use
    return in_use


def reload_formats() -> dict[str, TextFormat]:
    """Read ``$MODERATION_FORMATS_FILE`` (or ``config/formats.toml``) and that file
    again, and use what they say from now on; returns the formats.

    A broken file raises :class:`FormatConfigError` and leaves nothing in use, so
    the next call tries again.
    """
    return _read_formats_in_use()[1]


def formats_file() -> Path:
    """The formats file in use: ``$MODERATION_FORMATS_FILE`` or ``config/formats.toml``."""
    return Path((_in_use or _read_formats_in_use())[0])


def all_formats() -> dict[str, TextFormat]:
    """Every configured format by id, in file order (read on first use; see
    :func:`reload_formats`)."""
    return (_in_use or _read_formats_in_use())[1]


def get_format(format_id: str) -> TextFormat:
    formats = all_formats()
    try:
        return formats[format_id]
    except (KeyError, TypeError):
        raise UnknownFormat(
            f"unknown text format {format_id!r}; configured formats: {', '.join(formats)}"
        ) from None


def default_format_id() -> str:
    return next(fmt.id for fmt in all_formats().values() if fmt.default)


def load_formats(path: str) -> dict[str, TextFormat]:
    """Read and validate a formats file (the formats in use are kept: see
    :func:`reload_formats`)."""
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as error:
        raise FormatConfigError(f"{path}: cannot read the formats file ({error})") from None
    except tomllib.TOMLDecodeError as error:
        raise FormatConfigError(f"{path}: not valid TOML ({error})") from None
    return parse_formats(data, source=path)


def parse_formats(data: dict, *, source: str = "<formats>") -> dict[str, TextFormat]:
    """Validate parsed TOML data (``{"formats": [...]}``) into formats by id."""
    entries = data.get("formats")
    extra = set(data) - {"formats"}
    if extra:
        raise FormatConfigError(f"{source}: unknown top-level key(s) {sorted(extra)}; "
                                "expected only [[formats]] tables")
    if not isinstance(entries, list) or not entries:
        raise FormatConfigError(f"{source}: no formats defined (expected [[formats]] tables)")
    formats: dict[str, TextFormat] = {}
    for index, entry in enumerate(entries):
        fmt = _parse_format(entry, f"{source}: formats[{index}]")
        if fmt.id in formats:
            raise FormatConfigError(f"{source}: formats[{index}]: duplicate format id {fmt.id!r}")
        formats[fmt.id] = fmt
    defaults = [fmt.id for fmt in formats.values() if fmt.default]
    if len(defaults) > 1:
        raise FormatConfigError(f"{source}: more than one default format: {defaults}")
    if not defaults:  # the first format is the default, as in a one-format file
        first = next(iter(formats.values()))
        formats[first.id] = TextFormat(first.id, first.name, first.filters, True, first.version)
    return formats


def _parse_format(entry, where: str) -> TextFormat:
    if not isinstance(entry, dict):
        raise FormatConfigError(f"{where}: expected a table")
    unknown = set(entry) - _FORMAT_KEYS
    if unknown:
        raise FormatConfigError(f"{where}: unknown key(s) {sorted(unknown)}; "
                                f"allowed: {sorted(_FORMAT_KEYS)}")
    format_id = entry.get("id")
    if not isinstance(format_id, str) or not _FORMAT_ID.fullmatch(format_id):
        raise FormatConfigError(f"{where}: id must be 1-64 of a-z 0-9 _ (got {format_id!r})")
    where = f"{where} ({format_id})"
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise FormatConfigError(f"{where}: name must be a non-empty string")
    default = entry.get("default", False)
    if not isinstance(default, bool):
        raise FormatConfigError(f"{where}: default must be true or false")
    raw_filters = entry.get("filters")
    if not isinstance(raw_filters, list) or not raw_filters:
        raise FormatConfigError(f"{where}: needs at least one [[formats.filters]] entry")
    filters = tuple(_parse_filter(raw, f"{where}: filters[{i}]") for i, raw in enumerate(raw_filters))
    seen = [f.id for f in filters]
    duplicates = sorted({fid for fid in seen if seen.count(fid) > 1})
    if duplicates:
        raise FormatConfigError(f"{where}: filter(s) listed twice: {duplicates}")
    return TextFormat(format_id, name, filters, default, format_version(filters))


def _parse_filter(raw, where: str) -> FilterConfig:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
        raise FormatConfigError(f"{where}: expected a table with a string id")
    filter_id = raw["id"]
    declared = FILTERS.get(filter_id)
    if declared is None:
        raise FormatConfigError(f"{where}: unknown filter {filter_id!r}; known filters: {', '.join(FILTERS)}")
    where = f"{where} ({filter_id})"
    known = {setting.name: setting for setting in declared.settings}
    unknown = sorted(set(raw) - set(known) - {"id"})
    if unknown:
        raise FormatConfigError(f"{where}: unknown setting {unknown[0]!r}; settings: {', '.join(known) or 'none'}")
    settings = declared.defaults()
    for name, setting in known.items():
        if name not in raw:
            continue
        value = raw[name]
        if not setting.accepts(value):
            raise FormatConfigError(f"{where}: {name} must be {setting.description} (got {value!r})")
        problem = setting.problem(value)
        if problem:
            raise FormatConfigError(f"{where}: {problem}")
        settings[name] = value
    return FilterConfig(filter_id, tuple(sorted(settings.items())))


def format_version(filters: tuple[FilterConfig, ...]) -> str:
    """First 12 hex digits of SHA-256 over the filters and settings, canonical JSON."""
    canonical = json.dumps([[f.id, dict(f.settings)] for f in filters],
                           sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]
