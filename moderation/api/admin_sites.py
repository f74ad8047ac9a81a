"""Admin API for sites and their keys (admin role): ``/api/v1/admin/sites``.

Create a site, change its name, origins and default format; list its keys (records only),
make a secret or public key (shown once), rotate one (the old key lives ``grace_seconds`` more),
revoke one. docs/api.md documents each endpoint.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from moderation.api.admin_auth import require_admin_access
from moderation.api.deps import iso_time, services
from moderation.api.formats import known_format_ids
from moderation.problems import Problem, validation_problem
from moderation.store.sites import KEY_KINDS, SITE_ID, ApiKey, Site, normalize_origin

bp = Blueprint("admin_sites", __name__, url_prefix="/api/v1/admin/sites")
MAX_GRACE_SECONDS = 30 * 86400


@bp.before_request
def _admins_only():
    site_id = (request.view_args or {}).get("site_id")
    request.environ["moderation.actor"], _account = require_admin_access("admin", site_id)


def _json_object() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Problem(400, "Bad Request", "Send a JSON object (Content-Type: application/json).",
                      type_slug="malformed-body")
    return data


def _site(site_id: str) -> Site:
    site = services().sites.get(site_id) if SITE_ID.fullmatch(site_id) else None
    if site is None:
        raise Problem(404, "Not Found", "No such site.")
    return site


def site_document(site: Site) -> dict:
    return {"id": site.id, "name": site.name, "origins": list(site.origins),
            "default_format": site.default_format or None, "created_at": iso_time(site.created_at)}


def key_document(key: ApiKey) -> dict:
    return {"id": key.id, "kind": key.kind, "label": key.label or None, "created_at": iso_time(key.created_at),
            "expires_at": iso_time(key.expires_at)}


@bp.get("")
def list_sites():
    return jsonify({"sites": [site_document(site) for site in services().sites.all()]})


@bp.post("")
def create_site():
    """{"name", "origins": [...]} -> the site and its secret key (shown once)."""
    data = _json_object()
    name, origins = data.get("name"), data.get("origins", [])
    errors = []
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        errors.append({"pointer": "/name", "detail": "a name of 1 to 100 characters"})
    if not isinstance(origins, list) or not all(isinstance(origin, str) for origin in origins):
        errors.append({"pointer": "/origins", "detail": "a list of http(s) origins"})
    if errors:
        raise validation_problem(errors, title="Invalid site")
    try:
        site, api_key = services().sites.create(name.strip(), origins)
    except ValueError as exc:
        raise validation_problem([{"pointer": "/origins", "detail": str(exc)}], title="Invalid site") from None
    response = jsonify({**site_document(site), "secret_key": api_key})
    response.status_code = 201
    return response


@bp.get("/<site_id>")
def show_site(site_id: str):
    site = _site(site_id)
    return jsonify({**site_document(site), "keys": [key_document(key) for key in services().sites.api_keys(site.id)]})


@bp.patch("/<site_id>")
def update_site(site_id: str):
    """{"name"?, "origins"?: [...], "default_format"?: id or null}: all checked before anything is saved."""
    site, data = _site(site_id), _json_object()
    errors = _site_update_errors(data)
    if errors:
        raise validation_problem(errors, title="Invalid site")
    sites = services().sites
    if "origins" in data:
        sites.set_origins(site.id, data["origins"])
    name = data.get("name")
    default_format = data.get("default_format") or ""
    updated = sites.update(site.id, name=name if "name" in data else None,
                           default_format=default_format if "default_format" in data else None)
    return jsonify(site_document(updated))


def _site_update_errors(data: dict) -> list[dict]:
    errors = []
    if "origins" in data:
        origins = data["origins"]
        try:
            if not isinstance(origins, list) or not all(isinstance(origin, str) for origin in origins):
                raise ValueError("a list of http(s) origins")
            for origin in origins:
                normalize_origin(origin)
        except ValueError as exc:
            errors.append({"pointer": "/origins", "detail": str(exc)})
    default_format = data.get("default_format")
    if default_format and (not isinstance(default_format, str) or default_format not in known_format_ids()):
        errors.append({"pointer": "/default_format", "detail": f"one of {', '.join(sorted(known_format_ids()))}"})
    elif default_format is not None and not isinstance(default_format, str):  # false, 0, [], {}
        errors.append({"pointer": "/default_format", "detail": "a format id or null"})
    name = data.get("name")
    if "name" in data and (not isinstance(name, str) or not name.strip() or len(name) > 100):
        errors.append({"pointer": "/name", "detail": "a name of 1 to 100 characters"})
    return errors


@bp.post("/<site_id>/keys")
def create_key(site_id: str):
    """{"kind": "secret" | "public", "label"?} -> the key (shown once) and its record."""
    site, data = _site(site_id), _json_object()
    kind, label = data.get("kind"), data.get("label", "")
    errors = []
    if not isinstance(kind, str) or kind not in KEY_KINDS:  # a list or an object is not a kind (nor hashable)
        errors.append({"pointer": "/kind", "detail": f"one of {', '.join(KEY_KINDS)}"})
    if not isinstance(label, str):
        errors.append({"pointer": "/label", "detail": "a string"})
    if errors:
        raise validation_problem(errors, title="Invalid key")
    record, api_key = services().sites.create_key(site.id, kind, label)
    response = jsonify({**key_document(record), "key": api_key})
    response.status_code = 201
    return response


@bp.post("/<site_id>/keys/<key_id>/rotate")
def rotate_key(site_id: str, key_id: str):
    """{"grace_seconds"?: how long the old key keeps working (default 0: it stops now)}."""
    site = _site(site_id)
    data = request.get_json(silent=True) or {}
    grace = data.get("grace_seconds", 0) if isinstance(data, dict) else None
    if not isinstance(grace, int) or isinstance(grace, bool) or not 0 <= grace <= MAX_GRACE_SECONDS:
        raise validation_problem([{"pointer": "/grace_seconds", "detail": f"an integer from 0 to {MAX_GRACE_SECONDS}"}],
                                 title="Invalid rotation")
    try:
        record, api_key = services().sites.rotate_key(site.id, key_id, grace)
    except KeyError:
        raise Problem(404, "Not Found", "No such live key.") from None
    return jsonify({**key_document(record), "key": api_key, "old_key_expires_in_seconds": grace})


@bp.delete("/<site_id>/keys/<key_id>")
def revoke_key(site_id: str, key_id: str):
    site = _site(site_id)
    if not services().sites.revoke_key(site.id, key_id):
        raise Problem(404, "Not Found", "No such key.")
    return "", 204
