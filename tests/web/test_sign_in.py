"""Signing in and out, and what the sign-in page says after a session times out."""

import re

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.urls import reverse

from accounts.views import SIGNED_IN_COOKIE

pytestmark = pytest.mark.django_db

SIGN_IN = "/sign-in/"
PASSWORD = "Correct-Horse-42"  # the factories' password


def error_summary_links(html: str) -> list[tuple[str, str]]:
    summary = re.search(r'<div class="govuk-error-summary".*?</ul>', html, re.S)
    assert summary, "the page has no error summary"
    return [(href, text.strip()) for href, text in re.findall(r'<a href="([^"]+)">([^<]+)</a>', summary.group(0))]


def test_the_sign_in_page_is_open_to_visitors_and_everything_else_sends_them_there(client):
    assert client.get(SIGN_IN).status_code == 200
    for path in ("/", "/inspections/", "/inspections/SW-TST-2024/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == f"{SIGN_IN}?next={path}"


def test_signing_in_with_the_right_email_and_password_starts_a_session(client, inspector):
    response = client.post(SIGN_IN, {"email": "Inspector@Example.test", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session[SESSION_KEY] == str(inspector.pk)
    assert response.cookies[SIGNED_IN_COOKIE]["httponly"]


def test_signing_in_returns_the_user_to_the_page_they_asked_for_but_never_to_another_site(client, inspector):
    response = client.post(SIGN_IN + "?next=/inspections/", {"email": inspector.email, "password": PASSWORD})
    assert response["Location"] == "/inspections/"
    client.logout()
    response = client.post(SIGN_IN + "?next=https://evil.example/", {"email": inspector.email, "password": PASSWORD})
    assert response["Location"] == "/"


def test_a_wrong_password_is_refused_with_an_error_summary_that_links_to_the_email_field(client, inspector):
    response = client.post(SIGN_IN, {"email": inspector.email, "password": "wrong-password"})
    assert response.status_code == 200
    assert SESSION_KEY not in client.session
    html = response.content.decode()
    assert "<title>Error: Sign in" in html
    assert error_summary_links(html) == [("#id_email", "Enter a correct email address and password")]
    # The message is also at the field, and says nothing about which of the two was wrong.
    assert 'class="govuk-form-group govuk-form-group--error"' in html
    assert 'aria-describedby="id_email-error"' in html
    assert f'value="{inspector.email}"' in html
    assert "wrong-password" not in html


def test_an_unknown_email_gets_the_same_answer_as_a_wrong_password(client, inspector):
    response = client.post(SIGN_IN, {"email": "nobody@example.test", "password": PASSWORD})
    assert error_summary_links(response.content.decode()) == [
        ("#id_email", "Enter a correct email address and password")
    ]


def test_empty_and_malformed_fields_say_what_to_enter(client, db):
    response = client.post(SIGN_IN, {"email": "", "password": ""})
    assert error_summary_links(response.content.decode()) == [
        ("#id_email", "Enter your email address"),
        ("#id_password", "Enter your password"),
    ]
    response = client.post(SIGN_IN, {"email": "not-an-email", "password": "x"})
    assert error_summary_links(response.content.decode()) == [
        ("#id_email", "Enter an email address in the correct format, like name@example.com")
    ]


def test_an_inactive_account_cannot_sign_in(client, inspector):
    inspector.is_active = False
    inspector.save()
    response = client.post(SIGN_IN, {"email": inspector.email, "password": PASSWORD})
    assert response.status_code == 200
    assert SESSION_KEY not in client.session


def test_a_signed_in_user_visiting_the_sign_in_page_goes_home(client, inspector):
    client.force_login(inspector)
    assert client.get(SIGN_IN)["Location"] == "/"


def test_signing_out_is_a_post_that_ends_the_session_and_says_so(client, inspector):
    client.post(SIGN_IN, {"email": inspector.email, "password": PASSWORD})
    assert client.get(reverse("accounts:sign_out")).status_code == 405
    assert SESSION_KEY in client.session

    response = client.post(reverse("accounts:sign_out"), follow=True)
    assert SESSION_KEY not in client.session
    html = response.content.decode()
    assert "You have signed out" in html
    # A deliberate sign-out is not a timeout.
    assert "of inactivity" not in html
    assert client.get("/").status_code == 302


def test_after_a_session_expires_the_sign_in_page_says_why(client, inspector):
    client.post(SIGN_IN, {"email": inspector.email, "password": PASSWORD})
    # What SESSION_COOKIE_AGE without a request does: the browser still sends the cookie, the store has no session.
    Session.objects.all().delete()

    response = client.get("/inspections/", follow=True)
    minutes = settings.SESSION_COOKIE_AGE // 60
    assert f"You were signed out after {minutes} minutes of inactivity" in response.content.decode()
    # Said once: the page drops the hint, so reloading it later does not repeat it.
    assert "of inactivity" not in client.get(SIGN_IN).content.decode()


def test_someone_who_never_signed_in_is_not_told_they_timed_out(client, db):
    assert "of inactivity" not in client.get(SIGN_IN).content.decode()


def test_stay_signed_in_renews_the_session(client, inspector):
    client.force_login(inspector)
    response = client.post(reverse("accounts:keep_alive"))
    assert response.status_code == 200
    assert response.json() == {"signed_in": True, "expires_in": settings.SESSION_COOKIE_AGE}
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == settings.SESSION_COOKIE_AGE


def test_stay_signed_in_after_the_session_ended_answers_401_not_a_redirect(client, db):
    response = client.post(reverse("accounts:keep_alive"))
    assert response.status_code == 401
    assert response.json() == {"signed_in": False}


def test_stay_signed_in_needs_the_csrf_token(inspector):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(inspector)
    assert client.post(reverse("accounts:keep_alive")).status_code == 403
