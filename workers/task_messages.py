"""Task messages built in Python so that a store script can push them onto the broker's queue.

When the broker is the store's own Redis (the default), the intake's one Lua
script stores the comment *and*, when no drain task is on its way for the
site, pushes one onto the Celery queue (``lua/create_comment.lua``); a drain
task that leaves comments behind pushes the next one the same way
(``lua/take_ready.lua``). The comment and its wake-up exist together or not
at all, and the request saves a round trip and kombu's publishing path
(measured: about a third of the intake's CPU). Any other broker gets the
message from ``send_task`` as usual (:func:`moderation.api.deps.wake_site`).

The message is what ``send_task`` writes to the Redis transport, built from
Celery's own pieces (``app.amqp.as_task_v2`` for the headers and body), in the
envelope of kombu's Redis transport (``Channel.prepare_message`` and
``basic_publish``: JSON with a base64 body), sent to the queue through the
default exchange. ``tests/workers/test_task_messages.py`` compares it with
what ``send_task`` writes, and every end-to-end test consumes it.
"""
from __future__ import annotations

import base64
import functools
import json
import uuid

from celery import Celery
from celery.utils.nodenames import anon_nodename
from kombu.serialization import dumps

from workers.celery_app import DRAIN_COMMENTS_TASK, QUEUE_NAME, RENDER_COMMENT_TASK


class TaskMessages:
    """Builds task messages for the Redis queue ``QUEUE_NAME``."""

    queue_key = QUEUE_NAME  # the Redis list kombu's transport reads with BRPOP (priority 0)

    # Stand-ins for the two ids that differ between two messages of the same task and arguments.
    TASK_ID, DELIVERY_TAG = "00000000-0000-4000-8000-7a5c1d000001", "00000000-0000-4000-8000-7a5c1d000002"

    def __init__(self, app: Celery):
        self.app = app
        self.origin = anon_nodename()  # the publisher, as send_task names it
        self._drain_template = functools.lru_cache(maxsize=4096)(self._drain_template_uncached)

    def render(self, comment_id: str, site_id: str, request_id: str) -> str:
        """``moderation.render_comment``: one comment."""
        return self.message(RENDER_COMMENT_TASK, [comment_id], {"site_id": site_id, "request_id": request_id})

    def drain(self, site_id: str) -> str:
        """``moderation.drain_comments``: a batch from the site's ready list.

        Built once per site and then only given fresh ids: the intake builds one for every
        comment (in case it is the one that wakes the site), and building it in full cost
        about 4% of the intake's CPU.
        """
        template = self._drain_template(site_id)
        return template.replace(self.TASK_ID, str(uuid.uuid4())).replace(self.DELIVERY_TAG, str(uuid.uuid4()))

    def _drain_template_uncached(self, site_id: str) -> str:
        return self.message(DRAIN_COMMENTS_TASK, [site_id], {}, task_id=self.TASK_ID, delivery_tag=self.DELIVERY_TAG)

    def message(self, task_name: str, args: list, kwargs: dict, task_id: str | None = None,
                delivery_tag: str | None = None) -> str:
        """What ``send_task(task_name, args, kwargs)`` would push, as the list element."""
        task_id = task_id or str(uuid.uuid4())
        task = self.app.amqp.as_task_v2(task_id, task_name, args=args, kwargs=kwargs,
                                        origin=self.origin, argsrepr=repr(args), kwargsrepr=repr(kwargs),
                                        ignore_result=None)  # as send_task sends it (the task decides)
        content_type, content_encoding, body = dumps(task.body, serializer="json")
        return json.dumps({
            "body": base64.b64encode(body.encode() if isinstance(body, str) else body).decode(),
            "content-encoding": content_encoding,
            "content-type": content_type,
            "headers": task.headers,
            "properties": {
                **task.properties,
                "delivery_mode": 2,  # persistent
                "delivery_info": {"exchange": "", "routing_key": QUEUE_NAME},
                "priority": 0,
                "body_encoding": "base64",
                "delivery_tag": delivery_tag or str(uuid.uuid4()),
            },
        }, separators=(",", ":"))
