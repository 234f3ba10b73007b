"""The production-like setup stays deployable: docker-compose.yml is a valid Compose file that runs the same
commands as the Makefile, and `manage.py check --deploy` is clean with DEBUG off (docs/interfaces.md section 6).

No Docker engine runs where the tests run (CI, development machines), so the Compose file is checked against the
Compose Specification's JSON schema, as shipped (with its licence) inside the check-jsonschema package."""

import copy
import importlib.resources
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def compose_validator():
    schema_file = importlib.resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_docker_compose_file_follows_the_compose_specification(compose_validator, compose):
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in compose_validator.iter_errors(compose)]
    assert errors == []


def test_the_schema_check_catches_a_broken_compose_file(compose_validator, compose):
    broken = copy.deepcopy(compose)
    broken["services"]["web"]["ports"] = "8000:8000"  # must be a list
    broken["services"]["web"]["restart_policy"] = "always"  # no such key
    assert len(list(compose_validator.iter_errors(broken))) >= 2


def lint_recipe() -> list[str]:
    """The commands of the Makefile's `lint` target, as make runs them."""
    lines = (ROOT / "Makefile").read_text(encoding="utf-8").splitlines()
    start = lines.index(next(line for line in lines if line.startswith("lint:")))
    recipe = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip().replace("$(VENV)", ".venv").replace("$(PY)", ".venv/bin/python"))
    return recipe


def test_make_lint_checks_the_compose_file_against_the_specification(tmp_path, compose):
    """CI runs `make lint` (.ci/run): its check of docker-compose.yml passes, and fails on a broken copy."""
    (command,) = [line for line in lint_recipe() if "docker-compose.yml" in line]
    assert command.startswith(".venv/bin/check-jsonschema --builtin-schema vendor.compose-spec ")
    passed = subprocess.run(command.split(), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    broken = copy.deepcopy(compose)
    broken["services"]["worker"]["healthcheck"]["interval"] = 60  # a duration is a string, "60s"
    (tmp_path / "docker-compose.yml").write_text(yaml.safe_dump(broken), encoding="utf-8")
    arguments = [
        str(tmp_path / "docker-compose.yml") if part == "docker-compose.yml" else part for part in command.split()
    ]
    failed = subprocess.run(arguments, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert failed.returncode == 1
    assert "interval" in failed.stdout


def test_compose_runs_web_worker_beat_postgresql_and_redis(compose):
    services = compose["services"]
    assert set(services) >= {"web", "worker", "beat", "db", "redis"}
    assert "gunicorn careleavers.wsgi" in services["web"]["command"]
    assert services["db"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")
    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert environment["REDIS_URL"].startswith("redis://redis:6379")
    assert services["web"]["healthcheck"]["test"][-1].endswith("/health/')")


def test_compose_and_make_run_start_celery_from_the_one_procfile(compose):
    lines = (ROOT / "Procfile").read_text(encoding="utf-8").splitlines()
    procfile = dict(line.split(":", 1) for line in lines if line and not line.startswith("#"))
    assert procfile.keys() >= {"web", "worker", "beat"}
    for role in ("worker", "beat"):
        assert procfile[role].strip().startswith(f"celery -A careleavers {role}")
        assert compose["services"][role]["command"] == f"honcho start --no-prefix {role}"
    assert "honcho start" in (ROOT / "Makefile").read_text(encoding="utf-8")


def test_check_deploy_reports_no_issues_with_debug_off(tmp_path):
    # A production environment: none of the test run's relaxations (the browser tests allow async-unsafe ORM).
    relaxed = {"SECURE_SSL_REDIRECT", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {key: value for key, value in os.environ.items() if key not in relaxed}
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="careleavers.example.gov.uk",
        DATABASE_URL=env.get("DATABASE_URL", f"sqlite:///{tmp_path / 'deploy.sqlite3'}"),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


@pytest.mark.skipif((ROOT / ".env").exists(), reason="a local .env may provide SECRET_KEY")
def test_the_product_refuses_to_serve_without_a_secret_key_when_debug_is_off():
    env = {key: value for key, value in os.environ.items() if key not in {"SECRET_KEY", "DEBUG"}}
    env["DEBUG"] = "false"

    def run(*args):
        return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    served = run("-c", "import careleavers.wsgi")
    assert served.returncode != 0
    assert "Set the SECRET_KEY environment variable" in served.stderr
    deploy_check = run("manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert deploy_check.returncode != 0
    assert "security.W009" in deploy_check.stderr + deploy_check.stdout
    # Commands that sign nothing still run, so a developer can check for missing migrations without a secret.
    assert run("manage.py", "makemigrations", "--check", "--dry-run").returncode == 0


@pytest.mark.parametrize(("debug", "kept_for"), [("false", 60), ("true", 0)])
def test_a_served_process_keeps_its_database_connection_and_the_development_server_does_not(debug, kept_for):
    """Serving (DEBUG off, as gunicorn in compose), a process keeps its connection for a minute and checks it
    before reuse; the development server's thread per request opens its own (Django's advice)."""
    env = {key: value for key, value in os.environ.items() if key not in {"CONN_MAX_AGE", "DEBUG"}}
    env.update(DEBUG=debug, DJANGO_SETTINGS_MODULE="careleavers.settings")
    code = (
        "from django.conf import settings; database = settings.DATABASES['default']; "
        "print(database['CONN_MAX_AGE'], database['CONN_HEALTH_CHECKS'])"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(kept_for), "True"]


def test_compose_checks_the_health_of_worker_and_beat_and_keeps_exports_in_a_private_volume(compose):
    services = compose["services"]
    worker_check = " ".join(services["worker"]["healthcheck"]["test"])
    assert "celery -A careleavers inspect ping --destination celery@$$HOSTNAME" in worker_check
    assert services["beat"]["healthcheck"]["test"] == ["CMD", "python", "manage.py", "check_beat"]
    assert services["beat"]["deploy"]["replicas"] == 1
    for name in ("web", "worker"):
        assert "exports:/app/var/exports" in services[name]["volumes"]
    assert "exports" in compose["volumes"]
    assert all("exports" not in str(service.get("ports", "")) for service in services.values())
