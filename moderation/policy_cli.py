"""``flask --app moderation policy show|set|versions|replay``: a site's moderation policy."""
from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup

from moderation.api.deps import services
from moderation.policy import PolicyError
from moderation.policy.replay import replay

policy_cli = AppGroup("policy", help="Read, change and dry-run a site's moderation policy.")


def _site(site_id: str) -> str:
    if services().sites.get(site_id) is None:
        raise click.BadParameter(f"no site {site_id!r} (see 'sites list')", param_hint="SITE")
    return site_id


def _load(source: str) -> dict:
    text = sys.stdin.read() if source == "-" else open(source, encoding="utf-8").read()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="FILE") from None
    if not isinstance(data, dict):
        raise click.BadParameter("must hold a JSON object", param_hint="FILE")
    return data


def _refused(exc: PolicyError) -> click.ClickException:
    return click.ClickException("the policy is not valid:\n" + "\n".join(
        f"  {error['pointer']}: {error['detail']}" for error in exc.errors))


@policy_cli.command("show")
@click.argument("site_id", metavar="SITE")
def show(site_id: str) -> None:
    """Print the site's policy in force (JSON) and its version."""
    policy = services().comments.policies.current_uncached(_site(site_id))
    click.echo(json.dumps({"version": policy.version, "settings": policy.to_dict()}, indent=2, ensure_ascii=False))


@policy_cli.command("set")
@click.argument("site_id", metavar="SITE")
@click.argument("source", metavar="FILE", default="-")
@click.option("--replace", is_flag=True, help="Start from the defaults file instead of the current policy.")
@click.option("--actor", default="cli", show_default=True, help="Who changes it (audited).")
def set_policy(site_id: str, source: str, replace: bool, actor: str) -> None:
    """Save FILE's settings (JSON, '-' for stdin) as the site's next policy version."""
    try:
        policy = services().comments.policies.save(_site(site_id), _load(source), actor, replace=replace)
    except PolicyError as exc:
        raise _refused(exc) from None
    click.echo(f"saved {policy.version}")


@policy_cli.command("versions")
@click.argument("site_id", metavar="SITE")
def versions(site_id: str) -> None:
    """List the site's saved policy versions, newest first."""
    for entry in services().comments.policies.history(_site(site_id)):
        click.echo(f"v{entry['version']}\t{entry['updated_at']}\t{entry['updated_by']}")


@policy_cli.command("replay")
@click.argument("site_id", metavar="SITE")
@click.argument("source", metavar="FILE", default="-")
@click.option("--replace", is_flag=True, help="Start from the defaults file instead of the current policy.")
@click.option("--limit", default=5000, show_default=True, help="At most this many stored comments.")
def replay_command(site_id: str, source: str, replace: bool, limit: int) -> None:
    """Dry run: decide stored comments again under FILE's proposed settings; change nothing."""
    changes = _load(source)
    store = services().comments
    with click.progressbar(length=limit, label="replaying", file=sys.stderr) as bar:
        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(1)
        try:
            report = replay(store, _site(site_id), changes, limit=limit, replace=replace, progress=progress)
        except PolicyError as exc:
            raise _refused(exc) from None
    click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
