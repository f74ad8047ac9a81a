"""Fault injection: killed workers and an unreachable Redis still give one final state per comment.

Workers run with MODERATION_TEST_PROCESSING_DELAY (test-only: the worker sleeps
between marking a comment ``processing`` and storing its result) so a test can
kill them mid-task.
"""
import time

import pytest

from tests.service.helpers import STORE_TOPOLOGIES, assert_problem, auth, comment_payload, post_comment
from tests.support.polling import wait_until

pytestmark = [pytest.mark.fault, pytest.mark.e2e]
FINAL = {"approved", "pending", "rejected", "spam", "failed"}
DELAY = 3


def status_of(site_comments, comment_id):
    return site_comments.get(comment_id).status


def decisions(site_comments, comment_id):
    """Audit events that moved the comment into a final state."""
    return [event for event in site_comments.audit_events(comment_id) if event["to"] in FINAL]


def post_and_wait_processing(client, site_key, site_comments, timeout=20):
    response = post_comment(client, site_key)
    assert response.status_code == 202
    comment_id = response.json["id"]
    wait_until(lambda: status_of(site_comments, comment_id) == "processing", timeout,
               message="the worker to start processing")
    return comment_id


def explain(site_comments, comment_id):
    """Why a comment is where it is (for assertion messages)."""
    comment = site_comments.get(comment_id)
    return f"{comment.status}: attempts={comment.attempts} failure={comment.failure!r}"


def wait_final(site_comments, comment_id, timeout):
    return wait_until(lambda: status_of(site_comments, comment_id) in FINAL and status_of(site_comments, comment_id),
                      timeout, interval=0.1, message=f"comment {comment_id} to reach a final state")


@pytest.mark.timeout(90)
def test_pool_child_killed_mid_task_is_processed_again(client, site_key, site_comments, start_worker):
    worker = start_worker(test_processing_delay=DELAY)
    comment_id = post_and_wait_processing(client, site_key, site_comments)
    killed = worker.kill_pool_child()
    assert wait_final(site_comments, comment_id, 60) == "approved", explain(site_comments, comment_id)
    assert killed not in worker.pool_children()
    assert len(decisions(site_comments, comment_id)) == 1
    assert site_comments.get(comment_id).attempts == 2


@pytest.mark.timeout(120)
def test_worker_main_killed_mid_task_a_new_worker_finishes(client, site_key, site_comments, start_worker):
    first = start_worker(test_processing_delay=DELAY)
    comment_id = post_and_wait_processing(client, site_key, site_comments)
    others = [post_comment(client, site_key).json["id"] for _ in range(3)]  # waiting in the queue
    first.kill_main()
    first.stop()  # and its orphaned pool child: nothing of the first worker survives
    assert status_of(site_comments, comment_id) == "processing"
    # The messages the first worker held died with it; the sweeper sends their comments again.
    start_worker(beat=True, stuck_after=3, sweep_interval=1)
    for each in [comment_id, *others]:
        assert wait_final(site_comments, each, 90) == "approved", explain(site_comments, each)
        assert len(decisions(site_comments, each)) == 1


@pytest.mark.timeout(120)
def test_without_beat_a_worker_stands_in_for_the_sweeper(client, site_key, site_comments, start_worker):
    first = start_worker(test_processing_delay=DELAY)
    comment_id = post_and_wait_processing(client, site_key, site_comments)
    first.kill_main()
    first.stop()
    # No beat anywhere: the new worker's heartbeat thread sees the sweeper silent and sweeps.
    second = start_worker(stuck_after=2, sweep_interval=1, worker_heartbeat_interval=0.5)
    assert wait_final(site_comments, comment_id, 60) == "approved", explain(site_comments, comment_id)
    assert "this worker sweeps instead" in second.log()


@pytest.mark.timeout(90)
def test_sigterm_mid_task_lets_the_task_finish(client, site_key, site_comments, start_worker):
    worker = start_worker(test_processing_delay=DELAY)
    comment_id = post_and_wait_processing(client, site_key, site_comments)
    assert worker.terminate(timeout=60) == 0
    assert status_of(site_comments, comment_id) == "approved"
    assert len(decisions(site_comments, comment_id)) == 1


@pytest.mark.timeout(120)
def test_comment_that_keeps_killing_its_worker_is_dead_lettered(client, site_key, site_comments, start_worker):
    worker = start_worker(test_processing_delay=DELAY, max_attempts=2)
    comment_id = post_and_wait_processing(client, site_key, site_comments)
    for attempt in (1, 2):
        wait_until(lambda: site_comments.get(comment_id).attempts == attempt and worker.pool_children(), 30,
                   message=f"attempt {attempt}")
        worker.kill_pool_child()
    assert wait_final(site_comments, comment_id, 60) == "failed"
    assert site_comments.dead_letter_ids() == [comment_id]
    healthy = post_comment(client, site_key).json["id"]  # the worker keeps serving others
    assert wait_final(site_comments, healthy, 60) == "approved", explain(site_comments, healthy)


