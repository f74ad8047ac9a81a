"""Admin pages: the policy with its dry run before saving, sites and keys, accounts."""
from __future__ import annotations

import json
import re

from tests.dashboard.conftest import PASSWORD, login

SUSPECT = "Only an idiot would believe the council on this."


def test_policy_is_saved_only_after_its_dry_run(admin, decided, site, comment_store):
    client, csrf = admin
    assert decided("A fine article, thank you.").status == "approved"
    url = f"/admin/sites/{site.id}/policy"
    current = json.loads(re.search(r'<textarea id="policy"[^>]*>(.*?)</textarea>', client.get(url).get_data(as_text=True),
                                   re.S).group(1).replace("&#34;", '"').replace("&quot;", '"').replace("&#39;", "'"))
    current["mode"] = "pre"  # hold every comment
    text = json.dumps(current)
    # Saving without the dry run of this text does not save.
    client.post(url, data={"csrf_token": csrf, "policy": text, "save": "1", "reviewed": "wrong"})
    assert comment_store.policies.current_uncached(site.id).mode == "post"
    page = client.post(url, data={"csrf_token": csrf, "policy": text, "dry_run": "1"}).get_data(as_text=True)
    assert "Dry run:" in page and "approved -&gt; pending" in page.replace("→", "->")
    reviewed = re.search(r'name="reviewed" value="([0-9a-f]+)"', page).group(1)
    response = client.post(url, data={"csrf_token": csrf, "policy": text, "save": "1", "reviewed": reviewed})
    assert response.status_code == 302
    assert comment_store.policies.current_uncached(site.id).mode == "pre"
    history = comment_store.policies.history(site.id)
    assert history[0]["updated_by"] == "user:ada"


def test_invalid_policy_shows_its_errors(admin, site):
    client, csrf = admin
    page = client.post(f"/admin/sites/{site.id}/policy",
                       data={"csrf_token": csrf, "policy": '{"mode": "sometimes"}', "dry_run": "1"})
    assert page.status_code == 200 and "/mode" in page.get_data(as_text=True)
    page = client.post(f"/admin/sites/{site.id}/policy", data={"csrf_token": csrf, "policy": "{not json", "dry_run": "1"})
    assert "not JSON" in page.get_data(as_text=True)


def test_sites_origins_and_key_rotation(admin, site, site_key, site_store):
    client, csrf = admin
    key_id = site_store.api_keys(site.id)[0].id
    page = client.post("/admin/sites", data={"csrf_token": csrf, "action": "rotate", "site": site.id, "key": key_id,
                                             "grace": "3600"})
    new_key = re.search(r'<code class="secret">([^<]+)</code>', page.get_data(as_text=True)).group(1)
    assert site_store.authenticate(new_key).id == site.id and site_store.authenticate(site_key).id == site.id
    client.post("/admin/sites", data={"csrf_token": csrf, "action": "revoke", "site": site.id, "key": key_id})
    assert site_store.authenticate(site_key) is None
    page = client.post("/admin/sites", data={"csrf_token": csrf, "action": "public", "site": site.id})
    public = re.search(r'<code class="secret">([^<]+)</code>', page.get_data(as_text=True)).group(1)
    assert public.startswith("pk_") and site_store.authenticate_key(public)[1].kind == "public"
    client.post("/admin/sites", data={"csrf_token": csrf, "action": "settings", "site": site.id, "name": "Test News",
                                      "origins": "https://a.example\nhttps://b.example", "default_format": "plain_text"})
    assert site_store.get(site.id).origins == ("https://a.example", "https://b.example")
    assert site_store.get(site.id).default_format == "plain_text"
    bad = client.post("/admin/sites", data={"csrf_token": csrf, "action": "settings", "site": site.id,
                                            "origins": "javascript:alert(1)"})
    assert bad.status_code == 422
    page = client.post("/admin/sites", data={"csrf_token": csrf, "action": "create", "name": "Evening Post",
                                             "origins": "https://post.example"}).get_data(as_text=True)
    assert "Evening Post" in page and re.search(r'<code class="secret">', page)


