"""The director keeps the region's action plan by keyboard; the tracker and recommendation pages pass axe."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from inspections.models import Inspection, Recommendation
from tests.factories import set_publication
from trackers import services
from trackers.models import Action, ProgressNote

from .conftest import assert_accessible, sign_in, tab_to

pytestmark = pytest.mark.browser


@pytest.fixture
def plan(inspection, inspector, director):
    recommendation = Recommendation.objects.create(
        inspection=inspection, addressee="pdu", text="improve the quality of risk assessments", order=1
    )
    set_publication(inspection, status=Inspection.Status.PUBLISHED, published_on=datetime.date(2024, 9, 1))
    services.response_record(recommendation=recommendation, answer="agreed", narrative="We agree.", by=director)
    for due, description in ((datetime.date(2025, 1, 31), "Brief every team"), (datetime.date(2027, 1, 31), "Audit")):
        services.action_create(
            recommendation=recommendation,
            description=description,
            owner_name="Head of PDU",
            owner_email="head@probation.example",
            due_date=due,
            by=director,
        )
    return recommendation


def test_the_director_updates_an_action_and_adds_a_progress_note_by_keyboard(page, director, plan):
    sign_in(page, director)
    page.get_by_role("link", name="Your region's action plan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Action plan against the inspectorate's recommendations")
    expect(page.get_by_role("heading", name="Overdue actions")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="SW-TST-2024 recommendation 1, action 1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Recommendation 1")
    assert_accessible(page)

    # Status: from "Not started" to "Complete" with the arrow keys, then the update button.
    tab_to(page, page.locator("#action-1-status"), limit=80)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    tab_to(page, page.get_by_role("button", name="Update action 1"))
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Action 1 is updated")
    assert Action.objects.get(number=1).status == "complete"

    tab_to(page, page.locator("#note-1-date"), limit=80)
    page.keyboard.type("32/13/2025")
    page.keyboard.press("Tab")
    page.keyboard.type("All teams briefed.")
    tab_to(page, page.get_by_role("button", name="Add progress note").first)
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    assert_accessible(page)
    assert not ProgressNote.objects.exists()

    # The form kept what was typed: correct the date, and keep the text.
    page.locator("#note-1-date").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type(timezone.localdate().strftime("%d/%m/%Y"))
    page.keyboard.press("Tab")
    expect(page.locator("#note-1-text")).to_have_value("All teams briefed.")
    page.keyboard.press("Tab")
    page.keyboard.type("https://intranet.example/briefings")
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("progress note on action 1 is added")
    note = ProgressNote.objects.get()
    assert (note.text, note.evidence_url) == ("All teams briefed.", "https://intranet.example/briefings")
    expect(page.get_by_text("All teams briefed.")).to_be_visible()


def test_the_pages_fit_a_phone(page, director, plan):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, director)
    for url in ("/trackers/south-west/", "/trackers/south-west/SW-TST-2024/1/"):
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, url
        assert_accessible(page)
