"""process_comment and the sweeper on a real Redis (real renderer, no Celery)."""
import threading

from moderation.processing import process_comment, sweep_stuck_comments
from moderation.store import keys


def new_comment(store, body="Hello <em>there</em> https://example.org", fmt="filtered_html", thread="t1",
                site_id="s1"):
    created = store.create({"site_id": site_id, "thread": thread, "body": body, "format": fmt, "author_name": "Ada"})
    return store.get(site_id, created.comment_id)


def transitions(store, comment_id):
    return [(event["from"], event["to"]) for event in store.audit_events("s1", comment_id)]


def test_clean_comment_is_approved_with_everything_stored(comment_store, redis_client):
    comment = new_comment(comment_store)
    result = process_comment(comment_store, "s1", comment.id)
    stored = comment_store.get("s1", comment.id)
    assert (result.outcome, result.status) == ("decided", "approved")
    assert stored.status == "approved" and "<em>there</em>" in stored.html and 'href="https://example.org"' in stored.html
    assert stored.report == {"link_hosts": {"example.org": 1}, "links_created": 1}  # only what the render found
    assert stored.reasons == []  # no rule found anything
    assert stored.format_version and stored.policy_version and stored.decided_at >= stored.created_at
    assert redis_client.zrange(keys.thread_approved_key("s1", "t1"), 0, -1) == [comment.id]
    assert transitions(comment_store, comment.id) == [("", "queued"), ("queued", "processing"), ("processing", "approved")]


def test_active_content_holds_the_comment_for_review(comment_store):
    comment = new_comment(comment_store, body='Hi <script>alert(1)</script><a href="javascript:x()">x</a>')
    result = process_comment(comment_store, "s1", comment.id)
    stored = comment_store.get("s1", comment.id)
    assert result.status == "pending" and stored.status == "pending"
    assert "<script" not in stored.html
    assert {reason["code"] for reason in stored.reasons} >= {"active_tag_removed"}
    assert comment_store.pending_ids("s1") == [comment.id]


def test_running_twice_makes_one_transition_and_one_audit_event(comment_store, redis_client):
    comment = new_comment(comment_store)
    first = process_comment(comment_store, "s1", comment.id)
    second = process_comment(comment_store, "s1", comment.id)
    assert (first.outcome, second.outcome) == ("decided", "already_final")
    assert transitions(comment_store, comment.id) == [("", "queued"), ("queued", "processing"), ("processing", "approved")]
    assert redis_client.zcard(keys.thread_approved_key("s1", "t1")) == 1


def test_concurrent_runs_make_one_decision(comment_store):
    comment = new_comment(comment_store)
    results = []
    barrier = threading.Barrier(4)

    def run():
        barrier.wait()
        results.append(process_comment(comment_store, "s1", comment.id))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(result.outcome for result in results).count("decided") == 1
    decided_events = [event for event in comment_store.audit_events("s1", comment.id) if event["to"] == "approved"]
    assert len(decided_events) == 1


def test_unknown_format_fails_permanently_into_the_dead_letter_list(comment_store):
    comment = new_comment(comment_store, fmt="format_removed_from_config")
    result = process_comment(comment_store, "s1", comment.id)
    assert (result.outcome, result.status) == ("failed", "failed")
    assert comment_store.get("s1", comment.id).failure.startswith("unknown format")
    assert comment_store.dead_letter_ids("s1") == [comment.id]


def test_attempt_cap_dead_letters_a_comment_that_keeps_crashing(comment_store):
    comment = new_comment(comment_store)
    for _ in range(3):  # three runs that "crashed" after starting (nothing after begin_attempt)
        comment_store.begin_attempt("s1", comment.id, max_attempts=3)
    result = process_comment(comment_store, "s1", comment.id, max_attempts=3)
    assert (result.outcome, result.status) == ("failed", "failed")
    assert comment_store.dead_letter_ids("s1") == [comment.id]
    assert transitions(comment_store, comment.id)[-1] == ("processing", "failed")


def test_missing_comment_is_reported_not_raised(comment_store):
    assert process_comment(comment_store, "s1", "0" * 32).outcome == "missing"


def test_sweeper_re_enqueues_only_stuck_comments(comment_store, site_store):
    site_store.create("S1", [], site_id="s1")  # the sweeper walks the sites index
    stuck_queued, stuck_processing, done = (new_comment(comment_store) for _ in range(3))
    comment_store.begin_attempt("s1", stuck_processing.id, max_attempts=5)
    process_comment(comment_store, "s1", done.id)
    enqueued, sites = [], set()

    def enqueue(comment_id, site_id):
        enqueued.append(comment_id)
        sites.add(site_id)

    assert sweep_stuck_comments(comment_store, enqueue, older_than_seconds=3600) == []
    swept = sweep_stuck_comments(comment_store, enqueue, older_than_seconds=0)
    assert sorted(swept) == sorted(enqueued) == sorted([stuck_queued.id, stuck_processing.id])
    assert sites == {"s1"}  # the task carries the comment's site
    for comment_id in enqueued:  # what the re-enqueued tasks will do
        process_comment(comment_store, "s1", comment_id)
    assert {comment_store.get("s1", c).status for c in enqueued} == {"approved"}


def test_copies_across_threads_and_sites_are_held_then_spam(comment_store, redis_client):
    campaign = ("Finally a newspaper telling the truth about energy prices! Everyone should read this and share "
                "it with friends and family before it gets taken down.")
    statuses = []
    for index, (site_id, thread) in enumerate([("s1", "t1"), ("s1", "t2"), ("s2", "t9"), ("s2", "t3")]):
        comment = new_comment(comment_store, site_id=site_id, thread=thread,
                              body=campaign if index % 2 == 0 else campaign.replace("!", "!!"))
        process_comment(comment_store, site_id, comment.id)
        statuses.append(comment_store.get(site_id, comment.id))
    assert [comment.status for comment in statuses] == ["approved", "pending", "spam", "spam"]
    assert statuses[1].reasons[-1]["code"] == "near_duplicate" and "s1/" + statuses[0].id in statuses[1].reasons[-1]["detail"]
    assert {finding["code"] for finding in statuses[3].reasons} >= {"copy_campaign"}
    # Deciding a comment again does not count it as its own copy.
    again = new_comment(comment_store, site_id="s3", thread="x", body="A completely different remark about the "
                        "weather this week and the flooding in the lower town, which was worse than forecast.")
    process_comment(comment_store, "s3", again.id)
    assert comment_store.get("s3", again.id).status == "approved"
