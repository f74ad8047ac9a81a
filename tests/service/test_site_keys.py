"""Site keys (secret and public, rotation with a grace period, revocation), posting from a
reader's browser with the public key (origin, form token, honeypot, nothing trusted), the
status token, CORS, site settings, and the command line that manages them."""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from moderation.processing import process_comment
from moderation.store import keys
from tests.service.helpers import assert_problem, auth, comment_payload

ORIGIN = "https://news.example"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def public_key(site, site_store) -> str:
    return site_store.create_key(site.id, "public", "embed")[1]


def browser_post(client, app, site, public_key, payload=None, *, token=None, **headers):
    """A POST as the reader's browser makes it: public key, the page's Origin, a form token."""
    payload = dict(payload or comment_payload())
    if token is None:
        token = app.extensions["moderation"].tokens.form_token(site.id, now=time.time() - 5)
    if token:
        payload["form_token"] = token
    return client.post("/api/v1/comments", json=payload,
                       headers={"Authorization": f"Bearer {public_key}", "Origin": ORIGIN, **headers})


def test_secret_and_public_keys_rotate_and_revoke(site, site_key, site_store, store_redis):
    record, public = site_store.create_key(site.id, "public", "embed")
    assert public.startswith("pk_") and site_key.startswith("mk_")
    assert site_store.authenticate_key(public)[1].kind == "public"
    assert site_store.authenticate_key(site_key)[1].kind == "secret"
    assert public not in str(store_redis.hgetall(keys.site_keys_key(site.id)))  # only hashes are kept
    new_record, new_public = site_store.rotate_key(site.id, record.id, grace_seconds=1)
    assert site_store.authenticate(public) == site and site_store.authenticate(new_public) == site  # overlap
    time.sleep(1.2)
    assert site_store.authenticate(public) is None and site_store.authenticate(new_public) == site
    assert [key.id for key in site_store.api_keys(site.id) if key.kind == "public"] == [new_record.id]
    assert site_store.revoke_key(site.id, new_record.id)
    assert site_store.authenticate(new_public) is None
    assert not site_store.revoke_key(site.id, new_record.id)


def test_a_site_stored_before_key_records_keeps_its_key(site_store, store_redis):
    from moderation.store.sites import hash_api_key

    old_key = "mk_" + "a" * 43
    store_redis.hset(keys.site_key("oldsite"), mapping={"id": "oldsite", "name": "Old", "origins": "[]",
                                                          "created_at": "1700000000.0", "api_key_hash": hash_api_key(old_key)})
    store_redis.set(keys.site_api_key_index_key(hash_api_key(old_key)), "oldsite")
    site, record = site_store.authenticate_key(old_key)
    assert site.id == "oldsite" and record.id == "primary" and record.kind == "secret"
    _new, new_key = site_store.rotate_key("oldsite", "primary", grace_seconds=60)
    assert site_store.authenticate(old_key).id == "oldsite" and site_store.authenticate(new_key).id == "oldsite"
    assert "api_key_hash" not in store_redis.hgetall(keys.site_key("oldsite"))


def test_public_key_posts_only_from_the_sites_origins_with_a_form_token(app, client, site, public_key, comment_store):
    payload = comment_payload(client={"ip": "198.51.100.99", "user_agent": "forged", "referrer": "https://forged.example/"})
    no_origin = client.post("/api/v1/comments", json=payload, headers=auth(public_key))
    assert_problem(no_origin, 403)
    wrong_origin = browser_post(client, app, site, public_key, payload, Origin="https://evil.example")
    assert_problem(wrong_origin, 403)
    assert_problem(browser_post(client, app, site, public_key, payload, token=""), 422, "/form_token")
    fresh = client.get("/api/v1/form-token", headers={"Authorization": f"Bearer {public_key}", "Origin": ORIGIN})
    assert fresh.status_code == 200 and fresh.headers["Access-Control-Allow-Origin"] == ORIGIN
    too_new = browser_post(client, app, site, public_key, payload, token=fresh.get_json()["form_token"])
    assert "too new" in assert_problem(too_new, 422, "/form_token")["errors"][0]["detail"]
    honeypot = browser_post(client, app, site, public_key, {**payload, "website": "http://spam.example"})
    assert_problem(honeypot, 422, "/website")

    token = app.extensions["moderation"].tokens.form_token(site.id, now=time.time() - 5)
    accepted = browser_post(client, app, site, public_key, payload, token=token,
                            **{"User-Agent": "Mozilla/5.0 reader", "Referer": "https://news.example/a/1"})
    assert accepted.status_code == 202, accepted.get_data(as_text=True)
    assert accepted.headers["Access-Control-Allow-Origin"] == ORIGIN
    body = accepted.get_json()
    stored = comment_store.get(site.id, body["id"])
    assert stored.client_ip == "127.0.0.1" and stored.client_user_agent == "Mozilla/5.0 reader"
    assert stored.client_referrer == "https://news.example/a/1"
    reused = browser_post(client, app, site, public_key, payload, token=token)
    assert "already used" in assert_problem(reused, 422, "/form_token")["errors"][0]["detail"]
    assert body["status_token"] and body["status_url"].endswith(body["status_token"])


