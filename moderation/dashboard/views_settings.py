"""Admin pages: a site's policy (with the dry-run replay shown before saving), the sites with
their origins and API keys, the dashboard's accounts, and commenters' data requests."""
from __future__ import annotations

import json

from flask import Response, redirect, render_template, request, url_for


from moderation import data_requests
from moderation.api.deps import services, wake_site
from moderation.api.formats import known_format_ids
from moderation.logs import current_request_id
from moderation.dashboard.blueprint import actor, admin_only, bp, session
from moderation.dashboard.views_queues import _site
from moderation.policy import PolicyError
from moderation.policy.replay import replay
from moderation.store.accounts import ROLES, AccountError

MAX_POLICY_BYTES = 200_000
REPLAY_LIMIT = 2000


# -- policy ---------------------------------------------------------------------------------------
@bp.route("/sites/<site_id>/policy", methods=["GET", "POST"])
@admin_only
def policy_page(site_id: str):
    """GET: the policy as JSON in an editor. POST ``dry_run``: the replay of the site's stored
    comments under the edited policy, shown with the editor; POST ``save``: saved as the next
    version, only when the text is the one the dry run was shown for."""
    site = _site(site_id)
    policies = services().comments.policies
    current = policies.current_uncached(site.id)
    text = json.dumps(current.to_dict(), indent=2, ensure_ascii=False)
    report = errors = None
    saved = request.args.get("saved")
    if request.method == "POST":
        if request.form.get("lists"):  # the lists form: the same policy with these lists, to dry-run
            text = json.dumps(_with_lists(current.to_dict()), indent=2, ensure_ascii=False)
        else:
            text = request.form.get("policy", "")[:MAX_POLICY_BYTES]
        proposed, errors = _parse_policy(text)
        if proposed is not None and request.form.get("save") and request.form.get("reviewed") == _digest(text):
            try:
                policy = policies.save(site.id, proposed, actor(), replace=True)
            except PolicyError as exc:
                errors = exc.errors
            else:
                return redirect(url_for("dashboard.policy_page", site_id=site.id, saved=policy.version))
        if proposed is not None and not errors:
            try:
                report = replay(services().comments, site.id, proposed, limit=REPLAY_LIMIT, replace=True).to_dict()
            except PolicyError as exc:
                errors = exc.errors
    return render_template("dashboard/policy.html", site=site, in_force=current, text=text, report=report,
                           errors=errors, reviewed=_digest(text) if report else "", saved=saved,
                           history=policies.history(site.id, limit=20), lists=LISTS,
                           list_values={key: _list_value(current.to_dict(), key) for key, _label in LISTS})


# The word and commenter lists the policy page edits one entry per line (``section.name``).
LISTS = (("words.banned", "Banned words (rejected)"), ("words.suspect", "Suspect words (held)"),
         ("words.allow", "Allowed words (never match)"), ("commenters.banned", "Banned commenters"),
         ("commenters.trusted", "Trusted commenters"), ("links.banned_domains", "Banned link domains"))


def _list_value(settings: dict, key: str) -> list:
    section, name = key.split(".")
    return settings[section][name]


def _with_lists(settings: dict) -> dict:
    """The settings with each list replaced by the form's lines (blank lines dropped)."""
    for key, _label in LISTS:
        section, name = key.split(".")
        lines = request.form.get(key.replace(".", "__"), "")[:MAX_POLICY_BYTES].splitlines()
        settings[section][name] = [line.strip() for line in lines if line.strip()]
    return settings


def _parse_policy(text: str) -> tuple[dict | None, list[dict] | None]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        return None, [{"pointer": "/", "detail": f"not JSON: {exc}"}]
    if not isinstance(data, dict):
        return None, [{"pointer": "/", "detail": "must be a JSON object"}]
    return data, None


def _digest(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:16]


# -- sites, origins and keys ----------------------------------------------------------------------
@bp.route("/sites", methods=["GET", "POST"])
@admin_only
def sites_page():
    """Sites: create; edit name, origins and default format; make, rotate (with a grace period)
    and revoke secret and public keys. A new key is shown once, on the page that made it."""
    shown_key = error = None
    if request.method == "POST":
        try:
            shown_key = _change_site(request.form.get("action", ""))
        except (ValueError, KeyError) as exc:
            error = str(exc).strip("'")
    sites = services().sites
    rows = [{"site": site, "api_keys": sites.api_keys(site.id)} for site in sites.all()]
    return Response(render_template("dashboard/sites.html", rows=rows, shown_key=shown_key, error=error,
                                    formats=sorted(known_format_ids()), graces=ROTATION_GRACES),
                    status=422 if error else 200)


# Grace periods offered when rotating a key: (seconds, label).
ROTATION_GRACES = ((0, "stop the old key now"), (3600, "old key works 1 hour more"),
                   (86400, "old key works 1 day more"), (7 * 86400, "old key works 7 days more"))


