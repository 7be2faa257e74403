"""Two-factor sign-in as production has it (OTP_REQUIRED): no page, download or API answer with a password alone.

Codes are computed as an authenticator app would, with django_otp.oath.totp from the device's key.
"""

from __future__ import annotations

import datetime
import json
import re

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuthenticatorEvent, User, UserEvent
from accounts.two_factor import issue_recovery_codes
from api.tokens import api_token_create

from .every_page import api_urls, page_urls, published_tracker
from .factories import UserFactory
from .test_authorization_matrix import review  # noqa: F401  (a fixture: a case with its second review and letters)
from .test_settings import production_env, run_python

pytestmark = pytest.mark.django_db

PASSWORD = "Correct-Horse-42"  # the factories' password
SIGN_IN = "/sign-in/"
VERIFY = reverse("accounts:two_factor_verify")
RECOVERY = reverse("accounts:two_factor_recovery")
SET_UP = reverse("accounts:two_factor_set_up")
ROLES = ["inspector", "lead_inspector", "director", "analyst", "administrator"]
LIMIT = settings.AXES_FAILURE_LIMIT


@pytest.fixture(autouse=True)
def production_like(settings):
    settings.OTP_REQUIRED = True
    settings.DEMO_LOGINS_ALLOWED = False


def app_for(user: User) -> tuple[TOTPDevice, list[str]]:
    """A confirmed authenticator app and ten recovery codes, as the set-up page leaves an account."""
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    return device, issue_recovery_codes(user)


