"""Command line: ``flask --app moderation sites|policy|users|webhooks ...``, ``demo`` and ``doctor``."""
from __future__ import annotations

import json
import os
import secrets
import shlex
import time

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from moderation import diagnostics
from moderation.api.deps import services
from moderation.api.formats import known_format_ids
from moderation.store.sites import PUBLIC_KEY_PREFIX, SITE_ID, hash_api_key
from moderation.cli_users import users_cli
from moderation.cli_webhooks import webhooks_cli
from moderation.policy_cli import policy_cli
from moderation.store.accounts import AccountError

sites_cli = AppGroup("sites", help="Manage the sites allowed to post comments.")
DEMO_SITE_ID = "demo"
DEMO_ADMIN = "demo-admin"
DEMO_EMBED_LABEL = "demo embed"


@sites_cli.command("create")
@click.argument("name")
@click.option("--origin", "origins", multiple=True, help="A browser origin allowed for this site (repeatable).")
@click.option("--with-public-key", is_flag=True, help="Also make a public key for readers' browsers (the embed).")
def create_site(name: str, origins: tuple[str, ...], with_public_key: bool) -> None:
    """Create a site and print its API key (shown once; only its hash is stored)."""
    try:
        site, api_key = services().sites.create(name, list(origins))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--origin") from None
    click.echo(f"site id:  {site.id}")
    click.echo(f"name:     {site.name}")
    click.echo(f"origins:  {' '.join(site.origins) or '(none)'}")
    click.echo(f"API key:  {api_key}")
    if with_public_key:
        click.echo(f"public key: {services().sites.create_key(site.id, 'public', 'browsers')[1]}")


@sites_cli.command("list")
def list_sites() -> None:
    """List sites (ids, names, origins; never keys)."""
    for site in services().sites.all():
        click.echo(f"{site.id}\t{site.name}\t{' '.join(site.origins)}")


def _existing_site(site_id: str):
    site = services().sites.get(site_id) if SITE_ID.fullmatch(site_id) else None
    if site is None:
        raise click.ClickException(f"No such site: {site_id}")
    return site


@sites_cli.command("update")
@click.argument("site_id")
@click.option("--name", default=None, help="A new name.")
@click.option("--origin", "origins", multiple=True, help="Replace the allowed origins (repeatable).")
@click.option("--clear-origins", is_flag=True, help="Allow no browser origin.")
@click.option("--default-format", default=None, help="The format of comments that name none ('' = the service's).")
def update_site(site_id: str, name: str | None, origins: tuple[str, ...], clear_origins: bool,
                default_format: str | None) -> None:
    """Change a site's name, origins or default format."""
    site, sites = _existing_site(site_id), services().sites
    if default_format and default_format not in known_format_ids():
        raise click.BadParameter(f"one of {', '.join(sorted(known_format_ids()))}", param_hint="--default-format")
    try:
        if origins or clear_origins:
            sites.set_origins(site.id, list(origins))
        site = sites.update(site.id, name=name, default_format=default_format)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    click.echo(f"{site.id}\t{site.name}\t{' '.join(site.origins) or '(no origins)'}\t"
               f"default format: {site.default_format or '(service default)'}")


@sites_cli.command("keys")
@click.argument("site_id")
def list_keys(site_id: str) -> None:
    """List a site's live keys (ids, kinds, labels, dates; never the keys)."""
    for key in services().sites.api_keys(_existing_site(site_id).id):
        expires = f"expires {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(key.expires_at))}" if key.expires_at else ""
        click.echo(f"{key.id}\t{key.kind}\t{key.label or '-'}\t"
                   f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(key.created_at))}\t{expires}".rstrip())


@sites_cli.command("key-create")
@click.argument("site_id")
@click.option("--kind", type=click.Choice(["secret", "public"]), default="secret", show_default=True,
              help="secret: for the site's servers; public: for readers' browsers (only from the site's origins).")
@click.option("--label", default="", help="What the key is for.")
def create_key(site_id: str, kind: str, label: str) -> None:
    """Make a key and print it (shown once; only its hash is stored)."""
    record, api_key = services().sites.create_key(_existing_site(site_id).id, kind, label)
    click.echo(f"key id:  {record.id}")
    click.echo(f"{kind} key: {api_key}")


@sites_cli.command("key-rotate")
@click.argument("site_id")
@click.argument("key_id")
@click.option("--grace", default=0, type=click.IntRange(0, 30 * 86400), show_default=True,
              help="Seconds the old key keeps working.")
def rotate_key(site_id: str, key_id: str, grace: int) -> None:
    """Replace a key with a new one of the same kind; print the new key (shown once)."""
    try:
        record, api_key = services().sites.rotate_key(_existing_site(site_id).id, key_id, grace)
    except KeyError:
        raise click.ClickException(f"No such live key: {key_id}") from None
    click.echo(f"key id:  {record.id}")
    click.echo(f"{record.kind} key: {api_key}")
    click.echo(f"the old key {key_id} " + (f"works {grace} s more" if grace else "no longer works"))


@sites_cli.command("key-revoke")
@click.argument("site_id")
@click.argument("key_id")
def revoke_key(site_id: str, key_id: str) -> None:
    """End a key at once."""
    if not services().sites.revoke_key(_existing_site(site_id).id, key_id):
        raise click.ClickException(f"No such key: {key_id}")
    click.echo(f"revoked {key_id}")


