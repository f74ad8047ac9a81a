"""The audit log page: who did what, when, to which comment (the site's audit stream)."""
from __future__ import annotations

import re

from flask import render_template, request

from moderation.api.deps import services
from moderation.dashboard.blueprint import bp
from moderation.dashboard.views_queues import _site

PAGE = 100
SCAN = 5000  # stream entries read at most for one filtered page
STREAM_ID = re.compile(r"[0-9]{1,20}-[0-9]{1,20}")
MODERATOR_PREFIXES = ("user:", "admin-token")


@bp.get("/sites/<site_id>/audit")
def audit(site_id: str):
    site = _site(site_id)
    before = request.args.get("before", "")
    before = before if STREAM_ID.fullmatch(before) else None
    actor_filter = request.args.get("actor", "")[:100].strip()
    people_only = request.args.get("people") == "1"
    events, older = [], None
    store = services().comments
    scanned = 0
    while len(events) < PAGE and scanned < SCAN:
        batch = store.audit_page(site.id, before=before, count=PAGE)
        if not batch:
            older = None
            break
        scanned += len(batch)
        for event in batch:
            before = older = event["id"]
            if _keep(event, actor_filter, people_only):
                events.append({**event, "at": int(event["id"].split("-")[0]) / 1000})
                if len(events) == PAGE:
                    break
    return render_template("dashboard/audit.html", site=site, events=events, older=older,
                           actor_filter=actor_filter, people_only=people_only)


def _keep(event: dict, actor_filter: str, people_only: bool) -> bool:
    actor = event.get("actor", "")
    if people_only and not actor.startswith(MODERATOR_PREFIXES):
        return False
    return not actor_filter or actor_filter.casefold() in actor.casefold()
