"""The GOV.UK error pages in a real browser, checked by axe-core."""

import pytest
from playwright.sync_api import expect

from .conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser


def test_the_error_pages_are_accessible_and_lead_home(page, inspector):
    response = page.goto("/inspections/SW%00CIS/")
    assert response.status == 404
    expect(page).to_have_title("Page not found – Inspection case records – HM Inspectorate of Probation")
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    assert_accessible(page)

    sign_in(page, inspector)
    response = page.goto("/inspections/" + "A" * 300 + "/")
    assert response.status == 404
    expect(page.get_by_role("navigation", name="Menu")).to_be_visible()
    assert_accessible(page)

    response = page.goto("/inspections/SW-TST-2024/?status=dr%00aft")
    assert response.status == 400
    expect(page.get_by_role("heading", level=1)).to_have_text("Sorry, there is a problem with the web address or form")
    assert_accessible(page)

    response = page.goto("/sign-out/")
    assert response.status == 405
    expect(page.get_by_role("heading", level=1)).to_have_text("Sorry, this page cannot be used that way")
    assert_accessible(page)
    page.get_by_role("link", name="Go to the home page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your inspections")
