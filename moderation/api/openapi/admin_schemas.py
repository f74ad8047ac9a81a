"""The admin API's schemas: policy, the moderators' view of a comment, sites and keys, webhooks."""
from __future__ import annotations

from moderation.api.admin_sites import MAX_GRACE_SECONDS
from moderation.api.openapi.schemas import (
    NULLABLE_STRING, NULLABLE_TIME, STATES, STRING, STRING_MAP, TIME, nullable, obj, ref,
)
from moderation.moderator_actions import REJECT_REASONS
from moderation.policy.model import MODES
from moderation.webhooks.store import EVENTS, MAX_DESCRIPTION, MAX_OVERLAP_SECONDS, MAX_URL

MODERATOR_REASONS = list(REJECT_REASONS)

NUMBER_OR_TEXT = {"type": ["number", "string"]}
SETTING_SECTIONS = ("commenters", "words", "links", "active_content", "threats", "personal_data", "spam_phrases",
                    "spam_model", "copies", "spam_provider", "classifier", "privacy", "reports")


def _policy() -> dict:
    section = {"type": "object", "description": "docs/moderation.md lists its settings"}
    settings = obj({"mode": {"enum": list(MODES)}, "languages": {"type": "array", "items": STRING},
                    "threads": {"type": "object", "additionalProperties": {"enum": ["pre", "closed"]}},
                    **{name: section for name in SETTING_SECTIONS}},
                   description="A site's moderation settings (config/policy.toml holds the defaults).")
    document = obj({"version": {**STRING, "description": "v<n>, or default-<digest> before any save"},
                    "is_default": {"type": "boolean"}, "settings": ref("PolicySettings")},
                   ["version", "is_default", "settings"])
    version = obj({"version": STRING, "settings": {"type": ["object", "array"]}, "updated_at": NUMBER_OR_TEXT,
                   "updated_by": STRING}, ["version", "settings", "updated_at", "updated_by"])
    replay_request = obj({"policy": {"type": ["object", "null"], "description": "changes to the current policy"},
                          "replace": {"type": ["boolean", "null"], "description": "lay them over the defaults instead"},
                          "limit": {"type": ["integer", "null"], "minimum": 1, "maximum": 5000,
                                    "description": "how many stored comments to decide again (default 50)"}})
    count_map = STRING_MAP
    replay = obj({"current_version": STRING, "proposed_digest": STRING, "compared": {"type": "integer"},
                  "changed": {"type": "integer"}, "unchanged": {"type": "integer"}, "directions": count_map,
                  "codes_added": count_map, "codes_removed": count_map, "moderated": {"type": "integer"},
                  "agrees_with_moderators": count_map, "samples": {"type": "object"}, "skipped": {"type": "integer"}},
                 ["current_version", "proposed_digest", "compared", "changed", "unchanged", "directions",
                  "codes_added", "codes_removed", "moderated", "agrees_with_moderators", "samples", "skipped"],
                 "A dry run's findings: nothing was changed.")
    return {"PolicySettings": settings, "PolicyDocument": document, "PolicyVersion": version,
            "PolicyVersions": obj({"versions": {"type": "array", "items": ref("PolicyVersion")}}, ["versions"]),
            "ReplayRequest": replay_request, "ReplayReport": replay}


