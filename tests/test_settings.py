"""Production settings fail loudly, pass Django's deployment checks, and refuse the demo password."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.test import override_settings

from .factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent

# Stops base.py reading a developer's own .env, so the subprocess sees only the environment given here.
IGNORE_DOTENV = "import environ; environ.Env.read_env = lambda *args, **kwargs: None; "


def production_env(**overrides: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/probation_inspections",
        "REDIS_URL": "redis://127.0.0.1:6379/15",
    }
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", IGNORE_DOTENV + code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL"])
def test_production_settings_refuse_to_start_without_each_secret(missing):
    result = run_python("import django; django.setup()", production_env(**{missing: None}))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"Set the {missing} environment variable" in result.stderr


def test_production_settings_turn_demo_logins_off_and_use_the_email_backend_behind_the_lockout():
    result = run_python(
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DEMO_LOGINS_ALLOWED, settings.DEBUG, settings.CELERY_TASK_ALWAYS_EAGER, "
        "settings.AUTHENTICATION_BACKENDS)",
        production_env(),
    )
    assert result.returncode == 0, result.stderr
    assert (
        result.stdout.strip()
        == "False False False ['axes.backends.AxesStandaloneBackend', 'accounts.backends.EmailBackend']"
    )


def test_production_settings_pass_the_deployment_checks_without_warnings():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            IGNORE_DOTENV + "import sys; from django.core.management import execute_from_command_line;"
            " execute_from_command_line(sys.argv)",
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
        ],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.django_db
def test_sign_in_is_by_email_whatever_its_case(rf):
    # django-axes, the first backend, needs the request (for the IP address) on every authenticate().
    request = rf.post("/sign-in/")
    user = UserFactory(email="inspector@demo.test", password="Correct-Horse-42")
    assert authenticate(request, username="Inspector@Demo.TEST", password="Correct-Horse-42") == user
    assert authenticate(request, email=" inspector@demo.test ", password="Correct-Horse-42") == user
    assert authenticate(request, username="inspector@demo.test", password="wrong-password-1") is None
    assert authenticate(request, username="nobody@demo.test", password="Correct-Horse-42") is None


@pytest.mark.django_db
def test_the_demo_password_is_refused_when_demo_logins_are_off(rf):
    request = rf.post("/sign-in/")
    user = UserFactory(email="lead@demo.test", password=settings.DEMO_PASSWORD)
    with override_settings(DEMO_LOGINS_ALLOWED=True):
        assert authenticate(request, username="lead@demo.test", password=settings.DEMO_PASSWORD) == user
    with override_settings(DEMO_LOGINS_ALLOWED=False):
        assert authenticate(request, username="lead@demo.test", password=settings.DEMO_PASSWORD) is None
        # The same account with a real password of its own still signs in.
        user.set_password("A-real-passphrase-of-its-own")
        user.save()
        assert authenticate(request, username="lead@demo.test", password="A-real-passphrase-of-its-own") == user


@pytest.mark.django_db
def test_the_admin_sign_in_page_refuses_the_demo_password_when_demo_logins_are_off(client):
    UserFactory(email="admin@demo.test", password=settings.DEMO_PASSWORD, is_staff=True, is_superuser=True)
    form = {"username": "admin@demo.test", "password": settings.DEMO_PASSWORD, "next": "/admin/"}
    with override_settings(DEMO_LOGINS_ALLOWED=False):
        response = client.post("/admin/login/", form)
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session
    with override_settings(DEMO_LOGINS_ALLOWED=True):
        assert client.post("/admin/login/", form).status_code == 302
        assert "_auth_user_id" in client.session


@pytest.mark.django_db
def test_a_deactivated_account_cannot_sign_in(rf):
    request = rf.post("/sign-in/")
    UserFactory(email="gone@example.test", password="Correct-Horse-42", is_active=False)
    assert authenticate(request, username="gone@example.test", password="Correct-Horse-42") is None