@click.command("demo")
@with_appcontext
@click.option("--port", default=lambda: os.environ.get("PORT", "8000"), show_default="$PORT or 8000")
def demo(port: str) -> None:
    """Create (or keep) the demo site; print its API key and a ready-to-paste curl.

    With MODERATION_DEMO_API_KEY set, that key is the demo site's key. Without
    it, a new random key replaces the previous one on every run (the old one is
    stored only as a hash and cannot be shown again).

    Also creates (or resets) the dashboard account demo-admin (admin, every site) with the
    password MODERATION_DEMO_PASSWORD, else a new random one, and prints it.
    """
    svc = services()
    base_url = svc.settings.public_url.rstrip("/") or f"http://127.0.0.1:{port}"
    origins = [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]
    wanted_key = svc.settings.demo_api_key or None
    if svc.sites.get(DEMO_SITE_ID) is None:
        _site, api_key = svc.sites.create("Demo site", origins, api_key=wanted_key, site_id=DEMO_SITE_ID)
    else:
        svc.sites.set_origins(DEMO_SITE_ID, origins)
        api_key = svc.sites.replace_api_key(DEMO_SITE_ID, wanted_key)
    comment = {"thread": "demo-article", "author": {"name": "Ada", "email": "ada@example.org"},
               "body": "Hello <em>world</em>! More at https://example.org/news", "format": "filtered_html"}
    click.echo(f"Demo site id: {DEMO_SITE_ID}")
    click.echo(f"Demo API key: {api_key}")
    click.echo(f"Dashboard: {base_url}/admin/  (user {DEMO_ADMIN}, password {_demo_admin(svc)})")
    if svc.settings.demo_public_key:
        _demo_public_key(svc, svc.settings.demo_public_key)
        click.echo(f"Demo article with the embed (comments and form, one script tag): {base_url}/demo/")
    click.echo("Post a comment:")
    click.echo(f"  curl -sS -X POST {base_url}/api/v1/comments \\\n"
               f"    -H {shlex.quote('Authorization: Bearer ' + api_key)} \\\n"
               f"    -H 'Content-Type: application/json' \\\n"
               f"    -d {shlex.quote(json.dumps(comment))}")
    click.echo("Then read the thread (the worker decides within a moment after the 202: if the list is")
    click.echo("still empty, run it again; the 202's \"url\" shows the comment's own status):")
    click.echo(f"  curl -sS '{base_url}/api/v1/threads/demo-article/comments?site={DEMO_SITE_ID}'")
    if svc.settings.admin_token:
        click.echo("Moderators' queue (comments held for review) and the site's policy, with the admin token:")
        click.echo(f"  curl -sS -H {shlex.quote('Authorization: Bearer ' + svc.settings.admin_token)} \\\n"
                   f"    '{base_url}/api/v1/admin/sites/{DEMO_SITE_ID}/comments?status=pending'")
    click.echo("The command line (another terminal, this checkout; `--help` lists every command):")
    click.echo(f"  scripts/moderation policy show {DEMO_SITE_ID}")
    click.echo("  scripts/moderation sites create 'Evening Post' --origin https://post.example --with-public-key")


def _demo_public_key(svc, wanted: str) -> None:
    """Make ``wanted`` the demo site's public key (label "demo embed"), dropping an older one."""
    if not wanted.startswith(PUBLIC_KEY_PREFIX):
        raise click.ClickException(f"MODERATION_DEMO_PUBLIC_KEY must start with {PUBLIC_KEY_PREFIX}")
    wanted_hash = hash_api_key(wanted)
    keys = [key for key in svc.sites.api_keys(DEMO_SITE_ID) if key.kind == "public" and key.label == DEMO_EMBED_LABEL]
    if any(key.key_hash == wanted_hash for key in keys):
        return
    for key in keys:
        svc.sites.revoke_key(DEMO_SITE_ID, key.id)
    svc.sites.create_key(DEMO_SITE_ID, "public", DEMO_EMBED_LABEL, api_key=wanted)


def _demo_admin(svc) -> str:
    """Create or reset the demo-admin account (admin, every site, enabled); its password."""
    password = svc.settings.demo_password or secrets.token_urlsafe(12)
    try:
        if svc.accounts.get(DEMO_ADMIN) is None:
            svc.accounts.create(DEMO_ADMIN, password, "admin")
        else:
            svc.accounts.update(DEMO_ADMIN, password=password, role="admin", sites=[], disabled=False)
    except AccountError as exc:
        raise click.ClickException(f"MODERATION_DEMO_PASSWORD: {exc}") from None
    return password


@click.command("doctor")
@with_appcontext
def doctor() -> None:
    """Check the deployment: Redis topology, persistence, eviction and memory layout, broker,
    workers, sweeper, queues.

    One line per check (OK, WARN or FAIL) with the fix for anything not OK.
    Exits 1 when a check fails, so it can gate a deploy or feed a cron alert.
    """
    svc = services()
    settings = svc.settings
    client = svc.comments.redis
    checks = [diagnostics.check_redis(client, settings.redis_topology)]
    if checks[0].status == diagnostics.OK:
        checks += [diagnostics.check_persistence(client), diagnostics.check_eviction(client),
                   diagnostics.check_memory_layout(client)]
    checks.append(diagnostics.check_broker(settings, svc.broker))
    if checks[0].status == diagnostics.OK:
        checks += [diagnostics.check_workers(svc.workers, svc.comments, settings.worker_stale_after),
                   diagnostics.check_sweeper(client, settings.sweep_interval),
                   *diagnostics.check_queue_ages(svc.comments, settings.stuck_after)]
    for check in checks:
        click.echo(check.line())
    failed = [check.name for check in checks if check.status == diagnostics.FAIL]
    click.echo(f"{len(checks)} checks: " + (f"{len(failed)} failed ({', '.join(failed)})" if failed else "none failed"))
    if failed:
        raise SystemExit(1)


def init_app(app: Flask) -> None:
    app.cli.add_command(sites_cli)
    app.cli.add_command(policy_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(webhooks_cli)
    app.cli.add_command(demo)
    app.cli.add_command(doctor)
