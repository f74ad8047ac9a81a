"""docker-compose.yml stays correct for deployers: every command it runs exists in the project,
and workers scale with ``docker compose up --scale worker=N``. (Docker itself is not needed.)"""
from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import yaml

from moderation import create_app

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
# The image copies the project to /app (Dockerfile: WORKDIR /app, COPY config ./config).
IN_IMAGE = Path("/app")


def command_of(service: str) -> list[str]:
    command = SERVICES[service]["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


def project_path(path: str) -> Path:
    """A path inside the image, as a path in this checkout."""
    return ROOT / Path(path).relative_to(IN_IMAGE) if path.startswith("/app/") else ROOT / path


def test_the_services_are_redis_api_worker_and_beat():
    assert set(SERVICES) == {"redis", "api", "worker", "beat"}


def test_the_api_runs_gunicorn_with_our_config_file():
    command = command_of("api")
    assert command[:2] == ["gunicorn", "--config"]
    assert project_path(command[2]).is_file()


@pytest.mark.parametrize("service, subcommand", [("worker", "worker"), ("beat", "beat")])
def test_worker_and_beat_run_celery_on_our_app(service, subcommand):
    command = command_of(service)
    assert command[:4] == ["celery", "-A", "workers", subcommand]
    import workers  # what `-A workers` loads

    app = workers.celery_app
    app.loader.import_default_modules()  # what a worker does at start (the `include` setting)
    assert {"moderation.drain_comments", "moderation.render_comment", "moderation.sweep_stuck_comments"} <= set(
        app.tasks)


def test_redis_uses_our_config_file_and_keeps_its_data():
    redis = SERVICES["redis"]
    config = next(volume for volume in redis["volumes"] if volume.startswith("./config/"))
    assert (ROOT / config.split(":")[0]).is_file() and config.split(":")[1] == redis["command"][1]
    assert any(volume.startswith("redis-data:") for volume in redis["volumes"]) and "redis-data" in COMPOSE["volumes"]


def test_the_api_healthcheck_calls_a_route_the_app_serves():
    probe = " ".join(SERVICES["api"]["healthcheck"]["test"])
    assert "/livez" in probe
    assert create_app({"TESTING": True}).test_client().get("/livez").status_code == 200


def test_workers_can_be_scaled():
    worker = SERVICES["worker"]
    # --scale worker=N needs no fixed container name and no published port.
    assert "container_name" not in worker and "ports" not in worker
    assert worker.get("restart") == "unless-stopped" or COMPOSE["x-moderation-app"]["restart"] == "unless-stopped"


def test_the_environment_names_only_settings_that_exist():
    from moderation.settings import PREFIX, Settings

    known = {PREFIX + name.upper() for name in Settings.__dataclass_fields__}
    named = {name for service in SERVICES.values() for name in (service.get("environment") or {})
             if name.startswith(PREFIX)}
    named |= {name for name in COMPOSE["x-moderation-env"] if name.startswith(PREFIX)}
    assert named and named <= known, named - known
