"""The lockout page after too many failed sign-ins, in a real browser, checked by axe-core."""

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from .conftest import PASSWORD, assert_accessible

pytestmark = pytest.mark.browser


def test_too_many_failed_sign_ins_show_the_lockout_page_and_the_right_password_is_refused(page, inspector):
    page.goto("/sign-in/")
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        page.get_by_label("Email address").fill(inspector.email)
        page.get_by_label("Password", exact=True).fill(f"wrong-password-{attempt}")
        with page.expect_response(lambda response: response.request.method == "POST") as sent:
            page.get_by_role("button", name="Sign in").click()
        if attempt < settings.AXES_FAILURE_LIMIT - 1:
            assert sent.value.status == 200

    assert sent.value.status == 429
    expect(page).to_have_title(
        "You have tried to sign in too many times – Inspection case records – HM Inspectorate of Probation"
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("You have tried to sign in too many times")
    expect(page.get_by_role("main")).to_contain_text("Wait 15 minutes, then try again.")
    expect(page.get_by_role("main")).to_contain_text("If you have forgotten your password, ask your administrator.")
    assert_accessible(page)

    page.goto("/sign-in/")
    page.get_by_label("Email address").fill(inspector.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    with page.expect_response(lambda response: response.request.method == "POST") as sent:
        page.get_by_role("button", name="Sign in").click()
    assert sent.value.status == 429
    expect(page.get_by_role("heading", level=1)).to_have_text("You have tried to sign in too many times")
    assert not Session.objects.exists()
