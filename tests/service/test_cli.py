"""flask --app moderation sites create|list and demo."""
import json
import re

from moderation.app import create_app
from tests.service.helpers import auth, comment_payload


def test_sites_create_prints_a_working_key_and_list_shows_no_keys(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["sites", "create", "Daily News", "--origin", "https://daily.example"])
    assert result.exit_code == 0, result.output
    api_key = re.search(r"API key:\s+(\S+)", result.output).group(1)
    assert client.post("/api/v1/comments", json=comment_payload(), headers=auth(api_key)).status_code == 202
    listing = runner.invoke(args=["sites", "list"])
    assert "Daily News" in listing.output and "https://daily.example" in listing.output
    assert api_key not in listing.output


def test_sites_create_rejects_a_bad_origin(app):
    result = app.test_cli_runner().invoke(args=["sites", "create", "X", "--origin", "ftp://x"])
    assert result.exit_code != 0


def test_demo_keeps_the_fixed_key_and_prints_a_curl(redis_url, client):
    from moderation import create_app
    app = create_app({"MODERATION_REDIS_URL": redis_url, "MODERATION_DEMO_API_KEY": "demo-key-123"})
    runner = app.test_cli_runner()
    for _ in range(2):  # idempotent: the second run keeps the same site and key
        result = runner.invoke(args=["demo", "--port", "8123"])
        assert result.exit_code == 0, result.output
        assert "demo-key-123" in result.output and "curl" in result.output
        assert "http://127.0.0.1:8123/api/v1/comments" in result.output
    demo_client = app.test_client()
    response = demo_client.post("/api/v1/comments", json=comment_payload(), headers=auth("demo-key-123"))
    assert response.status_code == 202


def test_demo_without_a_fixed_key_issues_a_new_one(app, client):
    output = app.test_cli_runner().invoke(args=["demo"]).output
    api_key = re.search(r"Demo API key: (\S+)", output).group(1)
    assert client.post("/api/v1/comments", json=comment_payload(), headers=auth(api_key)).status_code == 202


def test_policy_set_show_versions_and_replay(app, client, site, site_key, site_comments, tmp_path):
    runner = app.test_cli_runner()
    for body in ("A calm note on the budget.", "Links: https://a.example/1 and more"):
        response = client.post("/api/v1/comments", json=comment_payload(body=body), headers=auth(site_key))
        site_comments.process(response.json["id"])
    proposal = tmp_path / "proposal.json"
    proposal.write_text('{"mode": "pre_links"}')
    replayed = runner.invoke(args=["policy", "replay", site.id, str(proposal)])
    assert replayed.exit_code == 0, replayed.output
    report = json.loads(replayed.stdout[replayed.stdout.index("{"):])
    assert (report["compared"], report["changed"], report["directions"]) == (2, 1, {"approved -> pending": 1})

    saved = runner.invoke(args=["policy", "set", site.id, str(proposal), "--actor", "desk-editor"])
    assert saved.exit_code == 0 and "saved v1" in saved.output
    shown = json.loads(runner.invoke(args=["policy", "show", site.id]).output)
    assert shown["version"] == "v1" and shown["settings"]["mode"] == "pre_links"
    assert "desk-editor" in runner.invoke(args=["policy", "versions", site.id]).output

    proposal.write_text('{"mode": "never"}')
    refused = runner.invoke(args=["policy", "set", site.id, str(proposal)])
    assert refused.exit_code != 0 and "/mode" in refused.output
    assert runner.invoke(args=["policy", "show", "no-such-site"]).exit_code != 0


def test_demo_prints_the_admin_queue_command_that_works(redis_url):
    from moderation import create_app
    app = create_app({"MODERATION_REDIS_URL": redis_url, "MODERATION_ADMIN_TOKEN": "admin-token-for-the-demo"})
    output = app.test_cli_runner().invoke(args=["demo", "--port", "8123"]).output
    url = re.search(r"'(http://127\.0\.0\.1:8123/api/v1/admin/\S+)'", output).group(1)
    assert "Bearer admin-token-for-the-demo" in output
    response = app.test_client().get(url.replace("http://127.0.0.1:8123", ""),
                                     headers={"Authorization": "Bearer admin-token-for-the-demo"})
    assert response.status_code == 200 and response.json["status"] == "pending"


def test_demo_serves_a_sample_article_with_the_embed(redis_url):
    public_key = "pk_demo-public-key-for-the-test-0123456789"
    app = create_app({"MODERATION_REDIS_URL": redis_url, "MODERATION_DEMO_PUBLIC_KEY": public_key})
    runner = app.test_cli_runner()
    for _ in range(2):  # a second run keeps the same single key
        output = runner.invoke(args=["demo", "--port", "8123"]).output
        assert "http://127.0.0.1:8123/demo/" in output
    keys = [key for key in app.extensions["moderation"].sites.api_keys("demo") if key.kind == "public"]
    assert len(keys) == 1
    http = app.test_client()
    page = http.get("/demo/")
    assert page.status_code == 200 and f'data-site="{public_key}"' in page.get_data(as_text=True)
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert http.get("/demo/demo.css").status_code == 200
    # The key works from the demo page's origin (it lists the demo thread), and only there.
    origin = {"Authorization": f"Bearer {public_key}", "Origin": "http://127.0.0.1:8123"}
    assert http.get("/api/v1/threads/demo-article/comments", headers=origin).status_code == 200
    elsewhere = {**origin, "Origin": "https://evil.example"}
    assert http.get("/api/v1/threads/demo-article/comments", headers=elsewhere).status_code == 403
    # Without the setting there is no demo page.
    assert create_app({"MODERATION_REDIS_URL": redis_url}).test_client().get("/demo/").status_code == 404