def _change_site(action: str) -> tuple[str, str, str] | None:
    """Do one form's action; (site id, kind, key) when a key was made."""
    sites = services().sites
    origins = request.form.get("origins", "").split()
    if action == "create":
        name = request.form.get("name", "").strip()[:100]
        if not name:
            raise ValueError("give the site a name")
        site, api_key = sites.create(name, origins)
        return site.id, "secret", api_key
    site = _site(request.form.get("site", ""))
    if action == "settings":
        default_format = request.form.get("default_format", "")
        if default_format and default_format not in known_format_ids():
            raise ValueError(f"unknown format {default_format!r}")
        sites.set_origins(site.id, origins)
        sites.update(site.id, name=request.form.get("name") or None, default_format=default_format)
        return None
    if action in ("secret", "public"):
        _record, api_key = sites.create_key(site.id, action, request.form.get("label", "")[:100])
        return site.id, action, api_key
    key_id = request.form.get("key", "")
    if action == "rotate":
        grace = int(request.form.get("grace", "0")) if request.form.get("grace", "0").isdigit() else 0
        if grace not in dict(ROTATION_GRACES):
            raise ValueError("pick one of the grace periods offered")
        record, api_key = sites.rotate_key(site.id, key_id, grace)
        return site.id, record.kind, api_key
    if action == "revoke":
        if not sites.revoke_key(site.id, key_id):
            raise KeyError("no such key")
        return None
    raise ValueError(f"unknown action {action!r}")


# -- accounts -------------------------------------------------------------------------------------
@bp.route("/users", methods=["GET", "POST"])
@admin_only
def users_page():
    accounts = services().accounts
    error = done = None
    if request.method == "POST":
        action, name = request.form.get("action", ""), request.form.get("name", "").strip().lower()[:64]
        try:
            done = _change_account(action, name)
        except AccountError as exc:
            error = str(exc)
    rows = [{"account": account, "sessions": len(accounts.sessions(account.name))} for account in accounts.all()]
    return Response(render_template("dashboard/users.html", rows=rows, roles=ROLES, error=error, done=done,
                                    sites=services().sites.all()), status=422 if error else 200)


def _change_account(action: str, name: str) -> str:
    accounts = services().accounts
    if action == "create":
        sites = [site for site in request.form.getlist("sites") if services().sites.get(site)]
        accounts.create(name, request.form.get("password", ""), request.form.get("role", ""), sites)
        return f"Created {name}."
    if name == session().account.name and action in ("delete", "disable"):
        raise AccountError("You cannot disable or delete your own account here.")
    if accounts.get(name) is None:
        raise AccountError(f"No account named {name!r}.")
    if action == "disable":
        accounts.update(name, disabled=True)
    elif action == "enable":
        accounts.update(name, disabled=False)
    elif action == "revoke":
        return f"Ended {accounts.revoke_sessions(name)} session(s) of {name}."
    elif action == "delete":
        accounts.delete(name)
    elif action == "password":
        accounts.update(name, password=request.form.get("password", ""))
    else:
        raise AccountError(f"Unknown action {action!r}.")
    return f"{action.capitalize()}: {name}."


# -- data requests --------------------------------------------------------------------------------
@bp.route("/data-requests", methods=["GET", "POST"])
@admin_only
def data_requests_page():
    """Export (a JSON download) or erase what is held about one e-mail address, on every site."""
    store = services().comments
    result = error = None
    if request.method == "POST":
        email = request.form.get("email", "").strip()[:254]
        if "@" not in email:
            error = "Give an e-mail address."
        elif request.form.get("action") == "export":  # audited in each site's log
            document = data_requests.export(store, [site.id for site in services().sites.all()], email, actor())
            body = json.dumps(document, indent=2, ensure_ascii=False)
            return Response(body, mimetype="application/json", headers={
                "Content-Disposition": 'attachment; filename="data-request.json"'})
        elif request.form.get("action") == "erase":
            if request.form.get("confirm", "").strip().lower() != email.lower():
                error = "Type the address again to confirm the erasure."
            else:
                try:
                    result = [(site, _erase(site.id, email)) for site in services().sites.all()]
                except (ValueError, data_requests.ErasureConflict) as exc:
                    error = f"{exc} Nothing else was left half done: run it again."

        else:
            error = "Unknown action."
    return Response(render_template("dashboard/data_requests.html", result=result, error=error),
                    status=422 if error else 200)




def _erase(site_id: str, email: str) -> data_requests.ErasureReport:
    """Erase on one site; comments being decided meanwhile are sent back to a worker at once."""
    celery = services().celery
    return data_requests.erase(services().comments, site_id, email, actor(),
                               wake=lambda site: wake_site(celery, site), request_id=current_request_id.get(""))