def _admin_comment() -> dict:
    reports = obj({"count": {"type": "integer"}, "reasons": {"type": ["object", "array"]},
                   "notes": {"type": "array", "items": {"type": "object"}}, "reported_at": NULLABLE_TIME,
                   "hidden_at": NULLABLE_TIME}, ["count", "reasons", "notes", "reported_at", "hidden_at"])
    author = obj({"name": STRING, "name_html": STRING, "email": NULLABLE_STRING}, ["name", "name_html", "email"])
    client = obj({"ip": NULLABLE_STRING, "user_agent": NULLABLE_STRING, "referrer": NULLABLE_STRING},
                 ["ip", "user_agent", "referrer"])
    fields = {
        "id": STRING, "site": STRING, "status": {"enum": STATES}, "thread": STRING, "thread_url": NULLABLE_STRING,
        "thread_title": NULLABLE_STRING, "parent": NULLABLE_STRING, "seq": {"type": "integer"}, "author": author,
        "client": client, "body": {**STRING, "description": "the raw text: escape it to show it"}, "format": STRING,
        "html": NULLABLE_STRING, "findings": {"type": "array", "items": ref("Finding")},
        "score": nullable({"type": "number"}), "classifier": NULLABLE_STRING, "render_report": {"type": "object"},
        "policy_version": NULLABLE_STRING, "format_version": NULLABLE_STRING, "attempts": {"type": "integer"},
        "created_at": TIME, "decided_at": NULLABLE_TIME, "moderated_by": NULLABLE_STRING,
        "moderation_reason": NULLABLE_STRING, "moderated_at": NULLABLE_TIME, "failure": NULLABLE_STRING,
        "reports": reports,
    }
    comment = obj(fields, list(fields), "A comment with everything a moderator needs.")
    history_entry = obj({"at": NUMBER_OR_TEXT, "from": STRING, "to": STRING, "actor": STRING, "detail": STRING,
                         "request_id": STRING}, ["at", "from", "to", "actor"])
    detailed = {"allOf": [ref("AdminComment"),
                          obj({"history": {"type": "array", "items": ref("HistoryEntry")}}, ["history"])]}
    page = obj({"site": STRING, "status": {"enum": STATES}, "counts": {"type": "object"},
                "comments": {"type": "array", "items": ref("AdminComment")}, "next_cursor": NULLABLE_STRING},
               ["site", "status", "counts", "comments", "next_cursor"])
    action = obj({"action": {"enum": ["approve", "reject", "spam", "hold", "take_down"]},
                  "reason": {"enum": MODERATOR_REASONS, "description": "needed to reject or take down"},
                  "note": STRING}, ["action"])
    acted = obj({"outcome": {"enum": ["changed", "unchanged"]}, "comment": ref("AdminComment")}, ["outcome", "comment"])
    commenter = obj({"action": {"enum": ["ban", "unban", "trust", "untrust"]},
                     "entry": {**STRING, "description": "e-mail, @domain, IP or network (ban only)"},
                     "comment": {**STRING, "description": "instead of entry: that comment's author"}}, ["action"])
    lists = obj({"version": STRING, "commenters": {"type": "object"}}, ["version", "commenters"])
    return {"AdminComment": comment, "HistoryEntry": history_entry, "AdminCommentDetail": detailed,
            "AdminCommentPage": page, "ModeratorAction": action, "ModeratorActionResult": acted,
            "CommenterChange": commenter, "CommenterLists": lists}


def _sites() -> dict:
    origins = {"type": "array", "items": {"type": "string", "pattern": "^https?://",
                                          "description": "an http(s) origin"}}
    site = obj({"id": STRING, "name": STRING, "origins": origins, "default_format": NULLABLE_STRING,
                "created_at": TIME}, ["id", "name", "origins", "default_format", "created_at"])
    key = obj({"id": STRING, "kind": {"enum": ["secret", "public"]}, "label": NULLABLE_STRING, "created_at": TIME,
               "expires_at": {**NULLABLE_TIME, "description": "set while a rotation's grace period runs"}},
              ["id", "kind", "label", "created_at", "expires_at"], "A key's record: never the key itself.")
    shown = {"type": "string", "description": "shown once: store it now"}
    return {
        "Site": site, "SiteList": obj({"sites": {"type": "array", "items": ref("Site")}}, ["sites"]),
        "SiteCreate": obj({"name": {"type": "string", "minLength": 1, "maxLength": 100}, "origins": origins},
                          ["name"]),
        "SiteCreated": {"allOf": [ref("Site"), obj({"secret_key": shown}, ["secret_key"])]},
        "SiteWithKeys": {"allOf": [ref("Site"), obj({"keys": {"type": "array", "items": ref("ApiKey")}}, ["keys"])]},
        "SiteUpdate": obj({"name": {"type": "string", "minLength": 1, "maxLength": 100}, "origins": origins,
                           "default_format": nullable({"type": "string"})}),
        "ApiKey": key,
        "KeyCreate": obj({"kind": {"enum": ["secret", "public"]},
                          "label": {"type": "string", "description": "its first 100 characters are kept"}}, ["kind"]),
        "KeyCreated": {"allOf": [ref("ApiKey"), obj({"key": shown}, ["key"])]},
        "KeyRotate": obj({"grace_seconds": {"type": "integer", "minimum": 0, "maximum": MAX_GRACE_SECONDS,
                                            "description": "how long the old key keeps working (default 0)"}}),
        "KeyRotated": {"allOf": [ref("ApiKey"), obj({"key": shown, "old_key_expires_in_seconds": {"type": "integer"}},
                                                   ["key", "old_key_expires_in_seconds"])]},
    }


