"""Password guessing: django-axes locks an email address out, from one IP address, after AXES_FAILURE_LIMIT failures."""

import datetime
import re

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import override_settings

from .factories import UserFactory
from .test_settings import production_env, run_python

pytestmark = pytest.mark.django_db

SIGN_IN = "/sign-in/"
PASSWORD = "Correct-Horse-42"  # the factories' password
LIMIT = settings.AXES_FAILURE_LIMIT
LOCKOUT_TEXT = [
    "You have tried to sign in too many times",
    "Wait 15 minutes, then try again.",
    "If you have forgotten your password, ask your administrator.",
]


def sign_in(client, email: str, password: str, **request):
    return client.post(SIGN_IN, {"email": email, "password": password}, **request)


def fail(client, email: str, times: int, **request) -> list[int]:
    return [sign_in(client, email, f"wrong-password-{n}", **request).status_code for n in range(times)]


def is_lockout_page(response) -> bool:
    html = re.sub(r"\s+", " ", response.content.decode())
    return response.status_code == 429 and all(text in html for text in LOCKOUT_TEXT)


def test_five_wrong_passwords_lock_the_email_out_and_then_even_the_right_one_is_refused(client, inspector):
    # The case of the address does not matter, to the count as to signing in.
    emails = [inspector.email, inspector.email.upper(), f" {inspector.email.title()} "]
    statuses = [sign_in(client, emails[n % 3], f"wrong-password-{n}").status_code for n in range(LIMIT)]
    # The failures before the limit get the sign-in page's own error; the one that reaches it, the lockout page.
    assert statuses == [200] * (LIMIT - 1) + [429]

    response = sign_in(client, inspector.email, PASSWORD)
    assert is_lockout_page(response)
    assert "<title>You have tried to sign in too many times – " in response.content.decode()
    assert SESSION_KEY not in client.session
    assert not AccessLog.objects.exists()  # no successful sign-in was recorded
    assert client.get("/").status_code == 302


def test_another_email_from_the_same_address_and_the_same_email_from_another_address_can_sign_in(
    client, inspector, lead_inspector
):
    assert fail(client, inspector.email, LIMIT)[-1] == 429

    response = sign_in(client, lead_inspector.email, PASSWORD)
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(lead_inspector.pk)
    client.logout()

    # A guesser elsewhere cannot lock a colleague out: the lockout is the email and the IP address together.
    response = sign_in(client, inspector.email, PASSWORD, REMOTE_ADDR="198.51.100.20")
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(inspector.pk)


def test_signing_in_before_the_limit_starts_the_count_again(client, inspector):
    assert fail(client, inspector.email, LIMIT - 1) == [200] * (LIMIT - 1)
    assert AccessAttempt.objects.get(username=inspector.email).failures_since_start == LIMIT - 1

    assert sign_in(client, inspector.email, PASSWORD).status_code == 302
    assert not AccessAttempt.objects.exists()
    client.post("/sign-out/")

    # A full allowance again: LIMIT - 1 more failures are still answered by the sign-in page.
    assert fail(client, inspector.email, LIMIT - 1) == [200] * (LIMIT - 1)
    assert sign_in(client, inspector.email, PASSWORD).status_code == 302


def test_every_failure_and_the_lockout_are_recorded_without_the_passwords(client, inspector):
    fail(client, inspector.email.upper(), LIMIT)
    sign_in(client, inspector.email, PASSWORD)

    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address) == (inspector.email, "127.0.0.1")
    # The right password during the lockout counts too, and starts the wait again (axes' default).
    assert attempt.failures_since_start == LIMIT + 1
    assert "wrong-password" not in attempt.post_data
    assert PASSWORD not in attempt.post_data

    log = list(AccessFailureLog.objects.order_by("attempt_time", "pk").values_list("username", "locked_out"))
    assert log == [(inspector.email, False)] * (LIMIT - 1) + [(inspector.email, True)] * 2


def test_after_the_cool_off_the_right_password_signs_in(client, inspector):
    fail(client, inspector.email, LIMIT)
    # What 15 minutes without an attempt does.
    AccessAttempt.objects.update(attempt_time=datetime.datetime.now(datetime.UTC) - settings.AXES_COOLOFF_TIME)

    response = sign_in(client, inspector.email, PASSWORD)
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(inspector.pk)
    assert not AccessAttempt.objects.exists()


@override_settings(DEMO_LOGINS_ALLOWED=False)
def test_the_demo_password_is_still_refused_under_production_settings_and_counts_as_a_failure(client):
    UserFactory(email="lead@demo.test", password=settings.DEMO_PASSWORD)
    response = sign_in(client, "lead@demo.test", settings.DEMO_PASSWORD)
    assert response.status_code == 200
    assert "Enter a correct email address and password" in response.content.decode()
    assert SESSION_KEY not in client.session
    assert AccessAttempt.objects.get(username="lead@demo.test").failures_since_start == 1

    fail(client, "lead@demo.test", LIMIT - 1)
    response = sign_in(client, "lead@demo.test", settings.DEMO_PASSWORD)
    assert is_lockout_page(response)
    assert SESSION_KEY not in client.session


def test_the_admin_sign_in_page_counts_against_the_same_email_address(client, administrator):
    admin_form = {"username": administrator.email.upper(), "password": "wrong-password", "next": "/admin/"}
    for _ in range(LIMIT - 1):
        assert client.post("/admin/login/", admin_form).status_code == 200
    # The last failure on the service's own page: one count, whichever form was used.
    assert sign_in(client, administrator.email, "wrong-password").status_code == 429

    response = client.post("/admin/login/", {**admin_form, "password": PASSWORD})
    assert is_lockout_page(response)
    assert SESSION_KEY not in client.session


@override_settings(AXES_IPWARE_META_PRECEDENCE_ORDER=["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"], AXES_IPWARE_PROXY_COUNT=0)
def test_behind_one_proxy_the_client_address_comes_from_its_header_and_a_longer_one_is_not_believed(client, inspector):
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    sign_in(client, inspector.email, "wrong-password", HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy)
    # A header the client sent itself, which the proxy appended to: each guess would otherwise be a new address.
    for n in range(3):
        sign_in(client, inspector.email, "wrong-password", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 203.0.113.7", **proxy)

    attempts = dict(AccessAttempt.objects.values_list("ip_address", "failures_since_start"))
    assert attempts == {"203.0.113.7": 1, "10.0.0.2": 3}


def test_the_limit_is_five_failures_unless_the_environment_says_otherwise_and_the_wait_15_minutes():
    code = "import django; django.setup(); from django.conf import settings; "
    code += "print(settings.AXES_FAILURE_LIMIT, settings.AXES_COOLOFF_TIME)"
    assert run_python(code, production_env()).stdout.strip() == "5 0:15:00"
    assert run_python(code, production_env(AXES_FAILURE_LIMIT="8")).stdout.strip() == "8 0:15:00"


def test_production_settings_refuse_to_read_a_header_for_the_address_without_a_proxy_count():
    env = production_env(AXES_IPWARE_META_PRECEDENCE_ORDER="HTTP_X_FORWARDED_FOR,REMOTE_ADDR")
    result = run_python("import django; django.setup()", env)
    assert result.returncode != 0
    assert "Set AXES_IPWARE_PROXY_COUNT" in result.stderr

    result = run_python(
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.AXES_IPWARE_META_PRECEDENCE_ORDER, settings.AXES_IPWARE_PROXY_COUNT)",
        {**env, "AXES_IPWARE_PROXY_COUNT": "0"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['HTTP_X_FORWARDED_FOR', 'REMOTE_ADDR'] 0"
