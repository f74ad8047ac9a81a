"""Admin API paths for sites and their keys, and for a site's webhook endpoints (admin role)."""
from __future__ import annotations

from moderation.api.openapi.admin_paths import BASE, DELIVERY_ID, ENDPOINT_ID, KEY_ID, SITES, WEBHOOKS, admin_operation
from moderation.api.openapi.parts import LIMIT, SITE_ID, json_body, json_response, no_content, query_parameter

MALFORMED = {"s400": "/problems/malformed-body: not a JSON object."}


def site_paths() -> dict:
    def op(operation_id, summary, success, errors, parameters, **options):
        return admin_operation(operation_id, summary, success, errors, tag=SITES, parameters=parameters, **options)

    return {
        BASE: {
            "get": op("listSites", "Every site", {"200": json_response("The sites.", "SiteList")}, (), []),
            "post": op("createSite", "Create a site", {"201": json_response("The site and its secret key (shown once).",
                                                                            "SiteCreated")},
                       (400, 413, 422), [], changes=True, body=json_body("SiteCreate"), **MALFORMED),
        },
        f"{BASE}/{{site_id}}": {
            "get": op("showSite", "A site and its live keys' records",
                      {"200": json_response("The site.", "SiteWithKeys")}, (404,), [SITE_ID]),
            "patch": op("updateSite", "Change a site's name, origins or default format",
                        {"200": json_response("The site.", "Site")}, (400, 404, 413, 422), [SITE_ID], changes=True,
                        body=json_body("SiteUpdate"), **MALFORMED),
        },
        f"{BASE}/{{site_id}}/keys": {
            "post": op("createKey", "Make a secret or public key", {"201": json_response(
                "The key's record and the key (shown once).", "KeyCreated")}, (400, 404, 413, 422), [SITE_ID],
                changes=True, body=json_body("KeyCreate"), **MALFORMED)},
        f"{BASE}/{{site_id}}/keys/{{key_id}}/rotate": {
            "post": op("rotateKey", "Rotate a key (the old one works grace_seconds more)", {"200": json_response(
                "The new key's record and the key (shown once).", "KeyRotated")}, (404, 413, 422), [SITE_ID, KEY_ID],
                changes=True, body=json_body("KeyRotate", required=False), s404="No such site, or no such live key.")},
        f"{BASE}/{{site_id}}/keys/{{key_id}}": {
            "delete": op("revokeKey", "Revoke a key at once", {"204": no_content("Revoked.")}, (404,),
                         [SITE_ID, KEY_ID], changes=True)},
    }


def webhook_paths() -> dict:
    def op(operation_id, summary, success, errors, parameters, **options):
        return admin_operation(operation_id, summary, success, errors, tag=WEBHOOKS, parameters=parameters, **options)

    hooks = f"{BASE}/{{site_id}}/webhooks"
    one = [SITE_ID, ENDPOINT_ID]
    endpoint = {"200": json_response("The endpoint.", "WebhookEndpoint")}
    with_secret = json_response("The endpoint and its secret (shown once).", "WebhookEndpointWithSecret")
    invalid = {"s422": "/problems/validation-error: a wrong URL, event or setting.", **MALFORMED}
    return {
        hooks: {
            "get": op("listWebhooks", "A site's webhook endpoints",
                      {"200": json_response("The endpoints.", "WebhookEndpointList")}, (404,), [SITE_ID]),
            "post": op("createWebhook", "Add an endpoint", {"201": with_secret}, (400, 404, 413, 422), [SITE_ID],
                       changes=True, body=json_body("WebhookEndpointCreate"), **invalid),
        },
        f"{hooks}/{{endpoint_id}}": {
            "get": op("showWebhook", "One endpoint", endpoint, (404,), one),
            "patch": op("updateWebhook", "Change an endpoint", endpoint, (400, 404, 413, 422), one, changes=True,
                        body=json_body("WebhookEndpointUpdate"), **invalid),
            "delete": op("deleteWebhook", "Delete an endpoint and its delivery log", {"204": no_content("Deleted.")},
                         (404,), one, changes=True),
        },
        f"{hooks}/{{endpoint_id}}/rotate": {
            "post": op("rotateWebhookSecret", "A new signing secret (the old one signs too for overlap_seconds)",
                       {"200": with_secret}, (400, 404, 413, 422), one, changes=True,
                       body=json_body("WebhookRotate", required=False), **MALFORMED)},
        f"{hooks}/{{endpoint_id}}/deliveries": {
            "get": op("listWebhookDeliveries", "An endpoint's deliveries, newest first, with every try",
                      {"200": json_response("The deliveries.", "WebhookDeliveryList")}, (400, 404),
                      [*one, query_parameter("limit", "How many.", LIMIT)],
                      s400="/problems/bad-query-parameter: limit.")},
        f"{hooks}/{{endpoint_id}}/deliveries/{{delivery_id}}": {
            "get": op("showWebhookDelivery", "One delivery, with the body sent",
                      {"200": json_response("The delivery.", "WebhookDelivery")}, (404,), [*one, DELIVERY_ID])},
        f"{hooks}/{{endpoint_id}}/deliveries/{{delivery_id}}/redeliver": {
            "post": op("redeliverWebhook", "Send the same event and body again as a new delivery",
                       {"202": json_response("The new delivery (redelivery_of the first).", "WebhookDelivery")},
                       (404,), [*one, DELIVERY_ID], changes=True)},
    }
