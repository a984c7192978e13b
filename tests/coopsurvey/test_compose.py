"""docker-compose.yml checked statically: there is no Docker engine on CI machines."""

import importlib
import re
import shlex
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def command_words(service: dict) -> list[str]:
    command = service["command"]
    return command if isinstance(command, list) else shlex.split(command)


def test_it_names_the_five_services():
    assert set(compose()["services"]) == {"web", "worker", "beat", "db", "redis"}


def test_every_service_has_a_health_check():
    for name, service in compose()["services"].items():
        assert "healthcheck" in service, name


def test_the_database_is_postgresql_16_on_a_volume():
    db = compose()["services"]["db"]
    assert db["image"] == "postgres:16"
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in db["volumes"])
    assert "pgdata" in compose()["volumes"]


def test_app_services_share_one_image_built_by_the_dockerfile():
    services = compose()["services"]
    images = {services[name]["image"] for name in ("web", "worker", "beat")}
    assert images == {"coopsurvey:latest"}
    assert all(services[name]["build"] == "." for name in ("web", "worker", "beat"))
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "requirements/base.txt" in dockerfile
    assert (ROOT / "requirements" / "base.txt").exists()


def test_web_runs_migrations_then_gunicorn_on_an_existing_module():
    words = " ".join(command_words(compose()["services"]["web"]))
    assert words.index("manage.py migrate") < words.index("gunicorn")
    target = re.search(r"gunicorn (\S+):(\w+)", words)
    assert target
    module = importlib.import_module(target.group(1))
    assert callable(getattr(module, target.group(2)))


def test_worker_and_beat_point_at_the_celery_app():
    for name, subcommand in (("worker", "worker"), ("beat", "beat")):
        words = command_words(compose()["services"][name])
        assert words[:4] == ["celery", "-A", "coopsurvey", subcommand]
    module = importlib.import_module("coopsurvey.celery")
    assert module.app.main == "coopsurvey"


def test_app_services_wait_for_healthy_database_and_redis():
    for name in ("web", "worker", "beat"):
        depends = compose()["services"][name]["depends_on"]
        assert depends == {"db": {"condition": "service_healthy"}, "redis": {"condition": "service_healthy"}}


def test_every_variable_the_settings_read_is_documented_in_env_example():
    settings_source = (ROOT / "coopsurvey" / "settings.py").read_text()
    read = set(re.findall(r'env_(?:str|bool|int|list|url)\(\s*"([A-Z_]+)"', settings_source))
    read |= set(re.findall(r'email_settings\("([A-Z_]+)"\)', settings_source))
    documented = set(re.findall(r"^#?\s*([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    assert read - documented == set()
