"""The admin page of a site's webhooks: endpoints (secret shown once) and the delivery log with
"Redeliver"."""
from __future__ import annotations

import re

from moderation.webhooks.dispatch import dispatch_site
from moderation.webhooks.store import WebhookStore


def test_an_admin_adds_an_endpoint_sees_its_deliveries_and_redelivers_one(admin, site, decided, comment_store,
                                                                         store_redis):
    client, csrf = admin
    url = f"/admin/sites/{site.id}/webhooks"
    page = client.get(url)
    assert page.status_code == 200 and "No endpoint." in page.get_data(as_text=True)

    made = client.post(url, data={"csrf_token": csrf, "action": "create", "url": "http://127.0.0.1:9/hooks",
                                  "events": ["comment.created", "comment.approved"]})
    text = made.get_data(as_text=True)
    assert made.status_code == 200
    secret = re.search(r'<code class="secret">(whsec_[^<]+)</code>', text).group(1)
    webhooks = WebhookStore(store_redis)
    endpoint, = webhooks.endpoints(site.id)
    assert endpoint.secret == secret and endpoint.events == ("comment.created", "comment.approved")
    assert secret not in client.get(url).get_data(as_text=True)  # shown once

    decided("A calm and friendly remark.")
    dispatch_site(webhooks, comment_store, site.id, lambda *args: None, lease_seconds=60)
    delivery = webhooks.deliveries(site.id, endpoint.id)[0]
    listing = client.get(url).get_data(as_text=True)
    assert f'id="delivery-{delivery.id}"' in listing and "comment.approved" in listing and "Redeliver" in listing

    again = client.post(url, data={"csrf_token": csrf, "action": "redeliver", "delivery": delivery.id})
    assert again.status_code == 200 and "will be sent again" in again.get_data(as_text=True)
    redelivered = [d for d in webhooks.deliveries(site.id, endpoint.id) if d.redelivery_of == delivery.id]
    assert len(redelivered) == 1 and redelivered[0].body == delivery.body
    assert "redelivery of" in client.get(url).get_data(as_text=True)

    refused = client.post(url, data={"csrf_token": csrf, "action": "create", "url": "ftp://x.example/",
                                     "events": ["comment.created"]})
    assert refused.status_code == 422 and len(webhooks.endpoints(site.id)) == 1
    no_csrf = client.post(url, data={"action": "delete", "endpoint": endpoint.id})
    assert no_csrf.status_code == 403 and webhooks.endpoint(site.id, endpoint.id) is not None
    client.post(url, data={"csrf_token": csrf, "action": "delete", "endpoint": endpoint.id})
    assert webhooks.endpoints(site.id) == []


def test_moderators_may_not_see_the_webhooks_page(moderator, site):
    client, csrf = moderator
    assert client.get(f"/admin/sites/{site.id}/webhooks").status_code == 403
    assert client.post(f"/admin/sites/{site.id}/webhooks", data={"csrf_token": csrf, "action": "create",
                                                                 "url": "https://x.example/h"}).status_code == 403