def code(device: TOTPDevice, steps: int = 0) -> str:
    """The code the app shows now (or `steps` time steps later: each code is accepted once only)."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0 - steps * device.step, digits=device.digits):06d}"


def sign_in(client, user, password=PASSWORD):
    return client.post(SIGN_IN, {"email": user.email, "password": password})


def location(response) -> str:
    assert response.status_code == 302, response.status_code
    return response["Location"]


def api_refusal(response) -> dict:
    assert response.status_code == 403, response.status_code
    body = json.loads(response.content)
    assert body["code"] == "second_factor_required" and body["status"] == 403 and body["errors"] == {}
    return body


# A password alone opens nothing --------------------------------------------------------------------------------------


@pytest.fixture
def walk(review, lead_inspector, director, analyst, administrator):  # noqa: F811
    action = published_tracker(review.inspection.pdu.region, team=[])
    return page_urls(review, action), api_urls(review, action)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("has_app", [True, False], ids=["with an app", "without one yet"])
def test_a_password_alone_opens_no_page_download_or_api_answer_for_any_role(client, request, walk, role, has_app):
    user = request.getfixturevalue(role)
    if has_app:
        device, _ = app_for(user)
    pages, api = walk
    step = VERIFY if has_app else SET_UP
    assert location(sign_in(client, user)) == f"{step}?next=%2F"
    for name, url in pages.items():
        response = client.get(url)
        assert location(response).startswith(f"{step}?next="), f"{name} {url}: {response.status_code}"
    for url in api.values():
        api_refusal(client.get(url))
    # And no writing either: a POST is sent to the second factor, and the API refuses it in its own shape.
    assert location(client.post(reverse("web:api_tokens"), {"days": "1"})) == step
    api_refusal(client.post(reverse("api:region-list")))

    # With the second factor the same session opens the service.
    if has_app:
        assert location(client.post(VERIFY, {"code": code(device), "next": "/inspections/"})) == "/inspections/"
    else:
        assert client.get(SET_UP).status_code == 200
        device = TOTPDevice.objects.get(user=user, confirmed=False)
        assert client.post(SET_UP, {"code": code(device)}).status_code == 200
    assert client.get(pages["web:home"]).status_code in (200, 302)  # a director's home is their dashboard
    assert client.get(pages["web:inspection_list"]).status_code == 200
    assert client.get(pages["accounts:two_factor"]).status_code == 200
    expected = 200 if role in ("director", "analyst", "administrator") else 403
    assert client.get(api["api:region-list"]).status_code == expected


def test_the_next_page_is_kept_through_the_code_and_only_if_it_is_on_this_site(client, inspector):
    device, _ = app_for(inspector)
    client.get("/inspections/?year=2024")
    assert location(client.get("/inspections/?year=2024")) == "/sign-in/?next=/inspections/%3Fyear%3D2024"
    response = client.post(
        SIGN_IN + "?next=/inspections/%3Fyear%3D2024", {"email": inspector.email, "password": PASSWORD}
    )
    assert location(response) == f"{VERIFY}?next=%2Finspections%2F%3Fyear%3D2024"
    page = client.get(location(response))
    assert '<input type="hidden" name="next" value="/inspections/?year=2024">' in page.content.decode()
    assert location(client.post(VERIFY, {"code": code(device), "next": "/inspections/?year=2024"})) == (
        "/inspections/?year=2024"
    )
    client.post("/sign-out/")
    sign_in(client, inspector)
    assert location(client.post(VERIFY, {"code": code(device, 1), "next": "https://elsewhere.example/"})) == "/"


def test_the_admin_sign_in_leads_to_the_second_factor_too(client, administrator):
    device, _ = app_for(administrator)
    response = client.post("/admin/login/", {"username": administrator.email, "password": PASSWORD, "next": "/admin/"})
    assert location(response) == "/admin/"
    assert location(client.get("/admin/")) == f"{VERIFY}?next=%2Fadmin%2F"
    assert location(client.get("/admin/accounts/user/")).startswith(VERIFY)
    assert location(client.post(VERIFY, {"code": code(device), "next": "/admin/"})) == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_before_the_second_factor_the_page_has_no_menu_but_sign_out(client, analyst):
    app_for(analyst)
    sign_in(client, analyst)
    html = client.get(VERIFY).content.decode()
    assert "Sign out" in html
    for item in ("Inspections", "Dashboards", "API tokens", "Two-factor sign-in"):
        assert f">{item}<" not in html and f"> {item} <" not in re.sub(r"\s+", " ", html), item
    assert 'data-module="app-session-timeout"' not in html
    assert location(client.post("/sign-out/")) == "/sign-in/"
    assert SESSION_KEY not in client.session


# Setting an app up ---------------------------------------------------------------------------------------------------


def test_a_new_account_sets_an_app_up_confirms_it_with_a_code_and_is_shown_ten_recovery_codes_once(client, inspector):
    assert location(sign_in(client, inspector)) == f"{SET_UP}?next=%2F"
    page = client.get(SET_UP)
    html = page.content.decode()
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    device = TOTPDevice.objects.get(user=inspector, confirmed=False)
    secret = re.search(r'id="secret"><code>([A-Z2-7 ]+)</code>', html).group(1)
    from base64 import b32decode

    assert b32decode(secret.replace(" ", "")) == device.bin_key  # the key as text, to type into an app
    assert '<svg class="app-qr-code"' in html and 'role="img"' in html and "style=" not in html
    assert client.get(SET_UP).content.decode().count(secret) == 1  # the same key on every visit until confirmed
    assert TOTPDevice.objects.filter(user=inspector).count() == 1

    wrong = client.post(SET_UP, {"code": f"{(int(code(device)) + 1) % 1_000_000:06d}"})
    assert wrong.status_code == 200
    assert "The code is not correct or has expired" in wrong.content.decode()
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed
    blank = client.post(SET_UP, {"code": ""}).content.decode()
    assert "Enter the 6-digit code from your authenticator app" in blank and "<title>Error: " in blank
    assert "Enter the code as 6 digits, like 123456" in client.post(SET_UP, {"code": "12345"}).content.decode()

    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    done = client.post(SET_UP, {"code": code(device), "next": "/"})
    html = done.content.decode()
    assert done.status_code == 200 and done["Cache-Control"] == "no-store"
    assert "Two-factor sign-in is set up" in html
    shown = re.findall(r"<li><code>([a-z2-7]{4} [a-z2-7]{4})</code></li>", html)
    assert len(shown) == 10 == len(set(shown))
    assert sorted(c.replace(" ", "") for c in shown) == sorted(StaticToken.objects.values_list("token", flat=True))
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get("/").status_code == 200  # verified by the set-up itself
    # Shown once: the set-up page now leads to the user's own page, which shows no code.
    assert location(client.get(SET_UP)) == reverse("accounts:two_factor")
    status = client.get(reverse("accounts:two_factor")).content.decode()
    assert "10 of 10 left" in status and not any(c in status for c in shown)
    # The history: the app added and then confirmed, never its key; the codes issued, in the user's history.
    events = list(AuthenticatorEvent.objects.filter(user=inspector).order_by("pgh_id").values("pgh_label", "confirmed"))
    assert events == [{"pgh_label": "added", "confirmed": False}, {"pgh_label": "changed", "confirmed": True}]
    assert not any(f.name == "key" for f in AuthenticatorEvent._meta.fields)
    assert UserEvent.objects.filter(pgh_obj=inspector, pgh_label="recovery_codes_issued").count() == 1


def test_a_password_alone_cannot_replace_someones_app(client, inspector):
    device, _ = app_for(inspector)
    sign_in(client, inspector)
    assert location(client.get(SET_UP)).startswith(VERIFY)
    assert location(client.post(SET_UP, {"code": "123456"})).startswith(VERIFY)
    assert list(TOTPDevice.objects.filter(user=inspector)) == [device]


# Wrong codes ---------------------------------------------------------------------------------------------------------


def test_a_wrong_code_is_refused_with_its_error_and_counted_against_the_lockout(client, inspector):
    device, _ = app_for(inspector)
    sign_in(client, inspector)
    wrong = f"{(int(code(device)) + 500_000) % 1_000_000:06d}"
    response = client.post(VERIFY, {"code": wrong})
    html = response.content.decode()
    assert response.status_code == 200 and "<title>Error: Enter the code from your authenticator app" in html
    assert "The code is not correct or has expired. Enter the code your authenticator app shows now" in html
    assert 'href="#code"' in html  # the error summary links to the field
    assert client.get("/").status_code == 302
    attempt = AccessAttempt.objects.get(username=inspector.email)
    assert attempt.failures_since_start == 1
    assert wrong not in attempt.post_data  # axes keeps no code
    assert AccessFailureLog.objects.get().path_info == VERIFY
    assert TOTPDevice.objects.get(pk=device.pk).throttling_failure_count == 1  # django-otp's own throttle
    # A code in the wrong form is an error to correct, not a guess.
    assert "Enter the code as 6 digits" in client.post(VERIFY, {"code": "12a456"}).content.decode()
    assert AccessAttempt.objects.get().failures_since_start == 1


def test_django_otp_makes_each_wrong_code_wait_longer_before_the_next_is_checked(client, inspector):
    device, _ = app_for(inspector)
    sign_in(client, inspector)
    client.post(VERIFY, {"code": "000000" if code(device) != "000000" else "111111"})
    response = client.post(VERIFY, {"code": code(device)})  # right, but within the second
    assert "Wait 1 second, then enter a new code" in response.content.decode()
    assert SESSION_KEY in client.session and client.get("/").status_code == 302
    earlier = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=2)
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=earlier)
    assert location(client.post(VERIFY, {"code": code(device)})) == "/"
    assert TOTPDevice.objects.get(pk=device.pk).throttling_failure_count == 0


def test_wrong_codes_lock_the_account_out_and_signing_in_again_does_not_start_the_count_over(
    client, inspector, settings
):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the lockout alone here; the throttle is tested above
    device, _ = app_for(inspector)
    wrong = f"{(int(code(device)) + 500_000) % 1_000_000:06d}"
    sign_in(client, inspector)
    assert [client.post(VERIFY, {"code": wrong}).status_code for _ in range(2)] == [200, 200]
    # The password again, right: the count stands (only a complete sign-in clears it).
    client.post("/sign-out/")
    assert location(sign_in(client, inspector)).startswith(VERIFY)
    assert AccessAttempt.objects.get(username=inspector.email).failures_since_start == 2
    statuses = [client.post(VERIFY, {"code": wrong}).status_code for _ in range(LIMIT - 2)]
    assert statuses == [200] * (LIMIT - 3) + [429]
    # Locked out: the half-signed-in session is over, and the password is refused until the cool-off.
    assert SESSION_KEY not in client.session
    assert client.get("/").status_code == 302
    locked = sign_in(client, inspector)
    assert locked.status_code == 429 and "You have tried to sign in too many times" in locked.content.decode()


def test_a_complete_sign_in_clears_the_count(client, inspector):
    device, _ = app_for(inspector)
    sign_in(client, inspector)
    client.post(VERIFY, {"code": f"{(int(code(device)) + 500_000) % 1_000_000:06d}"})
    assert AccessAttempt.objects.exists()
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    assert location(client.post(VERIFY, {"code": code(device)})) == "/"
    assert not AccessAttempt.objects.exists()


def test_each_code_is_accepted_once_only(client, inspector):
    device, _ = app_for(inspector)
    now = code(device)
    sign_in(client, inspector)
    assert location(client.post(VERIFY, {"code": now})) == "/"
    client.post("/sign-out/")
    sign_in(client, inspector)
    assert "The code is not correct" in client.post(VERIFY, {"code": now}).content.decode()


# Recovery codes ------------------------------------------------------------------------------------------------------


def test_a_recovery_code_signs_in_once_and_its_use_is_in_the_users_history(client, inspector):
    _, codes = app_for(inspector)
    sign_in(client, inspector)
    page = client.get(VERIFY)
    assert f'href="{RECOVERY}?' in page.content.decode()
    assert location(client.post(RECOVERY, {"code": codes[3].upper().replace(" ", "-")})) == "/"
    assert client.get("/").status_code == 200
    assert "9 of 10 left" in client.get(reverse("accounts:two_factor")).content.decode()
    assert UserEvent.objects.filter(pgh_obj=inspector, pgh_label="recovery_code_used").count() == 1

    client.post("/sign-out/")
    sign_in(client, inspector)
    used = client.post(RECOVERY, {"code": codes[3]})
    assert "The recovery code is not correct or has been used" in used.content.decode()
    assert AccessAttempt.objects.get(username=inspector.email).failures_since_start == 1
    assert client.get("/").status_code == 302


def test_new_recovery_codes_replace_the_old_ones_and_keep_the_session_verified(client, inspector):
    _, old = app_for(inspector)
    sign_in(client, inspector)
    client.post(RECOVERY, {"code": old[0]})  # verified by the recovery codes' device
    new = client.post(reverse("accounts:two_factor_recovery_codes"))
    html = new.content.decode()
    assert new.status_code == 200 and "Your new recovery codes" in html and new["Cache-Control"] == "no-store"
    shown = re.findall(r"<li><code>([a-z2-7]{4} [a-z2-7]{4})</code></li>", html)
    assert len(shown) == 10 and not set(shown) & set(old)
    assert client.get("/").status_code == 200
    assert StaticDevice.objects.filter(user=inspector).count() == 1
    client.post("/sign-out/")
    sign_in(client, inspector)
    assert "not correct or has been used" in client.post(RECOVERY, {"code": old[1]}).content.decode()
    TOTPDevice.objects.filter(user=inspector).update(throttling_failure_count=0)
    StaticDevice.objects.filter(user=inspector).update(throttling_failure_count=0)
    assert location(client.post(RECOVERY, {"code": shown[1]})) == "/"
    assert UserEvent.objects.filter(pgh_obj=inspector, pgh_label="recovery_codes_issued").count() == 2


def test_an_administrator_removing_a_lost_phones_app_ends_its_sessions_verification(client, inspector):
    device, _ = app_for(inspector)
    sign_in(client, inspector)
    client.post(VERIFY, {"code": code(device)})
    assert client.get("/").status_code == 200
    TOTPDevice.objects.filter(user=inspector).delete()
    StaticDevice.objects.filter(user=inspector).delete()
    assert location(client.get("/")) == f"{SET_UP}?next=%2F"
    assert AuthenticatorEvent.objects.filter(user=inspector, pgh_label="removed").count() == 1


# API tokens need no second factor ------------------------------------------------------------------------------------


def test_api_token_requests_are_not_asked_for_a_second_factor(client, analyst):
    app_for(analyst)
    _, secret = api_token_create(user=analyst, days=1)
    url = reverse("api:region-list")
    assert client.get(url, HTTP_AUTHORIZATION=f"Token {secret}").status_code == 200
    assert client.get(url, {"format": "csv"}, HTTP_AUTHORIZATION=f"token {secret}").status_code == 200
    # Beside a half-signed-in session the token is still what counts; the session alone is refused.
    sign_in(client, analyst)
    assert client.get(url, HTTP_AUTHORIZATION=f"Token {secret}").status_code == 200
    assert client.get(url, HTTP_AUTHORIZATION="Token not-a-token").status_code == 401
    api_refusal(client.get(url))
    api_refusal(client.get(url, HTTP_AUTHORIZATION="Basic c29tZW9uZTpzb21ldGhpbmc="))


def test_drf_refuses_an_unverified_session_even_without_the_middleware(client, analyst, settings):
    app_for(analyst)
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != "web.middleware.TwoFactorMiddleware"]
    sign_in(client, analyst)
    api_refusal(client.get(reverse("api:region-list")))


# Development ---------------------------------------------------------------------------------------------------------


def test_without_the_requirement_the_demo_accounts_sign_in_with_their_password_alone(client, settings):
    settings.OTP_REQUIRED = False
    settings.DEMO_LOGINS_ALLOWED = True
    demo = UserFactory(email="lead@demo.test", role=User.Role.LEAD_INSPECTOR, password=settings.DEMO_PASSWORD)
    assert location(sign_in(client, demo, settings.DEMO_PASSWORD)) == "/"
    assert client.get("/").status_code == 200
    page = client.get(reverse("accounts:two_factor")).content.decode()
    assert "Two-factor sign-in is not set up for your account: you sign in with your password alone" in page
    # Optional there, and once set up it is asked for.
    client.get(SET_UP)
    device = TOTPDevice.objects.get(user=demo)
    assert client.post(SET_UP, {"code": code(device)}).status_code == 200
    client.post("/sign-out/")
    assert location(sign_in(client, demo, settings.DEMO_PASSWORD)) == f"{VERIFY}?next=%2F"


@pytest.mark.parametrize(
    ("module", "required"),
    [("config.settings.production", True), ("config.settings.development", False), ("config.settings.test", False)],
)
def test_two_factor_is_required_by_the_production_settings_only(module, required):
    result = run_python(
        "import django; django.setup(); from django.conf import settings; print(settings.OTP_REQUIRED)",
        production_env(DJANGO_SETTINGS_MODULE=module),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(required)


def test_the_system_checks_refuse_a_middleware_order_that_would_not_enforce_the_second_factor(settings):
    from django.core.checks import run_checks

    def ids(deploy=False):
        return {message.id for message in run_checks(include_deployment_checks=deploy)}

    assert not {"accounts.E001", "accounts.E002", "accounts.W001", "accounts.W002"} & ids(deploy=True)
    middleware = list(settings.MIDDLEWARE)
    otp = middleware.index("django_otp.middleware.OTPMiddleware")
    settings.MIDDLEWARE = middleware[:otp] + middleware[otp + 1 :] + ["django_otp.middleware.OTPMiddleware"]
    assert "accounts.E002" in ids()
    settings.MIDDLEWARE = [m for m in middleware if m != "web.middleware.TwoFactorMiddleware"]
    assert "accounts.E001" in ids()
    settings.MIDDLEWARE = middleware
    settings.OTP_REQUIRED = False
    assert "accounts.W001" in ids(deploy=True) and "accounts.W001" not in ids()
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'self'"], "script-src": ["'unsafe-inline'"]}}
    assert "accounts.W002" in ids(deploy=True)
