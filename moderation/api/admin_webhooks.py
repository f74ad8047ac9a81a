"""Admin API for a site's webhooks (admin role): ``/api/v1/admin/sites/{site}/webhooks``.

List, create (the signing secret is shown once), change (URL, events, enabled), delete an
endpoint; rotate its secret (the previous one keeps signing for an overlap); list its deliveries,
newest first, with every try; redeliver one. docs/webhooks.md documents the events, the body and
the signature; docs/api.md lists the endpoints.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from moderation.api.admin_auth import require_admin_access
from moderation.api.deps import iso_time, services
from moderation.problems import Problem, validation_problem
from moderation.store.sites import SITE_ID
from moderation.webhooks.store import (
    DEFAULT_OVERLAP_SECONDS, MAX_OVERLAP_SECONDS, Delivery, Endpoint, WebhookError, WebhookStore,
)

bp = Blueprint("admin_webhooks", __name__, url_prefix="/api/v1/admin/sites/<site_id>/webhooks")
EXTENSION = "moderation.webhooks"


@bp.before_request
def _admins_only():
    site_id = (request.view_args or {}).get("site_id")
    request.environ["moderation.actor"], _account = require_admin_access("admin", site_id)


def webhook_store() -> WebhookStore:
    """The app's webhook store (built on first use, on the store's client)."""
    store = current_app.extensions.get(EXTENSION)
    if store is None:
        store = WebhookStore(services().comments.redis, services().settings.webhook_log_max)
        current_app.extensions[EXTENSION] = store
    return store


def _site_id(site_id: str) -> str:
    if not SITE_ID.fullmatch(site_id) or services().sites.get(site_id) is None:
        raise Problem(404, "Not Found", "No such site.")
    return site_id


def _endpoint(site_id: str, endpoint_id: str) -> Endpoint:
    endpoint = webhook_store().endpoint(_site_id(site_id), endpoint_id)
    if endpoint is None:
        raise Problem(404, "Not Found", "No such webhook endpoint.")
    return endpoint


def _json_object(optional: bool = False) -> dict:
    data = request.get_json(silent=True)
    if data is None and optional and not request.get_data():
        return {}
    if not isinstance(data, dict):
        raise Problem(400, "Bad Request", "Send a JSON object (Content-Type: application/json).",
                      type_slug="malformed-body")
    return data


def endpoint_document(endpoint: Endpoint) -> dict:
    """An endpoint as the API shows it: never a secret."""
    overlapping = endpoint.overlapping()
    return {"id": endpoint.id, "url": endpoint.url, "events": list(endpoint.events), "enabled": endpoint.enabled,
            "description": endpoint.description or None, "created_at": iso_time(endpoint.created_at),
            "updated_at": iso_time(endpoint.updated_at),
            "previous_secret_expires_at": iso_time(endpoint.previous_expires_at) if overlapping else None}


def delivery_document(delivery: Delivery, with_body: bool = False) -> dict:
    document = {
        "id": delivery.id, "endpoint": delivery.endpoint, "event": delivery.event, "event_id": delivery.event_id,
        "comment": delivery.comment or None, "state": delivery.state, "created_at": iso_time(delivery.created_at),
        "next_attempt_at": iso_time(delivery.next_attempt_at), "redelivery_of": delivery.redelivery_of or None,
        "attempt_count": delivery.attempts,
        "attempts": [{"attempt": entry.get("attempt"), "at": iso_time(entry.get("at")), "status": entry.get("status"),
                      "error": entry.get("error") or None, "latency_ms": entry.get("latency_ms"),
                      "response": entry.get("response", ""), "retry_in": entry.get("retry_in")}
                     for entry in delivery.log],
    }
    if with_body:
        document["body"] = delivery.body
    return document


def _invalid(exc: WebhookError) -> Problem:
    return validation_problem([{"pointer": exc.pointer, "detail": str(exc)}], title="Invalid webhook endpoint")


@bp.get("")
def list_webhooks(site_id: str):
    return jsonify({"endpoints": [endpoint_document(endpoint)
                                  for endpoint in webhook_store().endpoints(_site_id(site_id))]})


@bp.post("")
def create_webhook(site_id: str):
    """{"url", "events": [...], "enabled"?, "description"?} -> 201 the endpoint and its ``secret`` (shown once)."""
    site_id, data = _site_id(site_id), _json_object()
    enabled = data.get("enabled", True)
    if not isinstance(enabled, bool):
        raise validation_problem([{"pointer": "/enabled", "detail": "true or false"}], title="Invalid webhook endpoint")
    try:
        endpoint = webhook_store().create_endpoint(site_id, data.get("url"), data.get("events"), enabled=enabled,
                                                   description=data.get("description", ""))
    except WebhookError as exc:
        raise _invalid(exc) from None
    response = jsonify({**endpoint_document(endpoint), "secret": endpoint.secret})
    response.status_code = 201
    return response


@bp.get("/<endpoint_id>")
def show_webhook(site_id: str, endpoint_id: str):
    return jsonify(endpoint_document(_endpoint(site_id, endpoint_id)))


@bp.patch("/<endpoint_id>")
def update_webhook(site_id: str, endpoint_id: str):
    """{"url"?, "events"?, "enabled"?, "description"?}."""
    endpoint, data = _endpoint(site_id, endpoint_id), _json_object()
    if "enabled" in data and not isinstance(data["enabled"], bool):
        raise validation_problem([{"pointer": "/enabled", "detail": "true or false"}], title="Invalid webhook endpoint")
    try:
        updated = webhook_store().update_endpoint(
            site_id, endpoint.id, url=data.get("url") if "url" in data else None,
            events=data.get("events") if "events" in data else None, enabled=data.get("enabled"),
            description=data.get("description") if "description" in data else None)
    except WebhookError as exc:
        raise _invalid(exc) from None
    if updated is None:
        raise Problem(404, "Not Found", "No such webhook endpoint.")
    return jsonify(endpoint_document(updated))


@bp.delete("/<endpoint_id>")
def delete_webhook(site_id: str, endpoint_id: str):
    endpoint = _endpoint(site_id, endpoint_id)
    if not webhook_store().delete_endpoint(site_id, endpoint.id):
        raise Problem(404, "Not Found", "No such webhook endpoint.")
    return "", 204


@bp.post("/<endpoint_id>/rotate")
def rotate_webhook_secret(site_id: str, endpoint_id: str):
    """{"overlap_seconds"?: how long the current secret keeps signing too (default a day)} ->
    the new ``secret`` (shown once)."""
    endpoint, data = _endpoint(site_id, endpoint_id), _json_object(optional=True)
    overlap = data.get("overlap_seconds", DEFAULT_OVERLAP_SECONDS)
    if not isinstance(overlap, int) or isinstance(overlap, bool) or not 0 <= overlap <= MAX_OVERLAP_SECONDS:
        raise validation_problem([{"pointer": "/overlap_seconds", "detail": f"an integer from 0 to {MAX_OVERLAP_SECONDS}"}],
                                 title="Invalid rotation")
    rotated = webhook_store().rotate_secret(site_id, endpoint.id, overlap)
    if rotated is None:
        raise Problem(404, "Not Found", "No such webhook endpoint.")
    return jsonify({**endpoint_document(rotated), "secret": rotated.secret})


@bp.get("/<endpoint_id>/deliveries")
def list_webhook_deliveries(site_id: str, endpoint_id: str):
    """The endpoint's deliveries, newest first (``limit`` ≤ 100, default 50), each with its tries."""
    endpoint = _endpoint(site_id, endpoint_id)
    raw = request.args.get("limit", "50")
    limit = int(raw) if raw.isdigit() else 0
    if not 1 <= limit <= 100:
        raise Problem(400, "Bad Request", "Parameter 'limit' must be an integer from 1 to 100.",
                      type_slug="bad-query-parameter", errors=[{"parameter": "limit", "detail": "1 to 100"}])
    return jsonify({"deliveries": [delivery_document(delivery)
                                   for delivery in webhook_store().deliveries(site_id, endpoint.id, limit)]})


def _delivery(site_id: str, endpoint_id: str, delivery_id: str) -> Delivery:
    endpoint = _endpoint(site_id, endpoint_id)
    delivery = webhook_store().delivery(site_id, delivery_id)
    if delivery is None or delivery.endpoint != endpoint.id:
        raise Problem(404, "Not Found", "No such delivery.")
    return delivery


@bp.get("/<endpoint_id>/deliveries/<delivery_id>")
def show_webhook_delivery(site_id: str, endpoint_id: str, delivery_id: str):
    """One delivery with its tries and the body sent."""
    return jsonify(delivery_document(_delivery(site_id, endpoint_id, delivery_id), with_body=True))


@bp.post("/<endpoint_id>/deliveries/<delivery_id>/redeliver")
def redeliver_webhook(site_id: str, endpoint_id: str, delivery_id: str):
    """A new delivery of the same event and body (``redelivery_of`` the original), sent within a
    dispatch interval -> 202 the new delivery."""
    original = _delivery(site_id, endpoint_id, delivery_id)
    new = webhook_store().redeliver(site_id, original.id)
    if new is None:
        raise Problem(404, "Not Found", "No such delivery.")
    response = jsonify(delivery_document(new))
    response.status_code = 202
    return response
