"""Settings come from MODERATION_* variables, with defaults."""
import pytest

from moderation.settings import Settings


def test_defaults_without_environment():
    settings = Settings.from_env({})
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.effective_broker_url == settings.redis_url
    assert settings.max_body_bytes == 65536 and settings.redis_socket_timeout == 1.0
    assert settings.rate_limit_window == (30, 60)


def test_values_are_read_and_typed():
    settings = Settings.from_env({"MODERATION_REDIS_URL": "redis://r:1/2", "MODERATION_BROKER_URL": "redis://b:1/0",
                                  "MODERATION_MAX_ATTEMPTS": "7", "MODERATION_REDIS_SOCKET_TIMEOUT": "0.5",
                                  "MODERATION_RATE_LIMIT": "5/hour", "OTHER": "ignored"})
    assert (settings.redis_url, settings.effective_broker_url) == ("redis://r:1/2", "redis://b:1/0")
    assert settings.max_attempts == 7 and settings.redis_socket_timeout == 0.5
    assert settings.rate_limit_window == (5, 3600)


@pytest.mark.parametrize("name, value", [("MODERATION_MAX_ATTEMPTS", "many"), ("MODERATION_RATE_LIMIT", "5/fortnight"),
                                         ("MODERATION_RATE_LIMIT", "x/minute")])
def test_bad_values_fail_loudly_with_the_variable_name(name, value):
    with pytest.raises(ValueError, match="MODERATION_"):
        Settings.from_env({name: value})


def test_a_cluster_store_needs_a_broker_of_its_own():
    with pytest.raises(ValueError, match="MODERATION_BROKER_URL"):
        Settings.from_env({"MODERATION_REDIS_TOPOLOGY": "cluster", "MODERATION_REDIS_URL": "redis://a:7000"})
    settings = Settings.from_env({"MODERATION_REDIS_TOPOLOGY": "cluster", "MODERATION_REDIS_URL": "redis://a:7000",
                                  "MODERATION_BROKER_URL": "redis://b:6379/0"})
    assert settings.effective_broker_url == "redis://b:6379/0" and not settings.broker_is_store


def test_a_sentinel_store_names_its_primary_and_lends_its_sentinels_to_the_broker():
    with pytest.raises(ValueError, match="MODERATION_REDIS_SENTINEL_MASTER"):
        Settings.from_env({"MODERATION_REDIS_TOPOLOGY": "sentinel", "MODERATION_REDIS_URL": "redis://s1:26379"})
    settings = Settings.from_env({"MODERATION_REDIS_TOPOLOGY": "sentinel", "MODERATION_REDIS_SENTINEL_MASTER": "news",
                                  "MODERATION_REDIS_URL": "redis://s1:26379/2, s2:26380"})
    assert settings.effective_broker_url == "sentinel://s1:26379/2;sentinel://s2:26380"
    assert settings.broker_sentinel_name == "news" and settings.broker_is_store  # the same primary


@pytest.mark.parametrize("environ, is_store", [
    ({}, True),
    ({"MODERATION_BROKER_URL": "redis://127.0.0.1:6379/0"}, True),  # spelled out, still the store
    ({"MODERATION_BROKER_URL": "redis://localhost:6379/0"}, False),  # another name: publish through Celery
    ({"MODERATION_BROKER_URL": "amqp://rabbit//"}, False),
])
def test_store_scripts_push_task_messages_only_onto_the_stores_own_redis(environ, is_store):
    assert Settings.from_env({"MODERATION_REDIS_URL": "redis://127.0.0.1:6379/0", **environ}).broker_is_store is is_store


def test_an_unknown_topology_is_refused():
    with pytest.raises(ValueError, match="MODERATION_REDIS_TOPOLOGY"):
        Settings.from_env({"MODERATION_REDIS_TOPOLOGY": "galaxy"})


def test_a_missing_or_wrong_policy_file_stops_the_app_at_start(tmp_path, redis_url):
    from moderation import create_app
    from moderation.policy import PolicyError
    with pytest.raises(FileNotFoundError):
        create_app({"MODERATION_REDIS_URL": redis_url, "MODERATION_POLICY_FILE": str(tmp_path / "missing.toml")})
    wrong = tmp_path / "wrong.toml"
    wrong.write_text('mode = "sometimes"\n')
    with pytest.raises(PolicyError):
        create_app({"MODERATION_REDIS_URL": redis_url, "MODERATION_POLICY_FILE": str(wrong)})


def test_formats_settings_come_through_settings(monkeypatch):
    """The formats code reads its two settings through Settings (value_from_env), as the app does."""
    from moderation.formats.engines import ENGINES, get_engine
    from moderation.settings import SANITIZERS

    assert set(SANITIZERS) == set(ENGINES)
    environ = {"MODERATION_SANITIZER": "bleach", "MODERATION_FORMATS_FILE": "/etc/formats.toml"}
    assert Settings.value_from_env("sanitizer", environ) == Settings.from_env(environ).sanitizer == "bleach"
    assert Settings.value_from_env("formats_file", environ) == "/etc/formats.toml"
    assert Settings.value_from_env("sanitizer", {}) == "nh3" and Settings.value_from_env("formats_file", {}) == ""
    with pytest.raises(ValueError, match="MODERATION_SANITIZER must be one of nh3, bleach"):
        Settings.from_env({"MODERATION_SANITIZER": "lxml"})
    monkeypatch.setenv("MODERATION_SANITIZER", "bleach")
    assert type(get_engine()).__name__ == "BleachEngine"
