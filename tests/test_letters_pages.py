"""Recommendations and regional letters as pages: who sees and changes what, the services and their history."""

import datetime
import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse

from inspections.errors import Refused
from inspections.models import Inspection, Recommendation, RegionalFinding, RegionalReview
from inspections.recommendations import (
    recommendation_create,
    recommendation_delete,
    recommendation_move,
    recommendation_update,
)
from inspections.regional import (
    regional_finding_create,
    regional_finding_move,
    regional_review_create,
    regional_review_update,
    reviews_visible_to,
)
from tests.factories import set_publication


def _events(model, obj_id):
    from django.apps import apps

    event_model = apps.get_model("inspections", f"{model.__name__}Event")
    return list(event_model.objects.filter(pgh_obj_id=obj_id).select_related("pgh_context").order_by("pgh_id"))


@pytest.fixture
def letter(inspection, lead_inspector):
    review = RegionalReview.objects.create(
        region=inspection.pdu.region,
        slug="south-west-2024",
        letter_date=datetime.date(2024, 9, 1),
        addressee="A B, RPD",
    )
    review.inspections.add(inspection)
    return review


# Recommendations: services ---------------------------------------------------------------


def test_the_lead_adds_edits_reorders_and_deletes_recommendations_with_history(inspection, lead_inspector):
    first = recommendation_create(inspection=inspection, addressee="pdu", text="Improve risk work", by=lead_inspector)
    second = recommendation_create(inspection=inspection, addressee="region", text="Recruit", by=lead_inspector)
    third = recommendation_create(inspection=inspection, addressee="hmpps", text="Fund it", by=lead_inspector)
    assert [first.order, second.order, third.order] == [1, 2, 3]

    recommendation_update(recommendation=second, addressee="pdu", text="Recruit staff", by=lead_inspector)
    recommendation_move(recommendation=third, up=True, by=lead_inspector)
    assert list(Recommendation.objects.filter(inspection=inspection).values_list("text", flat=True)) == [
        "Improve risk work",
        "Fund it",
        "Recruit staff",
    ]
    recommendation_move(recommendation=first, up=True, by=lead_inspector)  # already first: nothing changes
    recommendation_delete(recommendation=first, by=lead_inspector)
    assert list(Recommendation.objects.filter(inspection=inspection).values_list("order", "text")) == [
        (1, "Fund it"),
        (2, "Recruit staff"),
    ]
    events = _events(Recommendation, second.pk)
    reasons = [e.pgh_context.metadata["reason"] for e in events]
    assert reasons[0] == "recommendation 2 of SW-TST-2024 added"
    assert "recommendation 2 of SW-TST-2024 changed" in reasons
    assert all(e.pgh_context.metadata["user"] == lead_inspector.pk for e in events)
    deleted = _events(Recommendation, first.pk)
    assert deleted[-1].pgh_label == "delete"
    assert deleted[-1].pgh_context.metadata["reason"] == "recommendation 1 of SW-TST-2024 deleted"


def test_only_the_lead_writes_recommendations_and_input_is_checked(inspection, lead_inspector, inspector):
    with pytest.raises(Refused) as refused:
        recommendation_create(inspection=inspection, addressee="pdu", text="x", by=inspector)
    assert refused.value.code == "not_lead"
    with pytest.raises(ValidationError) as invalid:
        recommendation_create(inspection=inspection, addressee="nobody", text=" ", by=lead_inspector)
    assert set(invalid.value.message_dict) == {"addressee", "text"}
    assert not Recommendation.objects.exists()


def test_recommendations_lock_with_the_published_inspection(client, inspection, lead_inspector):
    recommendation = recommendation_create(inspection=inspection, addressee="pdu", text="Keep", by=lead_inspector)
    set_publication(inspection, status=Inspection.Status.PUBLISHED, published_on=datetime.date(2024, 9, 1))
    inspection.refresh_from_db()
    for write in (
        lambda: recommendation_create(inspection=inspection, addressee="pdu", text="New", by=lead_inspector),
        lambda: recommendation_update(recommendation=recommendation, addressee="pdu", text="X", by=lead_inspector),
        lambda: recommendation_delete(recommendation=recommendation, by=lead_inspector),
        lambda: recommendation_move(recommendation=recommendation, up=False, by=lead_inspector),
    ):
        with pytest.raises(Refused) as refused:
            write()
        assert refused.value.code == "locked"
    client.force_login(lead_inspector)
    page = client.get(reverse("web:recommendations", args=[inspection.reference])).content.decode()
    assert "published and locked" in page and "Keep" in page
    assert "Add a recommendation" not in page and "Move down" not in page
    response = client.post(
        reverse("web:recommendation_edit", args=[inspection.reference, recommendation.pk]),
        {"addressee": "pdu", "text": "Changed"},
    )
    assert response.status_code == 200 and "published and locked" in response.content.decode()
    assert Recommendation.objects.get().text == "Keep"