def test_the_status_token_shows_the_reader_their_own_comment(app, client, site, public_key, comment_store):
    posted = browser_post(client, app, site, public_key, comment_payload(body="Only an idiot would say so."))
    document = posted.get_json()
    status_url = f"/api/v1/comments/{document['id']}/status"
    waiting = client.get(status_url, query_string={"token": document["status_token"]})
    assert waiting.status_code == 200 and waiting.get_json()["status"] == "awaiting_moderation"
    process_comment(comment_store, site.id, document["id"])
    held = client.get(status_url, query_string={"token": document["status_token"]}).get_json()
    assert held["state"] == "pending" and "idiot" in held["html"]  # the reader sees their comment while it waits
    assert client.get(status_url, query_string={"token": document["status_token"] + "x"}).status_code == 404
    other = browser_post(client, app, site, public_key).get_json()
    assert client.get(f"/api/v1/comments/{other['id']}/status",
                      query_string={"token": document["status_token"]}).status_code == 404
    assert "email" not in str(held) and "client" not in held


def test_public_key_is_refused_where_a_secret_key_is_needed(app, client, site, site_key, public_key):
    created = client.post("/api/v1/comments", json=comment_payload(), headers=auth(site_key)).get_json()
    response = client.get(f"/api/v1/comments/{created['id']}", headers={"Authorization": f"Bearer {public_key}",
                                                                        "Origin": ORIGIN})
    assert assert_problem(response, 403)["type"] == "/problems/secret-key-required"


def test_cors_on_what_a_page_reads(client, site, public_key):
    listing = client.get("/api/v1/threads/article-123/comments",
                         headers={"Authorization": f"Bearer {public_key}", "Origin": ORIGIN})
    assert listing.status_code == 200 and listing.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert client.get("/api/v1/formats").headers["Access-Control-Allow-Origin"] == "*"
    preflight = client.options("/api/v1/comments", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST",
                                                            "Access-Control-Request-Headers": "authorization,content-type"})
    assert preflight.status_code == 204 and "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in preflight.headers


@pytest.fixture
def settings_overrides():
    return {"admin_token": "admin-secret-token"}


