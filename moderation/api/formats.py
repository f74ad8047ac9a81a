"""GET /api/v1/formats: each text format's id, name, help lines (tips) and version.

A thin view over the formats package's catalogue,
:func:`moderation.formats.registry.list_formats`.
"""
from __future__ import annotations

from flask import Blueprint, jsonify

from moderation.api.deps import services
from moderation.formats import registry

bp = Blueprint("formats", __name__, url_prefix="/api/v1/formats")


def format_descriptions() -> list[dict]:
    return [{"id": entry["id"], "name": entry["name"], "tips": list(entry["tips"]),
             "version": str(entry["version"])} for entry in registry.list_formats()]


def known_format_ids() -> set[str]:
    return set(registry.all_formats())


def default_format_id() -> str:
    """MODERATION_DEFAULT_FORMAT, or else the formats file's default."""
    return services().settings.default_format or registry.default_format_id()


@bp.get("", provide_automatic_options=False)
def list_formats():
    """Public, the same for everyone: any page may read it (the embed prints the help lines)."""
    response = jsonify({"formats": format_descriptions(), "default": default_format_id()})
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