# Recommendations: pages -------------------------------------------------------------------


def test_the_lead_adds_and_edits_a_recommendation_through_the_pages(client, inspection, lead_inspector):
    client.force_login(lead_inspector)
    add = reverse("web:recommendation_add", args=[inspection.reference])
    response = client.post(add, {"addressee": "", "text": ""})
    page = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in page
    assert "Choose who the recommendation is for" in page and "Enter the recommendation" in page
    response = client.post(add, {"addressee": "region", "text": "Recruit more staff"})
    assert response.status_code == 302
    recommendation = Recommendation.objects.get()
    edit = reverse("web:recommendation_edit", args=[inspection.reference, recommendation.pk])
    assert client.post(edit, {"addressee": "pdu", "text": "Recruit"}).status_code == 302
    page = client.get(reverse("web:recommendations", args=[inspection.reference])).content.decode()
    assert "Recruit" in page and "The PDU" in page
    delete = reverse("web:recommendation_delete", args=[inspection.reference, recommendation.pk])
    assert client.post(delete).status_code == 302
    assert not Recommendation.objects.exists()


def test_directors_read_their_regions_published_recommendations_only(
    client, inspection, lead_inspector, director, other_director, inspector
):
    recommendation_create(inspection=inspection, addressee="pdu", text="Improve", by=lead_inspector)
    url = reverse("web:recommendations", args=[inspection.reference])
    client.force_login(director)
    assert client.get(url).status_code == 404  # not yet published
    client.force_login(inspector)
    page = client.get(url)
    assert page.status_code == 200 and "Add a recommendation" not in page.content.decode()
    set_publication(inspection, status=Inspection.Status.PUBLISHED, published_on=datetime.date(2024, 9, 1))
    client.force_login(director)
    page = client.get(url)
    assert page.status_code == 200 and "Improve" in page.content.decode()
    assert client.get(reverse("web:recommendation_add", args=[inspection.reference])).status_code == 403
    client.force_login(other_director)
    assert client.get(url).status_code == 404


# Regional reviews: scope -------------------------------------------------------------------


def test_who_sees_a_regional_review(
    inspection, letter, inspector, lead_inspector, outside_inspector, director, other_director, analyst, administrator
):
    def sees(user):
        return reviews_visible_to(user).filter(pk=letter.pk).exists()

    assert sees(inspector) and sees(lead_inspector) and sees(administrator)
    assert not sees(outside_inspector) and not sees(analyst) and not sees(other_director)
    assert not sees(director)  # its inspection is not published yet
    set_publication(inspection, status=Inspection.Status.PUBLISHED, published_on=datetime.date(2024, 9, 1))
    assert sees(director) and not sees(other_director)


def test_the_list_shows_each_persona_their_reviews(client, letter, inspector, outside_inspector, administrator):
    url = reverse("web:regional_reviews")
    for user, shown in ((inspector, True), (outside_inspector, False), (administrator, True)):
        client.force_login(user)
        page = client.get(url).content.decode()
        assert (reverse("web:regional_review", args=[letter.slug]) in page) is shown


def test_a_lead_starts_a_letter_for_published_inspections_of_a_region(client, inspection, lead_inspector, inspector):
    client.force_login(lead_inspector)
    url = reverse("web:regional_review_new")
    # Not published: not offered, and refused if sent.
    page = client.get(url).content.decode()
    assert inspection.reference not in page
    set_publication(inspection, status=Inspection.Status.PUBLISHED, published_on=datetime.date(2024, 9, 1))
    page = client.get(url).content.decode()
    assert inspection.reference in page
    data = {
        "region": inspection.pdu.region_id,
        "inspections": [inspection.pk],
        "addressee": "Angela Cossins, Regional Probation Director",
        "letter_date_day": "31",
        "letter_date_month": "2",
        "letter_date_year": "2024",
        "slug": "",
    }
    response = client.post(url, data)
    assert response.status_code == 200 and "must be a real date" in response.content.decode()
    data["letter_date_day"] = "24"
    response = client.post(url, data)
    review = RegionalReview.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("web:regional_review", args=[review.slug])
    assert review.slug == "south-west-2024" and list(review.inspections.all()) == [inspection]
    client.force_login(inspector)
    assert client.get(url).status_code == 404


