"""The lead's recommendations page and the regional letter composer in a real browser, checked by axe-core."""

import datetime

import pytest
from playwright.sync_api import expect

from inspections.models import Recommendation, RegionalFinding, RegionalReview
from inspections.recommendations import recommendation_create

from .conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser
FITS = "() => document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def letter(inspection):
    review = RegionalReview.objects.create(
        region=inspection.pdu.region,
        slug="south-west-2024",
        letter_date=datetime.date(2024, 9, 1),
        addressee="Angela Cossins, Regional Probation Director",
    )
    review.inspections.add(inspection)
    return review


def test_the_lead_writes_recommendations_with_and_without_errors(page, inspection, lead_inspector):
    recommendation_create(inspection=inspection, addressee="pdu", text="Improve risk work", by=lead_inspector)
    sign_in(page, lead_inspector)
    page.goto(f"/inspections/{inspection.reference}/recommendations/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Recommendations")
    assert_accessible(page)

    page.get_by_role("link", name="Add a recommendation").click()
    page.get_by_role("button", name="Add recommendation").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the recommendation")
    assert_accessible(page)

    page.get_by_label("The region").check()
    page.get_by_label("Recommendation", exact=True).fill("Recruit and keep staff")
    page.get_by_role("button", name="Add recommendation").click()
    expect(page.get_by_text("Recruit and keep staff")).to_be_visible()
    page.get_by_role("button", name="Move up recommendation 2").click()
    expect(page.get_by_role("heading", name="Recommendation 1")).to_contain_text("The region")
    assert list(Recommendation.objects.order_by("order").values_list("text", flat=True)) == [
        "Recruit and keep staff",
        "Improve risk work",
    ]
    assert_accessible(page)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate(FITS)


def test_the_lead_composes_a_finding_with_a_figure_and_a_key_strength(page, letter, lead_inspector):
    sign_in(page, lead_inspector)
    page.goto(f"/regional-letters/{letter.slug}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Letter to Angela Cossins, Regional Probation Director")
    assert_accessible(page)

    # The figure picker: choose a prompt and an answer, and the page gives the token and its value now.
    page.get_by_label("Key question or prompt").select_option("2.2.3.e")
    page.get_by_label("Answered no").check()
    page.get_by_role("button", name="Show the figure").click()
    expect(page.locator("#figure-token")).to_have_text("[[figure 2.2.3.e no]]")
    expect(page.locator("#figure-value")).to_have_text("in 0 out of 0 relevant cases")
    assert_accessible(page)

    token = page.locator("#figure-token").inner_text()
    page.get_by_label("Heading", exact=True).select_option("leadership")
    page.get_by_label("Narrative").check()
    page.locator("#finding-text").fill(f"At initial assessment, {token} no enquiry was made.")
    page.get_by_role("button", name="Add finding").click()
    expect(page.get_by_text("Finding added under Leadership")).to_be_visible()

    page.get_by_label("Heading", exact=True).select_option("leadership")
    page.get_by_label("Key strength").check()
    page.locator("#finding-text").fill("A clear strategic objective.")
    page.get_by_role("button", name="Add finding").click()
    expect(page.get_by_text("Key strengths")).to_be_visible()
    expect(page.locator("ul.govuk-list--bullet li", has_text="A clear strategic objective.")).to_be_visible()
    assert list(RegionalFinding.objects.order_by("order").values_list("heading", "kind")) == [
        ("leadership", "narrative"),
        ("leadership", "strength"),
    ]
    assert "[[figure 2.2.3.e no]]" in RegionalFinding.objects.get(kind="narrative").text
    assert_accessible(page)

    # A malformed token: the error summary names it and links to the text.
    page.get_by_label("Heading", exact=True).select_option("staff")
    page.locator("#finding-text").fill("In [[figure 2.2.3.e perhaps]] cases.")
    page.get_by_role("button", name="Add finding").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("[[figure 2.2.3.e perhaps]]")
    assert_accessible(page)
    summary.get_by_role("link").first.click()
    expect(page.locator("#finding-text")).to_be_focused()
    assert RegionalFinding.objects.count() == 2

    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate(FITS)
