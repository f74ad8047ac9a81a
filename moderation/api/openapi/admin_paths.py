"""Admin API paths (``/api/v1/admin``): policy, queues and moderators' actions, sites and keys, webhooks.

Every one takes the admin token or a dashboard session (``parts.ADMIN``): 401 without either, 403
for a session lacking the CSRF token, role or site. docs/api.md describes each.
"""
from __future__ import annotations

from moderation.api.openapi.parts import (
    ADMIN, ADMIN_403, COMMENT_ID, LIMIT, SITE_ID, json_body, json_response, operation, path_parameter, problems,
    query_parameter,
)
from moderation.api.openapi.schemas import OPTIONAL_COMMENT_ID, STATES

BASE = "/api/v1/admin/sites"
POLICY, QUEUES, SITES, WEBHOOKS = "Admin: policy", "Admin: queues", "Admin: sites and keys", "Admin: webhooks"
KEY_ID = path_parameter("key_id", "The key's id (k_…).")
ENDPOINT_ID = path_parameter("endpoint_id", "The endpoint's id (wh_…).")
DELIVERY_ID = path_parameter("delivery_id", "The delivery's id (d_…).")
X_MODERATOR = {"name": "X-Moderator", "in": "header", "required": False, "schema": {"type": "string"},
               "description": "With the admin token: who acts, recorded as admin-token:<name>."}
X_CSRF = {"name": "X-CSRF-Token", "in": "header", "required": False, "schema": {"type": "string"},
          "description": "With a dashboard session: the session's CSRF token (needed for every state change)."}


def admin_operation(operation_id: str, summary: str, success: dict, errors: tuple[int, ...], *, tag: str,
                    parameters: list, changes: bool = False, body: dict | None = None, **descriptions) -> dict:
    """An admin operation: its own answers, and 401/403/503 that every admin operation can give."""
    statuses = sorted({401, 403, 503, *errors})
    responses = {**success, **problems(*statuses, s403=ADMIN_403, s401="No admin token and no dashboard session.",
                                       **descriptions)}
    headers = [X_MODERATOR, X_CSRF] if changes else [X_MODERATOR]
    return operation(operation_id, summary, responses, tag=tag, security=ADMIN, parameters=[*parameters, *headers],
                     body=body)


def _policy() -> dict:
    document = {"200": json_response("The policy in force.", "PolicyDocument")}
    saved = {"200": json_response("Saved as the next version.", "PolicyDocument")}
    invalid = {"s422": "/problems/validation-error: a pointer per wrong setting; nothing saved.",
               "s400": "/problems/malformed-body: not a JSON object."}
    return {
        f"{BASE}/{{site_id}}/policy": {
            "get": admin_operation("showPolicy", "The policy in force", document, (404,), tag=POLICY,
                                   parameters=[SITE_ID]),
            "put": admin_operation("replacePolicy", "Replace the policy (unsent settings take the defaults)", saved,
                                   (400, 404, 413, 422), tag=POLICY, parameters=[SITE_ID], changes=True,
                                   body=json_body("PolicySettings"), **invalid),
            "patch": admin_operation("changePolicy", "Change some settings (the rest stays)", saved,
                                     (400, 404, 413, 422), tag=POLICY, parameters=[SITE_ID], changes=True,
                                     body=json_body("PolicySettings"), **invalid),
        },
        f"{BASE}/{{site_id}}/policy/versions": {
            "get": admin_operation("policyVersions", "Every saved version, newest first",
                                   {"200": json_response("The versions.", "PolicyVersions")}, (404,), tag=POLICY,
                                   parameters=[SITE_ID])},
        f"{BASE}/{{site_id}}/policy/replay": {
            "post": admin_operation("replayPolicy", "Dry run of a proposed policy on stored comments",
                                    {"200": json_response("What would change; nothing is written.", "ReplayReport")},
                                    (400, 404, 413, 422), tag=POLICY, parameters=[SITE_ID], changes=True,
                                    body=json_body("ReplayRequest"), **invalid)},
    }


def _queues() -> dict:
    listing = admin_operation("listQueue", "A queue of comments, oldest first", {
        "200": json_response("A page of the queue, with counts of every queue.", "AdminCommentPage")},
        (400, 404), tag=QUEUES, parameters=[
            SITE_ID, query_parameter("status", "The queue (approved needs ?thread=).",
                                     {"enum": [state for state in STATES if state not in ("queued", "processing")],
                                      "default": "pending"}),
            query_parameter("thread", "The thread: needed for status=approved (a thread id), else ignored.",
                            {"type": "string"}),
            query_parameter("limit", "Page size.", LIMIT),
            query_parameter("cursor", "The next_cursor given (empty: the first page).",
                            {"type": "string", "pattern": OPTIONAL_COMMENT_ID})],
        s400="/problems/bad-query-parameter: status, thread, limit or cursor.")
    detail = admin_operation("showAdminComment", "One comment with everything, and its history", {
        "200": json_response("The comment.", "AdminCommentDetail")}, (404,), tag=QUEUES,
        parameters=[SITE_ID, COMMENT_ID])
    act = admin_operation("actOnComment", "A moderator's action", {
        "200": json_response("changed or unchanged, and the comment after it.", "ModeratorActionResult")},
        (400, 404, 409, 413, 422), tag=QUEUES, parameters=[SITE_ID, COMMENT_ID], changes=True,
        body=json_body("ModeratorAction"),
        s409="/problems/invalid-transition: the comment's state does not allow it (current_status).")
    commenters = admin_operation("changeCommenter", "Ban or trust a commenter, or lift it", {
        "200": json_response("The site's policy, saved as its next version.", "CommenterLists")},
        (400, 404, 413, 422), tag=QUEUES, parameters=[SITE_ID], changes=True, body=json_body("CommenterChange"))
    return {
        f"{BASE}/{{site_id}}/comments": {"get": listing},
        f"{BASE}/{{site_id}}/comments/{{comment_id}}": {"get": detail},
        f"{BASE}/{{site_id}}/comments/{{comment_id}}/actions": {"post": act},
        f"{BASE}/{{site_id}}/commenters": {"post": commenters},
    }


def admin_paths() -> dict:
    from moderation.api.openapi.admin_site_paths import site_paths, webhook_paths

    return {**_policy(), **_queues(), **site_paths(), **webhook_paths()}

