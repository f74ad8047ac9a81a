"""Issue #8, observability: request ids, JSON logs, /metrics, worker liveness, readyz, doctor."""
from __future__ import annotations

import json
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from moderation import diagnostics
from moderation.store.workers import WorkerHeartbeat, WorkerRegistry
from tests.service.helpers import auth, comment_payload, post_comment
from tests.support.polling import wait_until


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """Prometheus exposition text -> {(sample name, sorted labels): value}."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_request_ids_are_returned_kept_with_the_comment_and_in_its_history(client, site_key, site_comments):
    response = post_comment(client, site_key, comment_payload(), **{"X-Request-Id": "cms-req-00042"})
    assert response.headers["X-Request-Id"] == "cms-req-00042"
    comment_id = response.json["id"]
    site_comments.process(comment_id, request_id="cms-req-00042")
    assert site_comments.get(comment_id).request_id == "cms-req-00042"
    assert {event["request_id"] for event in site_comments.history(comment_id)} == {"cms-req-00042"}
    status = client.get(f"/api/v1/comments/{comment_id}", headers=auth(site_key)).json
    assert status["request_id"] == "cms-req-00042"


@pytest.mark.parametrize("incoming", [None, "short", "has space in it", "x" * 200, "<script>alert(1)</script>"])
def test_an_absent_or_unsafe_request_id_is_replaced(client, incoming):
    headers = {"X-Request-Id": incoming} if incoming else {}
    returned = client.get("/livez", headers=headers).headers["X-Request-Id"]
    assert returned != incoming and len(returned) == 32 and int(returned, 16) >= 0


def test_metrics_count_intake_decisions_queues_and_latency(client, site_key, site_comments):
    before = samples(client.get("/metrics").get_data(as_text=True))
    accepted = post_comment(client, site_key)
    post_comment(client, "mk_wrong")
    post_comment(client, site_key, comment_payload(body="<script>x()</script> hello"))
    queued = samples(client.get("/metrics").get_data(as_text=True))
    assert queued[("moderation_queue_depth", (("state", "queued"),))] == 2
    site_comments.process(accepted.json["id"])
    page = client.get("/metrics")
    assert page.headers["Content-Type"].startswith("text/plain")
    after = samples(page.get_data(as_text=True))

    def grew(name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert grew("moderation_intake_total", outcome="accepted", status="202") == 2
    assert grew("moderation_intake_total", outcome="unauthorized", status="401") == 1
    assert after[("moderation_queue_depth", (("state", "queued"),))] == 1
    assert after[("moderation_decisions_total", (("outcome", "approved"),))] == 1
    assert after[("moderation_decision_reasons_total", (("outcome", "approved"), ("reason", "no_findings")))] == 1
    assert after[("moderation_processing_latency_seconds_count", ())] == 1
    assert after[("moderation_processing_latency_seconds_bucket", (("le", "+Inf"),))] == 1
    assert after[("moderation_redis_up", ())] == 1
    assert ("moderation_http_request_duration_seconds_count", (("endpoint", "comments.create_comment"),)) in after


def test_metrics_can_require_a_token(redis_url):
    from moderation import create_app
    client = create_app({"MODERATION_REDIS_URL": redis_url, "MODERATION_METRICS_TOKEN": "scrape-secret-1",
                         "TESTING": True}).test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=auth("wrong")).status_code == 401
    assert client.get("/metrics", headers=auth("scrape-secret-1")).status_code == 200


@pytest.mark.e2e
def test_metrics_add_up_every_gunicorn_worker(start_api_server, site_key):
    server = start_api_server(WEB_CONCURRENCY=3)
    for number in range(30):  # new connections: the kernel spreads them over the workers
        body = json.dumps(comment_payload(body=f"comment {number}")).encode()
        reply = server.request("POST", "/api/v1/comments", body=body, headers={
            "Authorization": f"Bearer {site_key}", "Content-Type": "application/json"})
        assert reply.status == 202
    page = samples(server.request("GET", "/metrics").body.decode())
    assert page[("moderation_intake_total", (("outcome", "accepted"), ("status", "202")))] == 30
    assert page[("moderation_queue_depth", (("state", "queued"),))] == 30


@pytest.mark.e2e
def test_api_and_worker_log_json_lines_with_the_same_request_id(start_api_server, start_worker, site_key,
                                                               site_comments):
    server = start_api_server()
    worker = start_worker()
    reply = server.request("POST", "/api/v1/comments", body=json.dumps(comment_payload()).encode(), headers={
        "Authorization": f"Bearer {site_key}", "Content-Type": "application/json", "X-Request-Id": "trace-me-123"})
    assert reply.status == 202
    wait_until(lambda: site_comments.get(reply.json()["id"]).status == "approved", 30)

    def lines_with(log_text: str) -> list[dict]:
        found = []
        for line in log_text.splitlines():
            if line.startswith("{"):
                record = json.loads(line)  # every JSON-looking line parses
                if record.get("request_id") == "trace-me-123":
                    found.append(record)
        return found

    api_lines = wait_until(lambda: lines_with(server.log()), 10)
    assert api_lines[0]["path"] == "/api/v1/comments" and api_lines[0]["status"] == 202
    worker_lines = wait_until(lambda: lines_with(worker.log()), 10)
    assert worker_lines[0]["comment_id"] == reply.json()["id"] and worker_lines[0]["status"] == "approved"
    assert "Task moderation.render_comment" not in worker.log()  # Celery's per-task INFO lines are off


@pytest.mark.e2e
@pytest.mark.parametrize("settings_overrides", [{"worker_heartbeat_interval": 0.5, "worker_stale_after": 3}])
def test_readyz_and_metrics_follow_the_workers_heartbeat(client, start_worker, settings_overrides):
    worker = start_worker()
    ready = wait_until(lambda: (answer := client.get("/readyz")).json["status"] == "ready" and answer, 15)
    assert ready.json["checks"]["workers"] == "ok" and "1 alive" in ready.json["details"]["workers"]
    assert samples(client.get("/metrics").get_data(as_text=True))[("moderation_workers_alive", ())] == 1
    worker.kill_main()
    degraded = wait_until(lambda: (answer := client.get("/readyz")).json["status"] == "degraded" and answer, 15)
    assert degraded.status_code == 200  # the API still takes comments
    assert "no worker alive" in degraded.json["details"]["workers"]


def test_workers_alive_but_not_consuming_while_comments_wait_is_a_failure(redis_client, comment_store, site):
    now = time.time()
    registry = WorkerRegistry(redis_client)
    registry.report(WorkerHeartbeat("w1@host", pid=1, started_at=now - 900, heartbeat_at=now - 1,
                                    last_consumed_at=now - 600))
    comment_store.create({"site_id": site.id, "thread": "t", "body": "b", "format": "plain_text"}, now=now - 300)
    check = diagnostics.check_workers(registry, comment_store, stale_after=60, now=now)
    assert check.status == diagnostics.FAIL and "not consuming" in check.detail and check.fix
    registry.report(WorkerHeartbeat("w1@host", pid=1, started_at=now - 900, heartbeat_at=now - 1,
                                    last_consumed_at=now - 5))
    assert diagnostics.check_workers(registry, comment_store, stale_after=60, now=now).status == diagnostics.OK


def test_doctor_reports_each_check_with_a_fix_and_fails_without_workers(app, redis_server, redis_client):
    result = app.test_cli_runner().invoke(args=["doctor"])
    lines = result.output.splitlines()
    assert result.exit_code == 1, result.output  # no worker alive
    assert any(line.startswith("OK") and "persistence" in line for line in lines)
    assert any(line.startswith("OK") and "eviction" in line for line in lines)
    assert any(line.startswith("FAIL") and "workers" in line for line in lines)
    assert any(line.startswith("WARN") and "sweeper" in line for line in lines)
    assert "fix:" in result.output
    assert any(line.startswith("OK") and "hash-max-listpack-value 4096" in line for line in lines)
    admin = redis_server.client()
    admin.config_set("maxmemory-policy", "allkeys-lru")
    admin.config_set("hash-max-listpack-value", "64")
    try:
        result = app.test_cli_runner().invoke(args=["doctor"])
    finally:
        admin.config_set("maxmemory-policy", "noeviction")
        admin.config_set("hash-max-listpack-value", "4096")
    assert any(line.startswith("FAIL") and "eviction" in line for line in result.output.splitlines())
    assert "maxmemory-policy noeviction" in result.output
    assert any(line.startswith("WARN") and "hash-max-listpack-value 64" in line for line in result.output.splitlines())
