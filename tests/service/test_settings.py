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
