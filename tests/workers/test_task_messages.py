"""The task messages the store's scripts push match what send_task writes."""
from __future__ import annotations

import base64
import json

import pytest

from moderation.settings import Settings
from workers.celery_app import DRAIN_COMMENTS_TASK, QUEUE_NAME, RENDER_COMMENT_TASK, make_celery
from workers.task_messages import TaskMessages


@pytest.mark.parametrize("task_name, args, kwargs, build", [
    (RENDER_COMMENT_TASK, ["c" * 32], {"site_id": "s1", "request_id": "r1"},
     lambda messages: messages.render("c" * 32, "s1", "r1")),
    (DRAIN_COMMENTS_TASK, ["s1"], {}, lambda messages: messages.drain("s1")),
])
def test_the_message_is_the_one_send_task_writes(redis_url, redis_client, task_name, args, kwargs, build):
    app = make_celery(Settings(redis_url=redis_url))
    app.send_task(task_name, args=args, kwargs=kwargs)
    sent = json.loads(redis_client.rpop(QUEUE_NAME))
    built = json.loads(build(TaskMessages(app)))
    assert TaskMessages.queue_key == QUEUE_NAME

    assert built.keys() == sent.keys()
    assert {k: v for k, v in built.items() if k not in ("headers", "properties", "body")} == \
        {k: v for k, v in sent.items() if k not in ("headers", "properties", "body")}
    assert base64.b64decode(built["body"]) == base64.b64decode(sent["body"])
    per_message = {"id", "root_id"}  # fresh uuids in each
    assert {k: v for k, v in built["headers"].items() if k not in per_message} == \
        {k: v for k, v in sent["headers"].items() if k not in per_message}
    assert built["headers"]["id"] == built["headers"]["root_id"] == built["properties"]["correlation_id"]
    assert built["properties"].keys() == sent["properties"].keys()
    for name in ("delivery_mode", "delivery_info", "priority", "body_encoding"):
        assert built["properties"][name] == sent["properties"][name], name


def test_each_drain_message_has_its_own_ids(redis_url):
    messages = TaskMessages(make_celery(Settings(redis_url=redis_url)))
    first, second = (json.loads(messages.drain("s1")) for _ in range(2))
    for message in (first, second):
        assert message["headers"]["id"] == message["headers"]["root_id"] == message["properties"]["correlation_id"]
        assert TaskMessages.TASK_ID not in json.dumps(message) and TaskMessages.DELIVERY_TAG not in json.dumps(message)
    assert first["headers"]["id"] != second["headers"]["id"]
    assert first["properties"]["delivery_tag"] != second["properties"]["delivery_tag"]
    assert json.loads(messages.drain("s2"))["headers"]["argsrepr"] == "['s2']"
