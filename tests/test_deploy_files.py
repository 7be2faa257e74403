"""The deployment files, checked by reading them: no Docker engine runs on the CI machine.

docker-compose.yml must describe the stack the README promises, the Dockerfile must
build what compose refers to, and .env.example must document every variable the
settings and compose read, and nothing they do not.
"""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ["migrate", "web", "worker", "beat"]
# Read by Django and Celery themselves rather than by a settings module, so no env() call shows them.
READ_OUTSIDE_SETTINGS = {"DJANGO_SETTINGS_MODULE"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def command(service: dict) -> str:
    cmd = service["command"]
    return " ".join(cmd) if isinstance(cmd, list) else cmd


def settings_variables() -> set[str]:
    """Every variable a settings module reads through django-environ or os.environ."""
    pattern = re.compile(
        r"""(?:\benv(?:\.\w+)?\(|os\.environ\.get\(|os\.environ\[|os\.getenv\()\s*["']([A-Z][A-Z0-9_]*)["']"""
    )
    found = set()
    for path in (ROOT / "config" / "settings").glob("*.py"):
        found |= set(pattern.findall(path.read_text()))
    return found


def compose_variables() -> set[str]:
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", (ROOT / "docker-compose.yml").read_text()))


def documented_variables() -> set[str]:
    """Names in .env.example, whether set or shown commented out as `# NAME=`."""
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def test_the_stack_has_postgres_16_redis_7_web_worker_and_beat(compose):
    services = compose["services"]
    assert set(services) == {"postgres", "redis", *APP_SERVICES}
    assert services["postgres"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"
    assert "healthcheck" in services["postgres"]
    assert "healthcheck" in services["redis"]


def test_each_process_runs_the_right_command(compose):
    services = compose["services"]
    assert command(services["migrate"]) == "python manage.py migrate --noinput"
    assert command(services["web"]).startswith("gunicorn config.wsgi --bind 0.0.0.0:8000")
    assert command(services["worker"]).startswith("celery -A config worker")
    assert command(services["beat"]).startswith("celery -A config beat")
    assert services["web"]["ports"] == ["8000:8000"]


def test_migrations_finish_before_the_web_worker_and_beat_start(compose):
    services = compose["services"]
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name in ["web", "worker", "beat"]:
        assert services[name]["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"},
        }, name


def test_every_app_process_gets_the_production_environment(compose):
    for name in APP_SERVICES:
        env = compose["services"][name]["environment"]
        assert env["DJANGO_SETTINGS_MODULE"] == "${DJANGO_SETTINGS_MODULE:-config.settings.production}", name
        # A missing secret stops `docker compose` with a message, as the production settings would.
        assert env["DJANGO_SECRET_KEY"].startswith("${DJANGO_SECRET_KEY:?"), name
        # Migrations run as the tables' owner; every other process as the role that owns nothing.
        owner = "postgres://probation:${POSTGRES_PASSWORD:?"
        app = "postgres://probation_app:${POSTGRES_APP_PASSWORD:?"
        assert env["DATABASE_URL"].startswith(owner if name == "migrate" else app), name
        assert env["DATABASE_URL"].endswith("@postgres:5432/probation_inspections"), name
        assert env["REDIS_URL"] == "redis://redis:6379/0", name
        assert "media:/app/media" in compose["services"][name]["volumes"], name
    postgres = compose["services"]["postgres"]["environment"]
    assert postgres["POSTGRES_USER"] == "probation"
    assert postgres["POSTGRES_DB"] == "probation_inspections"


def test_everything_compose_builds_or_mounts_exists(compose):
    for name, service in compose["services"].items():
        build = service.get("build")
        if build is None:
            assert re.fullmatch(r"(postgres|redis):\d+", service["image"]), name
            continue
        context = ROOT / (build if isinstance(build, str) else build.get("context", "."))
        dockerfile = build.get("dockerfile", "Dockerfile") if isinstance(build, dict) else "Dockerfile"
        assert (context / dockerfile).is_file(), name
    named = set(compose["volumes"])
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            assert volume.split(":")[0] in named, f"{name}: {volume}"


def test_the_dockerfile_builds_a_slim_non_root_image_with_collected_static_files(dockerfile):
    instructions = [line.strip() for line in dockerfile.splitlines() if line.strip() and not line.startswith("#")]
    assert instructions[0] == "FROM python:3.11-slim"
    assert "COPY requirements.txt ." in instructions
    assert "RUN pip install -r requirements.txt" in instructions
    assert "python manage.py collectstatic --noinput" in dockerfile
    users = [line.split()[1] for line in instructions if line.startswith("USER ")]
    assert users and users[-1] not in {"root", "0"}
    assert instructions[-1].startswith('CMD ["gunicorn", "config.wsgi"')
    # Every file the Dockerfile copies by name is in the repository.
    for line in instructions:
        if line.startswith("COPY ") and "--from" not in line:
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), source


def test_secrets_and_local_state_stay_out_of_the_image():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {".env", ".venv", ".pgdata", ".git", "staticfiles", "media"} <= ignored


def test_env_example_documents_every_variable_the_settings_and_compose_read():
    read = settings_variables() | compose_variables() | READ_OUTSIDE_SETTINGS
    documented = documented_variables()
    assert read - documented == set(), "read but not documented in .env.example"
    assert documented - read == set(), "documented in .env.example but read nowhere"
    # The production essentials are among them, so the scan itself is known to work.
    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "POSTGRES_PASSWORD"} <= documented


def test_the_readme_lists_every_environment_variable():
    readme = (ROOT / "README.md").read_text()
    missing = {name for name in documented_variables() if f"`{name}`" not in readme}
    assert missing == set()


def test_the_readmes_commands_are_make_targets():
    makefile = (ROOT / "Makefile").read_text()
    readme = (ROOT / "README.md").read_text()
    for target in set(re.findall(r"`make (\w[\w-]*)`", readme)):
        assert re.search(rf"^{re.escape(target)}:", makefile, flags=re.MULTILINE), target


def test_the_dockerfiles_collectstatic_step_succeeds_under_production_settings(tmp_path):
    # The same command the image build runs, into a temporary folder: a missing asset or a
    # broken CSS reference fails here rather than in a Docker build nobody ran.
    (tmp_path / "collect_settings.py").write_text(
        f"from config.settings.production import *  # noqa\nSTATIC_ROOT = {str(tmp_path / 'static')!r}\n"
    )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}",
        "DJANGO_SETTINGS_MODULE": "collect_settings",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": "postgres://collectstatic@localhost/collectstatic",
        "REDIS_URL": "redis://localhost:6379/0",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "static" / "staticfiles.json").is_file()
