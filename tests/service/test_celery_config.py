"""The Celery configuration keeps the reliability settings the spec requires."""
from moderation.settings import Settings
from workers.celery_app import QUEUE_NAME, RENDER_COMMENT_TASK, SWEEP_STUCK_TASK, make_celery


def test_reliability_settings():
    conf = make_celery(Settings(visibility_timeout=42, redis_url="redis://127.0.0.1:1/3")).conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost and conf.task_ignore_result
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_transport_options["visibility_timeout"] == 42
    assert conf.result_backend_transport_options["visibility_timeout"] == 42
    assert conf.visibility_timeout == 42
    assert conf.broker_connection_retry_on_startup
    assert conf.task_serializer == "json" and conf.accept_content == ["json"]
    assert conf.broker_url == "redis://127.0.0.1:1/3"
    assert conf.task_default_queue == QUEUE_NAME
    assert conf.beat_schedule["sweep-stuck-comments"]["task"] == SWEEP_STUCK_TASK


def test_the_worker_app_registers_both_tasks():
    from workers import celery_app
    import workers.tasks  # noqa: F401  (what `celery -A workers worker` imports via include)
    assert {RENDER_COMMENT_TASK, SWEEP_STUCK_TASK} <= set(celery_app.tasks)
