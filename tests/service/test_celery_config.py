"""The Celery configuration keeps the reliability settings docs/reliability.md relies on."""
import pytest

from moderation.settings import Settings
from workers.celery_app import QUEUE_NAME, RENDER_COMMENT_TASK, SWEEP_STUCK_TASK, make_celery


def test_reliability_settings():
    settings = Settings(redis_url="redis://127.0.0.1:1/3")
    conf = make_celery(settings).conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost and conf.task_ignore_result
    # Re-delivery rests on the store's sweeper, not on kombu's ack emulation (docs/reliability.md).
    assert conf.broker_transport_options["ack_emulation"] is False
    assert conf.worker_prefetch_multiplier == 1 and conf.worker_pool == "solo"
    assert conf.task_time_limit < settings.stuck_after  # the sweeper never re-sends a live task
    assert conf.broker_connection_retry_on_startup and conf.broker_connection_max_retries is None
    assert conf.task_serializer == "json" and conf.accept_content == ["json"]
    assert conf.broker_url == "redis://127.0.0.1:1/3"
    assert conf.task_default_queue == QUEUE_NAME
    assert conf.beat_schedule["sweep-stuck-comments"]["task"] == SWEEP_STUCK_TASK


def test_the_worker_app_registers_both_tasks():
    from workers import celery_app
    import workers.tasks  # noqa: F401  (what `celery -A workers worker` imports via include)
    assert {RENDER_COMMENT_TASK, SWEEP_STUCK_TASK} <= set(celery_app.tasks)


def test_the_worker_pool_is_configurable_and_checked():
    assert make_celery(Settings(worker_pool="prefork", worker_concurrency=3)).conf.worker_concurrency == 3
    with pytest.raises(ValueError, match="WORKER_POOL"):
        Settings.from_env({"MODERATION_WORKER_POOL": "gevent"})
