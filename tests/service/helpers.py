"""Small helpers shared by the service tests."""
from __future__ import annotations

import json as jsonlib

from pathlib import Path

PROBLEM_TYPE = "application/problem+json"
# The shipped default policy (the test settings' default is every rule off: tests/conftest.py).
DEFAULT_POLICY = str(Path(__file__).resolve().parents[2] / "config" / "policy.toml")


def comment_payload(**overrides) -> dict:
    payload = {
        "thread": "article-123", "thread_url": "https://news.example/articles/123",
        "thread_title": "Export controls on cloud computing", "parent": None,
        "author": {"name": "Ada", "email": "ada@example.org"},
        "body": "Interesting piece. More at https://example.org/report", "format": "filtered_html",
        "client": {"ip": "203.0.113.9", "user_agent": "pytest", "referrer": "https://news.example/"},
    }
    payload.update(overrides)
    return payload


def auth(api_key: str, **headers) -> dict:
    return {"Authorization": f"Bearer {api_key}", **headers}


def post_comment(client, api_key: str, payload: dict | None = None, **headers):
    return client.post("/api/v1/comments", json=payload if payload is not None else comment_payload(),
                       headers=auth(api_key, **headers))


def post_raw(client, api_key: str | None, data: bytes, content_type: str = "application/json", **headers):
    if api_key is not None:
        headers = auth(api_key, **headers)
    return client.post("/api/v1/comments", data=data, content_type=content_type, headers=headers)


def assert_problem(response, status: int, pointer: str | None = None) -> dict:
    """The response is an RFC 9457 problem with ``status`` (and an error at ``pointer``)."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == PROBLEM_TYPE
    problem = jsonlib.loads(response.get_data())
    assert problem["status"] == status and problem["title"] and problem["type"]
    if pointer is not None:
        assert pointer in [error["pointer"] for error in problem.get("errors", [])], problem
    return problem


# Store topologies the end-to-end tests run on (``store_settings`` in tests/conftest.py).
STORE_TOPOLOGIES = ("single", "cluster", "sentinel")
