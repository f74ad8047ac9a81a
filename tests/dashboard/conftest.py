"""Dashboard fixtures: accounts, a logged-in test client, comments decided by the real pipeline."""
from __future__ import annotations

import re

import pytest

from moderation.processing import process_comment
from tests.service.helpers import DEFAULT_POLICY, comment_payload, post_comment

PASSWORD = "correct horse battery"


@pytest.fixture
def settings_overrides():
    return {"policy_file": DEFAULT_POLICY}


@pytest.fixture
def accounts(app):
    return app.extensions["moderation"].accounts


def login(client, name: str, password: str = PASSWORD):
    return client.post("/admin/login", data={"name": name, "password": password, "next": "/admin/"})


def csrf_of(client) -> str:
    """The CSRF token the dashboard prints in its pages (as a browser would read it)."""
    page = client.get("/admin/").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


@pytest.fixture
def moderator(app, accounts, site):
    """A test client logged in as a moderator of the test site, and its CSRF token."""
    accounts.create("mia", PASSWORD, "moderator", [site.id])
    client = app.test_client()
    assert login(client, "mia").status_code == 302
    return client, csrf_of(client)


@pytest.fixture
def admin(app, accounts):
    accounts.create("ada", PASSWORD, "admin")
    client = app.test_client()
    assert login(client, "ada").status_code == 302
    return client, csrf_of(client)


@pytest.fixture
def decided(app, client, site, site_key, comment_store):
    """post(body, **fields) -> the comment after the real processing (no worker process)."""
    def post(body: str, **fields):
        response = post_comment(client, site_key, comment_payload(body=body, **fields))
        assert response.status_code == 202, response.get_data(as_text=True)
        comment_id = response.get_json()["id"]
        process_comment(comment_store, site.id, comment_id)
        return comment_store.get(site.id, comment_id)
    return post