def test_a_review_takes_only_published_inspections_of_its_region(inspection, lead_inspector, other_region):
    with pytest.raises(ValidationError) as invalid:
        regional_review_create(
            region=inspection.pdu.region,
            inspections=[inspection],
            letter_date=datetime.date(2024, 9, 1),
            addressee="X",
            by=lead_inspector,
        )
    assert "inspections" in invalid.value.message_dict
    set_publication(inspection, status=Inspection.Status.PUBLISHED, published_on=datetime.date(2024, 9, 1))
    with pytest.raises(ValidationError):
        regional_review_create(
            region=other_region,
            inspections=[inspection],
            letter_date=datetime.date(2024, 9, 1),
            addressee="X",
            by=lead_inspector,
        )


# Regional reviews: the composer -----------------------------------------------------------


def test_the_composer_saves_the_letter_details_and_findings(client, letter, lead_inspector):
    client.force_login(lead_inspector)
    url = reverse("web:regional_review", args=[letter.slug])
    page = client.get(url)
    assert page.status_code == 200
    for heading in RegionalFinding.Heading:
        assert heading.label in page.content.decode()
    response = client.post(
        url,
        {
            "form": "details",
            "addressee": "Angela Cossins, Regional Probation Director",
            "greeting": "Dear Angela,",
            "copy_to": "Kate White\nMark Benden",
            "signatory": "Justin Russell\nChief Inspector of Probation",
            "introduction": "Many thanks.",
            "summary": "In [[figure 2.2.3.e no]].",
            "letter_date_day": "24",
            "letter_date_month": "8",
            "letter_date_year": "2023",
        },
    )
    assert response.status_code == 302
    letter.refresh_from_db()
    assert (letter.greeting, letter.copy_to, letter.letter_date) == (
        "Dear Angela,",
        "Kate White\nMark Benden",
        datetime.date(2023, 8, 24),
    )
    response = client.post(
        url,
        {
            "form": "finding",
            "finding-heading": "leadership",
            "finding-kind": "strength",
            "finding-text": "Enquiries were made [[figure 2.2.3.e yes]].",
        },
    )
    assert response.status_code == 302
    finding = RegionalFinding.objects.get()
    assert (finding.heading, finding.kind, finding.order) == ("leadership", "strength", 1)
    events = _events(RegionalFinding, finding.pk)
    assert events[0].pgh_context.metadata["reason"] == "regional letter south-west-2024: finding added under Leadership"
    page = client.get(url).content.decode()
    assert "Enquiries were made [[figure 2.2.3.e yes]]." in page and "Key strengths" in page
    assert "Reads now: Enquiries were made in 0 out of 0 relevant cases." in page

    edit = reverse("web:regional_finding_edit", args=[letter.slug, finding.pk])
    assert client.post(edit, {"heading": "staff", "kind": "improvement", "text": "Fewer staff"}).status_code == 302
    finding.refresh_from_db()
    assert (finding.heading, finding.kind, finding.text) == ("staff", "improvement", "Fewer staff")
    delete = reverse("web:regional_finding_delete", args=[letter.slug, finding.pk])
    assert client.post(delete).status_code == 302
    assert not RegionalFinding.objects.exists()


def test_a_malformed_or_unknown_token_is_a_form_error_naming_it(client, letter, lead_inspector):
    client.force_login(lead_inspector)
    url = reverse("web:regional_review", args=[letter.slug])
    for text, named in (
        ("In [[figure 2.2.3.e perhaps]] cases.", "[[figure 2.2.3.e perhaps]]"),
        ("In [[figure 9.9.9 no]] cases.", "[[figure 9.9.9 no]]"),
    ):
        response = client.post(
            url, {"form": "finding", "finding-heading": "staff", "finding-kind": "narrative", "finding-text": text}
        )
        page = response.content.decode()
        assert response.status_code == 200
        assert "There is a problem" in page and named in page and page.count(named) >= 2  # summary, message, textarea
        assert 'href="#finding-text"' in page
    assert not RegionalFinding.objects.exists()
    with pytest.raises(ValidationError) as invalid:
        regional_review_update(review=letter, summary="[[percent C.1]]", by=lead_inspector)
    assert "[[percent C.1]]" in invalid.value.message_dict["summary"][0]


