"""Admin page: a site's webhook endpoints and their delivery log, with "Redeliver".

The same store and rules as the admin API (``moderation/api/admin_webhooks.py``): a new or
rotated secret is shown once, on the page that made it.
"""
from __future__ import annotations

from flask import Response, render_template, request

from moderation.api.admin_webhooks import webhook_store
from moderation.dashboard.blueprint import admin_only, bp
from moderation.dashboard.views_queues import _site
from moderation.webhooks.store import EVENTS, WebhookError

DELIVERIES_SHOWN = 50
# Overlaps offered when rotating a secret: (seconds, label).
ROTATION_OVERLAPS = ((86400, "previous secret signs 1 day more"), (3600, "previous secret signs 1 hour more"),
                     (7 * 86400, "previous secret signs 7 days more"), (0, "stop the previous secret now"))


@bp.route("/sites/<site_id>/webhooks", methods=["GET", "POST"])
@admin_only
def webhooks_page(site_id: str):
    """Endpoints: add one (its secret shown once), switch on or off, change events, rotate the
    secret, delete. Deliveries of every endpoint, newest first, each with its tries; Redeliver."""
    site = _site(site_id)
    shown_secret = notice = error = None
    if request.method == "POST":
        try:
            shown_secret, notice = _change(site.id, request.form.get("action", ""))
        except (WebhookError, ValueError) as exc:
            error = str(exc)
    store = webhook_store()
    endpoints = store.endpoints(site.id)
    return Response(render_template("dashboard/webhooks.html", site=site, endpoints=endpoints,
                                    deliveries=store.site_deliveries(site.id, DELIVERIES_SHOWN),
                                    urls={endpoint.id: endpoint.url for endpoint in endpoints}, events=EVENTS,
                                    overlaps=ROTATION_OVERLAPS, shown_secret=shown_secret, notice=notice,
                                    error=error),
                    status=422 if error else 200)


def _change(site_id: str, action: str) -> tuple[tuple[str, str] | None, str | None]:
    """Do one form's action: ((endpoint id, secret) when one was made, a notice)."""
    store = webhook_store()
    if action == "create":
        endpoint = store.create_endpoint(site_id, request.form.get("url", ""), request.form.getlist("events"),
                                         description=request.form.get("description", "")[:200])
        return (endpoint.id, endpoint.secret), None
    endpoint_id = request.form.get("endpoint", "")
    if action == "redeliver":
        delivery = store.redeliver(site_id, request.form.get("delivery", ""))
        if delivery is None:
            raise ValueError("no such delivery (or its endpoint is gone)")
        return None, f"Delivery {request.form.get('delivery', '')} will be sent again as {delivery.id}."
    if store.endpoint(site_id, endpoint_id) is None:
        raise ValueError("no such endpoint")
    if action == "update":
        store.update_endpoint(site_id, endpoint_id, events=request.form.getlist("events"),
                              enabled=request.form.get("enabled") == "1")
        return None, f"Endpoint {endpoint_id} saved."
    if action == "rotate":
        raw = request.form.get("overlap", "")
        overlap = int(raw) if raw.isdigit() else -1
        if overlap not in dict(ROTATION_OVERLAPS):
            raise ValueError("pick one of the overlaps offered")
        endpoint = store.rotate_secret(site_id, endpoint_id, overlap)
        if endpoint is None:
            raise ValueError("no such endpoint")
        return (endpoint.id, endpoint.secret), None
    if action == "delete":
        store.delete_endpoint(site_id, endpoint_id)
        return None, f"Endpoint {endpoint_id} deleted."
    raise ValueError(f"unknown action {action!r}")