@pytest.mark.timeout(120)
def test_redis_crash_gives_503_then_everything_recovers(client, site_key, site_comments, redis_server, worker):
    accepted = [post_comment(client, site_key).json["id"] for _ in range(10)]
    before = accepted[0]
    assert wait_final(site_comments, before, 30) == "approved", explain(site_comments, before)
    time.sleep(1.5)  # appendfsync everysec: let the AOF reach the disk
    redis_server.kill9()

    started = time.monotonic()
    assert_problem(post_comment(client, site_key), 503)
    assert time.monotonic() - started < 5
    assert_problem(client.get("/readyz"), 503)
    assert client.get("/livez").status_code == 200

    redis_server.start()
    wait_until(lambda: client.get("/readyz").status_code == 200, 20, message="readyz to recover")
    assert status_of(site_comments, before) == "approved"  # survived the crash (AOF)
    for comment_id in accepted:  # every 2xx comment exists and still reaches a final state
        assert wait_final(site_comments, comment_id, 60) == "approved", explain(site_comments, comment_id)
        assert len(decisions(site_comments, comment_id)) == 1
    after = wait_until(lambda: (r := post_comment(client, site_key)).status_code == 202 and r.json["id"], 20,
                       message="intake to recover")
    assert wait_final(site_comments, after, 60) == "approved"  # the worker reconnected by itself


@pytest.mark.timeout(90)
@pytest.mark.parametrize("stall", ["sigstop", "client_pause"])
def test_stalled_redis_gives_a_fast_503_and_recovers(client, site_key, site_comments, redis_server, worker, stall):
    if stall == "sigstop":
        redis_server.freeze()
    else:
        redis_server.pause_clients(8000)
    try:
        started = time.monotonic()
        response = post_comment(client, site_key)
        elapsed = time.monotonic() - started
        assert_problem(response, 503)
        assert elapsed < 5
        assert_problem(client.get("/readyz"), 503)
    finally:
        if stall == "sigstop":
            redis_server.thaw()
    after = wait_until(lambda: (r := post_comment(client, site_key)).status_code == 202 and r.json["id"], 20,
                       message="intake to recover")
    assert wait_final(site_comments, after, 60) == "approved", explain(site_comments, after)


@pytest.mark.timeout(90)
def test_duplicate_delivery_to_two_workers_makes_one_transition(client, site_key, site_comments, start_worker):
    # The task outlives MODERATION_STUCK_AFTER, so the sweeper sends it again while it runs, and
    # the idle second worker takes it too (the first takes nothing ahead, or it could take the
    # resent message itself and run it after the first, as a no-op).
    settings = {"test_processing_delay": 5}
    first = start_worker(worker_prefetch=1, **settings)
    comment_id = post_and_wait_processing(client, site_key, site_comments)
    start_worker(beat=True, stuck_after=2, sweep_interval=1, **settings)
    wait_until(lambda: site_comments.get(comment_id).attempts >= 2, 30, message="a second delivery")
    assert wait_final(site_comments, comment_id, 30) == "approved", explain(site_comments, comment_id)
    time.sleep(settings["test_processing_delay"] + 1)  # let the slower run finish too
    assert len(decisions(site_comments, comment_id)) == 1
    assert first.is_running()


@pytest.mark.timeout(90)
def test_dropped_client_connections_are_reestablished(client, site_key, site_comments, redis_server, worker):
    before = post_comment(client, site_key).json["id"]
    assert wait_final(site_comments, before, 30) == "approved", explain(site_comments, before)
    redis_server.kill_clients()  # every normal connection: the worker's and the app's
    after = wait_until(lambda: (r := post_comment(client, site_key)).status_code == 202 and r.json["id"], 20,
                       message="intake after CLIENT KILL")
    assert wait_final(site_comments, after, 60) == "approved", explain(site_comments, after)


@pytest.mark.timeout(90)
@pytest.mark.parametrize("store_settings", STORE_TOPOLOGIES, indirect=True)
def test_beat_sweeper_rescues_a_comment_whose_message_was_lost(site_comments, site, start_worker):
    # Stored but never enqueued: what a crash between persist and enqueue leaves behind.
    lost = site_comments.get(site_comments.store.create({"site_id": site.id, "thread": "t1", "body": "hello",
                                                   "format": "filtered_html", "author_name": "Ada"}).comment_id)
    start_worker(beat=True, sweep_interval=1, stuck_after=1)
    assert wait_final(site_comments, lost.id, 60) == "approved", explain(site_comments, lost.id)
    assert len(decisions(site_comments, lost.id)) == 1
