"""``flask --app moderation users ...``: the dashboard's accounts (moderators and admins).

Passwords are never taken as arguments (they would sit in the shell history and in ``ps``):
they are typed at a prompt, read as one line of stdin (``--password-stdin``), or generated
(``--generate``) and printed once.
"""
from __future__ import annotations

import secrets
import sys
from contextlib import contextmanager

import click
from flask.cli import AppGroup

from moderation.api.deps import services
from moderation.store.accounts import ROLES, Account, AccountError

users_cli = AppGroup("users", help="Manage dashboard accounts (moderators and admins).")

site_option = click.option("--site", "sites", multiple=True, metavar="SITE_ID",
                           help="A site the account may see (repeatable; none: every site).")
password_stdin_option = click.option("--password-stdin", is_flag=True, help="Read the password as one line of stdin.")
generate_option = click.option("--generate", is_flag=True, help="Generate a random password and print it once.")


@contextmanager
def _refusals():
    """AccountError -> a one-line error and exit status 1 (no traceback)."""
    try:
        yield
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None


def _account(name: str) -> Account:
    account = services().accounts.get(name.strip().lower())
    if account is None:
        raise click.ClickException(f"No such account: {name}")
    return account


def _checked_sites(site_ids: tuple[str, ...]) -> list[str]:
    for site_id in site_ids:
        if services().sites.get(site_id) is None:
            raise click.BadParameter(f"no site {site_id!r} (see 'sites list')", param_hint="--site")
    return list(dict.fromkeys(site_ids))


def _new_password(password_stdin: bool, generate: bool) -> tuple[str, bool]:
    """The password and whether it was generated (then the caller prints it)."""
    if password_stdin and generate:
        raise click.UsageError("--password-stdin and --generate exclude each other")
    if generate:
        return secrets.token_urlsafe(12), True
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    return click.prompt("Password", hide_input=True, confirmation_prompt=True), False


def _sessions_word(count: int) -> str:
    return f"{count} session" + ("" if count == 1 else "s")


@users_cli.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default="moderator", show_default=True)
@site_option
@password_stdin_option
@generate_option
def create_user(name: str, role: str, sites: tuple[str, ...], password_stdin: bool, generate: bool) -> None:
    """Create an account (admin: policy, users, sites and keys; moderator: the queues)."""
    site_ids = _checked_sites(sites)
    password, generated = _new_password(password_stdin, generate)
    with _refusals():
        account = services().accounts.create(name, password, role, site_ids)
    click.echo(f"created {account.name} ({account.role}, sites: {', '.join(account.sites) or 'all'})")
    if generated:
        click.echo(f"password: {password}  (shown once)")


@users_cli.command("list")
def list_users() -> None:
    """List accounts: name, role, sites, active/disabled, live sessions."""
    accounts = services().accounts
    for account in accounts.all():
        state = "disabled" if account.disabled else "active"
        sessions = _sessions_word(len(accounts.sessions(account.name)))
        click.echo(f"{account.name}\t{account.role}\t{','.join(account.sites) or 'all'}\t{state}\t{sessions}")


@users_cli.command("password")
@click.argument("name")
@password_stdin_option
@generate_option
def change_password(name: str, password_stdin: bool, generate: bool) -> None:
    """Set a new password; every session of the account ends."""
    account = _account(name)
    password, generated = _new_password(password_stdin, generate)
    live = len(services().accounts.sessions(account.name))
    with _refusals():
        services().accounts.update(account.name, password=password)  # revokes the sessions
    click.echo(f"password of {account.name} changed; {_sessions_word(live)} ended")
    if generated:
        click.echo(f"password: {password}  (shown once)")


@users_cli.command("disable")
@click.argument("name")
def disable_user(name: str) -> None:
    """Refuse the account's logins and end its sessions (kept, can be enabled again)."""
    account = _account(name)
    live = len(services().accounts.sessions(account.name))
    services().accounts.update(account.name, disabled=True)  # revokes the sessions
    click.echo(f"disabled {account.name}; {_sessions_word(live)} ended")


@users_cli.command("enable")
@click.argument("name")
def enable_user(name: str) -> None:
    """Let a disabled account log in again."""
    account = _account(name)
    services().accounts.update(account.name, disabled=False)
    click.echo(f"enabled {account.name}")


@users_cli.command("revoke")
@click.argument("name")
def revoke_sessions(name: str) -> None:
    """End every session of the account (it may log in again)."""
    account = _account(name)
    revoked = services().accounts.revoke_sessions(account.name)
    click.echo(f"{account.name}: {_sessions_word(revoked)} ended")


@users_cli.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def delete_user(name: str, yes: bool) -> None:
    """Delete the account and end its sessions."""
    account = _account(name)
    if not yes:
        click.confirm(f"Delete the account {account.name}?", abort=True)
    services().accounts.delete(account.name)
    click.echo(f"deleted {account.name}")


@users_cli.command("set-sites")
@click.argument("name")
@site_option
def set_sites(name: str, sites: tuple[str, ...]) -> None:
    """Set the sites the account may see (no --site: every site)."""
    account = _account(name)
    updated = services().accounts.update(account.name, sites=_checked_sites(sites))
    click.echo(f"{updated.name}: sites {', '.join(updated.sites) or 'all'}")


@users_cli.command("set-role")
@click.argument("name")
@click.argument("role", type=click.Choice(ROLES))
def set_role(name: str, role: str) -> None:
    """Make the account an admin or a moderator."""
    account = _account(name)
    with _refusals():
        updated = services().accounts.update(account.name, role=role)
    click.echo(f"{updated.name}: role {updated.role}")
