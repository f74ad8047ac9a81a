"""Dashboard accounts: hashed passwords, sessions in Redis, revocation, login throttle, and the
admin API accepting a session (with its CSRF token, role and sites)."""
import pytest

from moderation.store.accounts import AccountError, AccountStore, LoginThrottled
from tests.service.helpers import DEFAULT_POLICY


@pytest.fixture
def settings_overrides():
    return {"policy_file": DEFAULT_POLICY}


@pytest.fixture
def accounts(store_redis):
    return AccountStore(store_redis, session_seconds=60, login_limit=3, login_window=900)


def test_passwords_are_hashed_and_sessions_revocable(accounts, store_redis):
    accounts.create("ada", "correct horse battery", "moderator", ["site-a"])
    stored = store_redis.hgetall("mod:user:ada")
    assert "correct horse" not in str(stored) and stored["password_hash"].startswith("$argon2id$")
    assert accounts.login("ada", "wrong password!!", "10.0.0.1") is None
    token, session = accounts.login("ada", "correct horse battery", "10.0.0.1")
    assert accounts.session(token).account.name == "ada"
    assert accounts.session(token + "x") is None
    assert accounts.revoke_sessions("ada") == 1
    assert accounts.session(token) is None
    with pytest.raises(AccountError):
        accounts.create("ada", "another long one", "moderator")
    with pytest.raises(AccountError):
        accounts.create("bob", "short", "moderator")


def test_failed_logins_are_throttled_even_with_the_right_password(accounts):
    accounts.create("ada", "correct horse battery", "admin")
    for _ in range(3):
        assert accounts.login("ada", "nope nope nope", "10.0.0.2") is None
    with pytest.raises(LoginThrottled):
        accounts.login("ada", "correct horse battery", "10.0.0.2")


def test_the_admin_api_takes_a_session_with_csrf_role_and_sites(app, client, site):
    accounts = app.extensions["moderation"].accounts
    accounts.create("mod", "correct horse battery", "moderator", [site.id])
    accounts.create("other", "correct horse battery", "moderator", ["elsewhere"])
    token, session = accounts.login("mod", "correct horse battery", "127.0.0.1")
    client.set_cookie("mod_session", token)
    assert client.get(f"/api/v1/admin/sites/{site.id}/comments").status_code == 200
    assert client.get(f"/api/v1/admin/sites/{site.id}/policy").status_code == 403  # admin role only
    body = {"action": "ban", "entry": "troll@example.org"}
    assert client.post(f"/api/v1/admin/sites/{site.id}/commenters", json=body).status_code == 403  # no CSRF
    assert client.post(f"/api/v1/admin/sites/{site.id}/commenters", json=body,
                       headers={"X-CSRF-Token": session.csrf_token}).status_code == 200
    other_token, _ = accounts.login("other", "correct horse battery", "127.0.0.1")
    client.set_cookie("mod_session", other_token)
    assert client.get(f"/api/v1/admin/sites/{site.id}/comments").status_code == 403
    client.delete_cookie("mod_session")
    assert client.get(f"/api/v1/admin/sites/{site.id}/comments").status_code == 401