def test_the_figure_picker_shows_the_token_and_its_value(client, letter, lead_inspector):
    client.force_login(lead_inspector)
    url = reverse("web:regional_review", args=[letter.slug])
    page = client.get(url, {"question": "2.2.3.e", "answer": "no", "kind": "figure"}).content.decode()
    assert "[[figure 2.2.3.e no]]" in page and "in 0 out of 0 relevant cases" in page
    page = client.get(url, {"question": "", "answer": "no", "kind": "figure"}).content.decode()
    assert "Choose a key question or prompt" in page and "There is a problem" in page


def test_findings_reorder_within_their_heading_and_kind(letter, lead_inspector):
    def add(text, heading="staff", kind="strength"):
        return regional_finding_create(review=letter, heading=heading, kind=kind, text=text, by=lead_inspector)

    a, _b, other, c = add("A"), add("B"), add("N", kind="narrative"), add("C")
    regional_finding_move(finding=c, up=True, by=lead_inspector)
    order = RegionalFinding.objects.filter(review=letter, kind="strength").order_by("order")
    assert [f.text for f in order] == ["A", "C", "B"]
    regional_finding_move(finding=a, up=True, by=lead_inspector)  # first of its group already
    assert [f.text for f in RegionalFinding.objects.filter(review=letter, kind="strength").order_by("order")] == [
        "A",
        "C",
        "B",
    ]
    assert RegionalFinding.objects.get(pk=other.pk).text == "N"


def test_readers_read_the_letter_and_cannot_change_it(
    client, inspection, letter, lead_inspector, director, outside_inspector
):
    finding = regional_finding_create(review=letter, heading="staff", kind="narrative", text="Text", by=lead_inspector)
    set_publication(inspection, status=Inspection.Status.PUBLISHED, published_on=datetime.date(2024, 9, 1))
    url = reverse("web:regional_review", args=[letter.slug])
    client.force_login(director)
    page = client.get(url)
    assert page.status_code == 200
    content = page.content.decode()
    assert "Text" in content and "Add a finding" not in content and 'name="form"' not in content
    assert (
        client.post(
            url, {"form": "finding", "finding-heading": "staff", "finding-kind": "narrative", "finding-text": "x"}
        ).status_code
        == 403
    )
    assert client.get(reverse("web:regional_finding_edit", args=[letter.slug, finding.pk])).status_code == 403
    with pytest.raises(Refused):
        regional_finding_create(review=letter, heading="staff", kind="narrative", text="x", by=director)
    client.force_login(outside_inspector)
    assert client.get(url).status_code == 404
    assert RegionalFinding.objects.count() == 1


class DemoComposerTests(TestCase):
    """The demo's South West letter in the composer, as its lead sees it."""

    @classmethod
    def setUpTestData(cls):
        call_command("load_demo", stdout=io.StringIO())

    def test_the_demo_lead_composes_the_south_west_letter_with_live_figures(self):
        from accounts.models import User

        lead = User.objects.get(email="lead@demo.test")
        self.client.force_login(lead)
        url = reverse("web:regional_review", args=["south-west-2023"])
        response = self.client.get(url, {"question": "2.2.3.e", "answer": "no", "kind": "figure"})
        page = response.content.decode()
        assert response.status_code == 200
        assert "[[figure 2.2.3.e no]]" in page and "in 59 out of 109 relevant cases" in page
        assert "Dear Angela," in page and "Justin Russell" in page
        assert (
            len(re.findall(r'id="finding-\d+"', page))
            == RegionalFinding.objects.filter(review__slug="south-west-2023").count()
        )
        page = self.client.get(url, {"question": "C.1", "answer": "yes", "kind": "figure"}).content.decode()
        assert "in 48 out of 152 relevant cases" in page
        page = self.client.get(url, {"question": "2.4.2.a", "answer": "yes", "kind": "percent"}).content.decode()
        assert "52 per cent (82)" in page
        # The director of the South West reads the letter; London's does not see it.
        self.client.force_login(User.objects.get(email="director.southwest@demo.test"))
        assert self.client.get(url).status_code == 200
        self.client.force_login(User.objects.get(email="director.london@demo.test"))
        assert self.client.get(url).status_code == 404