def test_admin_api_manages_sites_and_keys(app, client, site_store):
    admin = {"Authorization": "Bearer admin-secret-token"}
    created = client.post("/api/v1/admin/sites", json={"name": "Evening Post", "origins": ["https://post.example"]},
                          headers=admin)
    assert created.status_code == 201
    site_id, secret = created.get_json()["id"], created.get_json()["secret_key"]
    assert site_store.authenticate(secret).id == site_id
    public = client.post(f"/api/v1/admin/sites/{site_id}/keys", json={"kind": "public", "label": "embed"}, headers=admin)
    assert public.status_code == 201 and public.get_json()["key"].startswith("pk_")
    listed = client.get(f"/api/v1/admin/sites/{site_id}", headers=admin).get_json()
    assert sorted(key["kind"] for key in listed["keys"]) == ["public", "secret"]
    assert all("key" not in record for record in listed["keys"])  # records only, never a key
    secret_id = next(key["id"] for key in listed["keys"] if key["kind"] == "secret")
    rotated = client.post(f"/api/v1/admin/sites/{site_id}/keys/{secret_id}/rotate", json={"grace_seconds": 3600},
                          headers=admin).get_json()
    assert site_store.authenticate(secret) is not None and site_store.authenticate(rotated["key"]) is not None
    assert client.delete(f"/api/v1/admin/sites/{site_id}/keys/{secret_id}", headers=admin).status_code == 204
    assert site_store.authenticate(secret) is None
    patched = client.patch(f"/api/v1/admin/sites/{site_id}", json={"default_format": "plain_text",
                                                                   "origins": ["https://www.post.example"]},
                           headers=admin)
    assert patched.get_json()["default_format"] == "plain_text"
    assert_problem(client.patch(f"/api/v1/admin/sites/{site_id}", json={"default_format": "full_html"},
                                headers=admin), 422, "/default_format")
    assert client.get("/api/v1/admin/sites").status_code == 401
    # The site's default format applies to a comment that names none.
    payload = comment_payload(body="<em>hi</em>")
    payload.pop("format")
    posted = client.post("/api/v1/comments", json=payload, headers=auth(rotated["key"])).get_json()
    assert app.extensions["moderation"].comments.get(site_id, posted["id"]).format == "plain_text"


def test_admin_api_refuses_wrong_site_and_key_fields_without_saving_any(client, site, site_store):
    """Found by schemathesis (tests/service/test_openapi_fuzz.py): these were 500s."""
    admin = {"Authorization": "Bearer admin-secret-token"}
    url = f"/api/v1/admin/sites/{site.id}"
    for wrong in ({}, [], ["plain_text"], False, 7):
        assert_problem(client.patch(url, json={"default_format": wrong}, headers=admin), 422, "/default_format")
    # Every field is checked before anything is saved: good origins next to a bad name stay unsaved.
    refused = client.patch(url, json={"origins": ["https://elsewhere.example"], "name": ""}, headers=admin)
    assert_problem(refused, 422, "/name")
    assert site_store.get(site.id).origins == ("https://news.example",)
    for wrong in ({}, [], ["public"]):
        assert_problem(client.post(f"{url}/keys", json={"kind": wrong}, headers=admin), 422, "/kind")
    assert_problem(client.post(f"{url}/keys", json={"kind": "public", "label": 5}, headers=admin), 422, "/label")
    assert client.patch(url, json={"default_format": None}, headers=admin).get_json()["default_format"] is None


def test_cli_keys_and_the_wrapper_make_run_prints(app, site, redis_url):
    runner = app.test_cli_runner()
    made = runner.invoke(args=["sites", "key-create", site.id, "--kind", "public", "--label", "embed"])
    assert made.exit_code == 0 and "public key: pk_" in made.output
    key_id = made.output.split("key id:")[1].split()[0]
    listed = runner.invoke(args=["sites", "keys", site.id])
    assert key_id in listed.output and "public" in listed.output
    rotated = runner.invoke(args=["sites", "key-rotate", site.id, key_id, "--grace", "60"])
    assert rotated.exit_code == 0 and "works 60 s more" in rotated.output
    assert runner.invoke(args=["sites", "key-revoke", site.id, "k_nope"]).exit_code == 1
    # scripts/moderation: the venv and make run's Redis found without being told (here: told the test's Redis).
    env = {**os.environ, "MODERATION_REDIS_URL": redis_url}
    done = subprocess.run([str(ROOT / "scripts" / "moderation"), "sites", "list"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0 and site.id in done.stdout, done.stderr


def test_a_readers_page_can_read_why_its_post_was_refused(client, app, site, public_key):
    """Errors to a public-key request carry CORS too: the embed shows the reason, not "no answer"."""
    invalid = browser_post(client, app, site, public_key, comment_payload(body=""))
    assert invalid.status_code == 422 and invalid.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Retry-After" in invalid.headers["Access-Control-Expose-Headers"]
    no_token = browser_post(client, app, site, public_key, token="")
    assert no_token.status_code == 422 and no_token.headers["Access-Control-Allow-Origin"] == ORIGIN
    # A page of another origin learns nothing (403, no CORS header).
    other = browser_post(client, app, site, public_key, Origin="https://evil.example")
    assert other.status_code == 403 and "Access-Control-Allow-Origin" not in other.headers