def _webhooks() -> dict:
    events = {"anyOf": [{"type": "array", "minItems": 1, "items": {"enum": [*EVENTS, "*"]}}, {"const": "*"}],
              "description": "event names, or [\"*\"] (or \"*\"): every event"}
    endpoint = obj({"id": STRING, "url": STRING, "events": {"type": "array", "items": {"enum": list(EVENTS)}},
                    "enabled": {"type": "boolean"}, "description": NULLABLE_STRING, "created_at": TIME,
                    "updated_at": TIME, "previous_secret_expires_at": NULLABLE_TIME},
                   ["id", "url", "events", "enabled", "description", "created_at", "updated_at",
                    "previous_secret_expires_at"], "A webhook endpoint: never its secret.")
    secret = {"type": "string", "description": "whsec_…, shown once"}
    fields = {"attempt": nullable({"type": "integer"}), "at": NULLABLE_TIME, "status": nullable({"type": "integer"}),
              "error": NULLABLE_STRING, "latency_ms": nullable({"type": "number"}),
              "response": {**STRING, "description": "the first 500 bytes of the answer"},
              "retry_in": nullable({"type": "number"})}
    attempt = obj(fields, list(fields), "One try: its status code or error, and the wait before the next.")
    delivery = obj({"id": STRING, "endpoint": STRING, "event": STRING, "event_id": STRING, "comment": NULLABLE_STRING,
                    "state": {"enum": ["pending", "delivered", "failed"]}, "created_at": TIME,
                    "next_attempt_at": NULLABLE_TIME, "redelivery_of": NULLABLE_STRING,
                    "attempt_count": {"type": "integer"},
                    "attempts": {"type": "array", "items": ref("DeliveryAttempt")},
                    "body": {**STRING, "description": "one delivery only: the JSON body sent (a WebhookEvent)"}},
                   ["id", "endpoint", "event", "event_id", "comment", "state", "created_at", "next_attempt_at",
                    "redelivery_of", "attempt_count", "attempts"])
    url = {"type": "string", "format": "uri", "maxLength": MAX_URL, "pattern": "^https?://[^\\s/?#@]+(/[^\\s#]*)?$",
           "description": "http(s), a host, no credentials, no #fragment"}
    change = {"url": url, "events": events, "enabled": {"type": "boolean"},
              "description": {"type": ["string", "null"], "maxLength": MAX_DESCRIPTION}}
    return {
        "WebhookEndpoint": endpoint,
        "WebhookEndpointList": obj({"endpoints": {"type": "array", "items": ref("WebhookEndpoint")}}, ["endpoints"]),
        "WebhookEndpointCreate": obj(change, ["url", "events"]),
        "WebhookEndpointUpdate": obj({**change, "url": nullable(url), "events": {"anyOf": [events, {"type": "null"}]}},
                                     description="Only what is sent changes (a null url or events: unchanged)."),
        "WebhookEndpointWithSecret": {"allOf": [ref("WebhookEndpoint"), obj({"secret": secret}, ["secret"])]},
        "WebhookRotate": obj({"overlap_seconds": {"type": "integer", "minimum": 0, "maximum": MAX_OVERLAP_SECONDS,
                                                  "description": "how long the old secret signs too (default 86400)"}}),
        "DeliveryAttempt": attempt, "WebhookDelivery": delivery,
        "WebhookDeliveryList": obj({"deliveries": {"type": "array", "items": ref("WebhookDelivery")}}, ["deliveries"]),
        "WebhookEvent": _webhook_event(),
    }


def _webhook_event() -> dict:
    comment = obj({"id": STRING, "status": {"enum": STATES}, "thread": STRING, "thread_url": NULLABLE_STRING,
                   "thread_title": NULLABLE_STRING, "parent": NULLABLE_STRING, "author": obj({"name": STRING}),
                   "html": NULLABLE_STRING, "format": STRING, "created_at": TIME},
                  ["id", "status"], "The comment as it is when the event is sent (an erased one: id and status).")
    decision = obj({"from": STRING, "to": STRING, "by": {"enum": ["site", "policy", "moderator", "reader"]},
                    "findings": {"type": "array", "items": ref("Finding")}, "policy_version": NULLABLE_STRING,
                    "decided_at": NULLABLE_TIME, "score": nullable({"type": "number"}), "moderated_by": STRING,
                    "moderation_reason": {"enum": [*MODERATOR_REASONS, None]}, "moderated_at": NULLABLE_TIME,
                    "reports": obj({"count": {"type": "integer"}, "reasons": STRING_MAP,
                                    "hidden": {"type": "boolean"}})},
                   ["from", "to", "by"])
    return obj({"id": STRING, "type": {"enum": list(EVENTS)}, "site": STRING, "created_at": TIME,
                "comment": comment, "decision": decision}, ["id", "type", "site", "created_at", "comment"],
               "The body of a webhook POST (signed: docs/webhooks.md).")


def admin_schemas() -> dict:
    return {**_policy(), **_admin_comment(), **_sites(), **_webhooks()}
