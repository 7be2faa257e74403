"""The dashboards in Chromium: a director's first look, the national view, the cases behind a count.

axe-core checks every page against WCAG 2.2 A and AA; the pages fit a 390-pixel phone
without the page scrolling sideways; the filters and the details work by keyboard.
"""

import io
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.models import User

from .conftest import assert_accessible, sign_in, tab_to

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "Demo-Inspect-2023!"


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=io.StringIO())


def test_the_south_west_director_sees_dorsets_score_and_why_on_signing_in(page, demo):
    sign_in(page, User.objects.get(email="director.southwest@demo.test"), DEMO_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Region dashboard")
    expect(page.get_by_text("Dorset: 3 out of 27, Inadequate.")).to_be_visible()
    expect(
        page.get_by_role("table", name="Key questions judged sufficient, by protected characteristic")
    ).to_be_visible()
    expect(page.get_by_role("img", name="South West: actions by status")).to_be_visible()
    assert_accessible(page)

    # Dorset's key questions: the sentences are on the page; the chart and its table open by keyboard.
    expect(
        page.get_by_role("listitem").filter(
            has_text="2.2 Assessment is Inadequate: its lowest key question, 2.2.3, is 34.6%"
        )
    ).to_be_visible()
    # Focus moves to it as Tab would (the page has many links before it), then Enter opens it.
    page.locator("summary", has_text="Chart and data for Dorset (SW-DOR-2023, 3/27)").focus()
    page.keyboard.press("Enter")
    expect(
        page.get_by_role("img", name="Dorset: key questions as the percentage of relevant cases judged sufficient")
    ).to_be_visible()
    expect(page.get_by_role("table", name="Dorset: key questions")).to_be_visible()
    assert_accessible(page)


def test_the_dashboards_fit_a_phone(page, demo):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, User.objects.get(email="inspector@demo.test"), DEMO_PASSWORD)
    for url in ("/regions/south-west/", "/national/", "/regions/london/"):
        page.goto(url)
        for details in page.locator("details").all():
            details.evaluate("d => d.open = true")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, url
        assert_accessible(page)


def test_an_inspector_filters_the_national_view_by_keyboard_and_follows_a_count_to_its_cases(page, demo):
    sign_in(page, User.objects.get(email="inspector@demo.test"), DEMO_PASSWORD)
    page.goto("/national/")
    expect(page.get_by_role("heading", level=1)).to_have_text("National view")
    assert_accessible(page)

    tab_to(page, page.get_by_label("Case type"), limit=80)
    page.keyboard.press("ArrowDown")  # Community sentence
    page.keyboard.press("ArrowDown")  # Licence or post-sentence supervision
    tab_to(page, page.get_by_role("button", name="Apply filters"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"case_type=licence"))
    expect(page.get_by_text("licence or post-sentence supervision cases").first).to_be_visible()
    assert_accessible(page)

    page.goto("/regions/south-west/")
    page.get_by_role("link", name="59 out of 109: the cases").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cases behind a count")
    expect(page.get_by_text("109")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("59 cases")
    assert_accessible(page)


def test_bad_filters_are_shown_as_an_error_summary_that_passes_axe(page, demo):
    sign_in(page, User.objects.get(email="inspector@demo.test"), DEMO_PASSWORD)
    page.goto("/regions/south-west/?rosh_level=extreme&date_from=2023-13-01")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose a RoSH level from the list")
    expect(page).to_have_title(re.compile(r"^Error: "))
    assert_accessible(page)