def test_accounts_page(app, admin, accounts, site):
    client, csrf = admin
    response = client.post("/admin/users", data={"csrf_token": csrf, "action": "create", "name": "newbie",
                                                 "password": PASSWORD, "role": "moderator", "sites": [site.id]})
    assert response.status_code == 200 and accounts.get("newbie").sites == (site.id,)
    assert client.post("/admin/users", data={"csrf_token": csrf, "action": "create", "name": "x",
                                             "password": "short", "role": "moderator"}).status_code == 422
    other = app.test_client()
    login(other, "newbie")
    assert other.get("/admin/").status_code == 200
    client.post("/admin/users", data={"csrf_token": csrf, "action": "revoke", "name": "newbie"})
    assert other.get("/admin/").status_code == 302  # sent back to the login page
    client.post("/admin/users", data={"csrf_token": csrf, "action": "disable", "name": "newbie"})
    assert login(other, "newbie").status_code == 401
    page = client.post("/admin/users", data={"csrf_token": csrf, "action": "delete", "name": "ada"})
    assert page.status_code == 422 and accounts.get("ada") is not None  # not your own account


def test_data_request_export_then_erase(admin, decided, site, comment_store):
    client, csrf = admin
    mine = decided("My own words, my own view.", author={"name": "Dee", "email": "Dee+x@Example.org"})
    other = decided("Someone else's view.", author={"name": "Eve", "email": "eve@example.org"})
    response = client.post("/admin/data-requests", data={"csrf_token": csrf, "action": "export",
                                                         "email": "dee@example.org"})
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    exported = response.get_json()
    comments = exported["sites"][site.id]["comments"]
    assert [comment["id"] for comment in comments] == [mine.id] and comments[0]["body"] == mine.body
    refused = client.post("/admin/data-requests", data={"csrf_token": csrf, "action": "erase",
                                                        "email": "dee@example.org", "confirm": "someone@else.org"})
    assert refused.status_code == 422 and comment_store.get(site.id, mine.id).author_email
    page = client.post("/admin/data-requests", data={"csrf_token": csrf, "action": "erase",
                                                     "email": "dee@example.org", "confirm": "dee@example.org"})
    assert page.status_code == 200 and "1 anonymised" in page.get_data(as_text=True)
    erased = comment_store.get(site.id, mine.id)
    assert erased.author_email == "" and erased.client_ip == "" and erased.author_name != "Dee"
    assert comment_store.get(site.id, other.id).author_email == "eve@example.org"
    audit = client.get(f"/admin/sites/{site.id}/audit", query_string={"actor": "user:ada"}).get_data(as_text=True)
    assert "erased" in audit and "exported" in audit


def test_moderators_cannot_reach_data_requests(moderator):
    client, csrf = moderator
    response = client.post("/admin/data-requests", data={"csrf_token": csrf, "action": "export", "email": "a@b.org"})
    assert response.status_code == 403


def test_word_lists_go_through_the_dry_run(admin, decided, site, comment_store):
    client, csrf = admin
    calm = decided("The bridge works are late again.")
    assert calm.status == "approved"
    url = f"/admin/sites/{site.id}/policy"
    page = client.post(url, data={"csrf_token": csrf, "lists": "1", "words__suspect": "bridge\n\n budget*  \n",
                                  "commenters__banned": "troll@example.org"}).get_data(as_text=True)
    assert "approved -&gt; pending" in page.replace("→", "->")
    assert comment_store.policies.current_uncached(site.id).words.suspect == ()  # not saved yet
    text = re.search(r'<textarea id="policy"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    text = text.replace("&#34;", '"').replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    reviewed = re.search(r'name="reviewed" value="([0-9a-f]+)"', page).group(1)
    assert client.post(url, data={"csrf_token": csrf, "policy": text, "save": "1", "reviewed": reviewed}).status_code == 302
    saved = comment_store.policies.current_uncached(site.id)
    assert saved.words.suspect == ("bridge", "budget*") and saved.commenters.banned == ("troll@example.org",)
