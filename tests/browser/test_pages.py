"""Home and an inspection's page in a real browser, for the team and for a director, checked by axe-core."""

import datetime

import pytest
from playwright.sync_api import expect

from casework.models import CaseReview
from inspections.models import Inspection, Question
from tests.factories import set_publication

from ..factories import AnswerFactory, CaseReviewFactory, JudgementFactory
from .conftest import assert_accessible, sign_in, tab_to

pytestmark = pytest.mark.browser


@pytest.fixture
def sample(inspection, inspector, lead_inspector):
    question = Question.objects.get(framework__code="pdu-2021", code="2.2.1")
    started = CaseReviewFactory(inspection=inspection, case_reference="X000002", inspector=inspector)
    AnswerFactory(case_review=started, question=question, value="yes")
    CaseReviewFactory(inspection=inspection, case_reference="X000001", inspector=inspector)
    CaseReviewFactory(
        inspection=inspection, case_reference="X000003", inspector=inspector, status=CaseReview.Status.RETURNED
    )
    CaseReviewFactory(
        inspection=inspection,
        case_reference="X000004",
        inspector=lead_inspector,
        case_type="licence",
        status=CaseReview.Status.SUBMITTED,
    )
    JudgementFactory(inspection=inspection)


def test_an_inspector_goes_from_home_to_the_inspection_and_filters_its_cases_by_keyboard(page, inspector, sample):
    sign_in(page, inspector)
    expect(page.get_by_role("link", name="X000003")).to_be_visible()
    expect(page.get_by_role("cell", name="1 of 4 submitted or moderated")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="SW-TST-2024").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("SW-TST-2024")
    expect(page.get_by_text("1 of 4 cases submitted or moderated.")).to_be_visible()
    expect(page.get_by_role("row", name="1.1 Leadership Good")).to_be_visible()
    assert_accessible(page)

    # Choose a status and apply the filter with the keyboard alone.
    tab_to(page, page.get_by_label("Status"))
    page.keyboard.press("ArrowDown")  # "Not started"
    tab_to(page, page.get_by_role("button", name="Apply filters"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("Showing 1 of 4 cases")).to_be_visible()
    expect(page.get_by_role("link", name="X000001")).to_be_visible()
    expect(page.get_by_role("link", name="X000002")).to_have_count(0)
    assert "status=not_started" in page.url
    assert_accessible(page)


def test_a_lead_inspectors_home_and_inspection_page_are_accessible(page, lead_inspector, sample):
    sign_in(page, lead_inspector)
    expect(page.get_by_text("1 waiting for quality assurance")).to_be_visible()
    assert_accessible(page)
    page.goto("/inspections/SW-TST-2024/")
    expect(page.get_by_role("link", name="Add a case to the sample")).to_be_visible()
    assert_accessible(page)
    page.goto("/inspections/")
    assert_accessible(page)


def test_a_director_reads_the_published_ratings_of_their_region(page, director, inspection, sample):
    set_publication(inspection, status=Inspection.Status.PUBLISHED, published_on=datetime.date(2024, 9, 1))
    sign_in(page, director)
    expect(page.get_by_role("heading", level=1)).to_have_text("Region dashboard")
    assert_accessible(page)

    page.get_by_role("link", name="Your region's published inspections").click()
    page.get_by_role("link", name="SW-TST-2024").click()
    expect(page.get_by_role("heading", name="Ratings")).to_be_visible()
    expect(page.get_by_role("heading", name="Cases")).to_have_count(0)
    assert_accessible(page)


def test_the_navigation_collapses_into_a_menu_on_a_narrow_screen(page, inspector, sample):
    page.set_viewport_size({"width": 360, "height": 740})
    sign_in(page, inspector)
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_be_visible()
    expect(page.get_by_role("link", name="Inspections", exact=True)).to_be_hidden()
    menu.click()
    expect(page.get_by_role("link", name="Inspections", exact=True)).to_be_visible()
    assert_accessible(page)
