"""GET /api/v1/formats: each text format's id, name, help lines (tips) and version.

Reads :func:`moderation.formats.registry.list_formats`, the formats package's
public catalogue; entries may be mappings or objects with those attributes.
"""
from __future__ import annotations

from flask import Blueprint, jsonify

from moderation.api.deps import services
from moderation.formats import registry

bp = Blueprint("formats", __name__, url_prefix="/api/v1/formats")


def _field(entry, name: str):
    return entry[name] if isinstance(entry, dict) else getattr(entry, name)


def format_descriptions() -> list[dict]:
    if not hasattr(registry, "list_formats"):  # older formats package: compose it ourselves
        from moderation.formats import tips
        return [{"id": fmt.id, "name": fmt.name, "tips": tips(fmt.id), "version": fmt.version}
                for fmt in registry.all_formats().values()]
    return [
        {"id": _field(entry, "id"), "name": _field(entry, "name"),
         "tips": list(_field(entry, "tips")), "version": str(_field(entry, "version"))}
        for entry in registry.list_formats()
    ]


def known_format_ids() -> set[str]:
    return {description["id"] for description in format_descriptions()}


@bp.get("")
def list_formats():
    return jsonify({"formats": format_descriptions(), "default": services().settings.default_format})
