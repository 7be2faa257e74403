"""The case history timeline, and the pages with tables on a 390-pixel phone, in a real browser with axe-core."""

import datetime

import pytest
from playwright.sync_api import expect

from casework import services
from casework.models import CaseReview
from casework.services import AnswerInput
from inspections.models import Inspection
from tests.factories import set_publication

from ..factories import CaseReviewFactory, JudgementFactory
from ..ratings_data import add_cases
from .conftest import ARTIFACTS, assert_accessible, sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
FITS = "() => document.documentElement.scrollWidth"


@pytest.fixture
def sample(inspection, inspector, lead_inspector):
    add_cases(inspection, 3)  # submitted, answered
    review = CaseReviewFactory(inspection=inspection, case_reference="X000001", inspector=inspector)
    services.case_review_save(
        review=review,
        by=inspector,
        expected_version=1,
        answers={"2.2.1": AnswerInput("yes", "Motivation explored with the person"), "2.2.2": AnswerInput("no")},
    )
    services.case_review_save(
        review=review,
        by=inspector,
        expected_version=2,
        answers={"2.2.2": AnswerInput("yes")},
        attributes={"tier": "A"},
        reason="Read the OASys review again",
    )
    services.case_review_reassign(review=review, to=lead_inspector, by=lead_inspector, reason="Cover for leave")
    CaseReviewFactory(
        inspection=inspection, case_reference="X000002", inspector=inspector, status=CaseReview.Status.RETURNED
    )
    JudgementFactory(inspection=inspection)
    return review


def test_the_history_is_a_timeline_of_saves_that_opens_and_filters_by_keyboard(page, lead_inspector, sample):
    sign_in(page, lead_inspector)
    page.goto("/inspections/SW-TST-2024/cases/X000001/history/")
    expect(page.get_by_role("heading", level=1)).to_have_text("History of changes")
    saves = page.locator(".app-timeline__item")
    expect(saves.first.get_by_role("heading")).to_have_text("Case details changed")
    expect(page.get_by_text("Reason: Read the OASys review again")).to_be_visible()
    assert_accessible(page)

    # Open the second save's changes with the keyboard: readable values with the question's text.
    second = saves.nth(1)
    expect(second.get_by_role("heading")).to_have_text("1 answer changed, case details changed")
    second.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(second.get_by_text("No → Yes")).to_be_visible()
    expect(
        second.get_by_text("Does assessment focus sufficiently on the factors linked to offending and desistance?")
    ).to_be_visible()
    expect(second.get_by_text("B → A")).to_be_visible()
    assert_accessible(page)

    # Filter by kind of change: the URL holds the filter.
    page.get_by_label("Kind of change").select_option("answers")
    page.get_by_role("button", name="Apply filters").press("Enter")
    page.wait_for_url("**kind=answers**")
    expect(page.get_by_text("Showing 2 saves that match the filters.")).to_be_visible()
    expect(page.get_by_text("Cover for leave")).to_have_count(0)
    page.get_by_label("Changed by").select_option(label=str(lead_inspector))
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text("No saves match these filters.")).to_be_visible()
    assert_accessible(page)


def _fits_a_phone(page, path: str, name: str) -> None:
    page.goto(path)
    page.wait_for_load_state("load")
    width = page.evaluate(FITS)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"phone-{name}.png", full_page=True)
    assert width <= PHONE["width"], f"{path} is {width} pixels wide on a {PHONE['width']}-pixel screen"
    # A table wider than the screen scrolls in its own focusable box, with the cue showing.
    for box in page.locator(".app-table-scroll").all():
        if box.evaluate("element => element.scrollWidth > element.clientWidth"):
            assert box.get_attribute("tabindex") == "0"
    if page.locator(".app-table-scroll").count():
        expect(page.locator(".app-table-scroll__hint").first).to_be_visible()
    assert_accessible(page)


def test_a_leads_pages_with_tables_fit_a_390_pixel_screen(page, lead_inspector, sample):
    page.set_viewport_size(PHONE)
    sign_in(page, lead_inspector)
    _fits_a_phone(page, "/", "lead-home")
    _fits_a_phone(page, "/inspections/SW-TST-2024/", "lead-inspection")
    _fits_a_phone(page, "/inspections/SW-TST-2024/ratings/", "lead-ratings")
    _fits_a_phone(page, "/inspections/SW-TST-2024/cases/X000001/history/", "lead-history")
    expect(page.get_by_text(f"{lead_inspector}, Lead inspector")).to_be_attached()


def test_a_directors_pages_with_tables_fit_a_390_pixel_screen(page, director, inspection, sample):
    set_publication(inspection, status=Inspection.Status.PUBLISHED, published_on=datetime.date(2024, 9, 1))
    page.set_viewport_size(PHONE)
    sign_in(page, director)
    _fits_a_phone(page, "/", "director-home")
    _fits_a_phone(page, "/inspections/", "director-inspections")
    _fits_a_phone(page, "/inspections/SW-TST-2024/", "director-inspection")
    _fits_a_phone(page, "/inspections/SW-TST-2024/ratings/", "director-ratings")
