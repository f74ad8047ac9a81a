"""``flask --app moderation webhooks ...``: a site's webhook endpoints (docs/webhooks.md).

``create`` and ``rotate`` print the signing secret once (only the service and the receiver
hold it); ``list`` shows the endpoints and their last deliveries, never a secret.
"""
from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from moderation.api.admin_webhooks import webhook_store
from moderation.api.deps import services
from moderation.store.sites import SITE_ID
from moderation.webhooks.store import DEFAULT_OVERLAP_SECONDS, EVENTS, MAX_OVERLAP_SECONDS, WebhookError

webhooks_cli = AppGroup("webhooks", help="Manage a site's webhook endpoints (signed event notifications).")


def _site_id(site_id: str) -> str:
    if not SITE_ID.fullmatch(site_id) or services().sites.get(site_id) is None:
        raise click.ClickException(f"No such site: {site_id}")
    return site_id


def _when(epoch_seconds: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch_seconds)) if epoch_seconds else "-"


@webhooks_cli.command("create")
@click.argument("site_id")
@click.argument("url")
@click.option("--event", "events", multiple=True, type=click.Choice(["*", *EVENTS]),
              help="An event to send (repeatable; none or '*': every event).")
@click.option("--description", default="", help="What the endpoint is for.")
@click.option("--disabled", is_flag=True, help="Create it switched off.")
def create(site_id: str, url: str, events: tuple[str, ...], description: str, disabled: bool) -> None:
    """Add an endpoint and print its signing secret (shown once)."""
    try:
        endpoint = webhook_store().create_endpoint(_site_id(site_id), url, list(events) if events else "*",
                                                   enabled=not disabled, description=description)
    except WebhookError as exc:
        raise click.BadParameter(str(exc), param_hint=exc.pointer.strip("/")) from None
    click.echo(f"endpoint id: {endpoint.id}")
    click.echo(f"url:         {endpoint.url}")
    click.echo(f"events:      {' '.join(endpoint.events)}")
    click.echo(f"secret:      {endpoint.secret}")


@webhooks_cli.command("list")
@click.argument("site_id")
def list_endpoints(site_id: str) -> None:
    """The site's endpoints (never a secret), each with its last deliveries."""
    store = webhook_store()
    endpoints = store.endpoints(_site_id(site_id))
    if not endpoints:
        click.echo("(no webhook endpoint)")
    for endpoint in endpoints:
        overlap = f"\tprevious secret signs until {_when(endpoint.previous_expires_at)}" if endpoint.overlapping() else ""
        click.echo(f"{endpoint.id}\t{'enabled' if endpoint.enabled else 'disabled'}\t{endpoint.url}\t"
                   f"{','.join(endpoint.events)}{overlap}")
        for delivery in store.deliveries(site_id, endpoint.id, limit=5):
            last = delivery.log[-1] if delivery.log else {}
            outcome = last.get("status") or last.get("error") or "-"
            click.echo(f"  {delivery.id}\t{delivery.event}\t{delivery.state}\t{delivery.attempts} tries\t"
                       f"{_when(delivery.created_at)}\t{outcome}")


@webhooks_cli.command("rotate")
@click.argument("site_id")
@click.argument("endpoint_id")
@click.option("--overlap", default=DEFAULT_OVERLAP_SECONDS, type=click.IntRange(0, MAX_OVERLAP_SECONDS),
              show_default=True, help="Seconds the current secret keeps signing too.")
def rotate(site_id: str, endpoint_id: str, overlap: int) -> None:
    """Give the endpoint a new secret and print it (shown once)."""
    endpoint = webhook_store().rotate_secret(_site_id(site_id), endpoint_id, overlap)
    if endpoint is None:
        raise click.ClickException(f"No such endpoint: {endpoint_id}")
    click.echo(f"secret:      {endpoint.secret}")
    click.echo("the previous secret " + (f"signs too until {_when(endpoint.previous_expires_at)}" if overlap
                                         else "no longer signs"))


@webhooks_cli.command("delete")
@click.argument("site_id")
@click.argument("endpoint_id")
def delete(site_id: str, endpoint_id: str) -> None:
    """Delete an endpoint and its delivery log."""
    if not webhook_store().delete_endpoint(_site_id(site_id), endpoint_id):
        raise click.ClickException(f"No such endpoint: {endpoint_id}")
    click.echo(f"deleted {endpoint_id}")
