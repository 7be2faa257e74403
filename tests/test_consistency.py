"""One vocabulary of case states on every page, who is signed in, and the lead's confirmations and refusals."""

import pytest
from django.urls import reverse

from casework.models import CaseReview
from inspections.choices import PROGRESS_TAG_COLOURS, Progress, progress_of
from inspections.errors import Refused
from inspections.models import Inspection, Standard
from ratings.models import RatingOverride
from ratings.services import inspection_move_on, rating_override_record

from .factories import AnswerFactory, CaseReviewFactory
from .ratings_data import add_cases, judge

pytestmark = pytest.mark.django_db


def get(client, user, path, status=200):
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == status
    return response.content.decode()


@pytest.fixture
def cases(inspection, inspector):
    """One case in each state a person sees, all assigned to the inspector."""
    not_started = CaseReviewFactory(inspection=inspection, inspector=inspector, case_reference="X000001")
    in_progress = CaseReviewFactory(inspection=inspection, inspector=inspector, case_reference="X000002")
    AnswerFactory(case_review=in_progress)
    returned = CaseReviewFactory(
        inspection=inspection, inspector=inspector, case_reference="X000003", status=CaseReview.Status.RETURNED
    )
    submitted = CaseReviewFactory(
        inspection=inspection, inspector=inspector, case_reference="X000004", status=CaseReview.Status.SUBMITTED
    )
    return {"not_started": not_started, "in_progress": in_progress, "returned": returned, "submitted": submitted}


def case_url(review):
    return reverse(
        "casework:case_review",
        kwargs={"reference": review.inspection.reference, "case_reference": review.case_reference},
    )


def test_the_vocabulary_is_defined_once_with_one_colour_per_state():
    assert set(PROGRESS_TAG_COLOURS) == set(Progress)
    assert len(set(PROGRESS_TAG_COLOURS.values())) == len(Progress)
    assert progress_of(status="draft", answered=False) == Progress.NOT_STARTED
    assert progress_of(status="draft", answered=True) == Progress.IN_PROGRESS
    assert progress_of(status="returned", answered=True, archived=True) == Progress.ARCHIVED
    assert "Draft" not in Progress.labels


@pytest.mark.parametrize(
    "state,label,colour",
    [
        ("not_started", "Not started", "govuk-tag--grey"),
        ("in_progress", "In progress", ""),  # the plain, blue tag
        ("returned", "Returned", "govuk-tag--orange"),
        ("submitted", "Submitted", "govuk-tag--purple"),
    ],
)
def test_a_case_reads_the_same_on_home_the_inspection_page_and_its_own_page(
    client, inspection, inspector, cases, state, label, colour
):
    tag = f'class="govuk-tag {colour}">{label}</strong>'
    home = get(client, inspector, reverse("web:home"))
    listing = get(client, inspector, reverse("web:inspection_detail", args=[inspection.reference]))
    own = get(client, inspector, case_url(cases[state]))
    for page in (home, listing, own):
        assert tag in page
    assert ">Draft<" not in own


def test_the_ratings_text_counts_unsubmitted_cases_in_the_same_words(client, inspection, lead_inspector, cases):
    page = get(client, lead_inspector, reverse("web:inspection_detail", args=[inspection.reference]))
    # Not started, in progress and returned: three not yet submitted; no case is "still in draft".
    assert "3 case reviews are not yet submitted (not started, in progress or returned)" in page
    assert "still in draft" not in page
    ratings = get(client, lead_inspector, reverse("ratings:ratings", args=[inspection.reference]))
    assert "still in draft" not in ratings


@pytest.mark.parametrize("persona,words", [("lead_inspector", "Lead inspector"), ("director", "Regional director")])
def test_the_header_names_who_is_signed_in_and_the_banner_suits_every_role(client, request, persona, words):
    user = request.getfixturevalue(persona)
    # A director's home is their region's dashboard: read the page they land on.
    home = reverse("dashboards:region", args=[user.region.slug]) if persona == "director" else reverse("web:home")
    page = get(client, user, home)
    assert f"{user}, {words}" in page
    assert "tell your lead inspector" not in page.lower()
    assert "digital service team" in page
    if persona == "director":
        assert f"{words}, {user.region.name}" in page


# Moving to moderation -----------------------------------------------------------------------------------------


def test_moving_to_moderation_with_unsubmitted_cases_asks_first_and_moves_nothing(
    client, inspection, lead_inspector, cases
):
    assert inspection.status == Inspection.Status.FIELDWORK
    advance = reverse("ratings:advance", args=[inspection.reference])
    client.force_login(lead_inspector)
    response = client.post(advance, {"from_status": "fieldwork"})
    page = response.content.decode()
    assert response.status_code == 200 and "Move SW-TST-2024 to moderation?" in page
    assert "3 case reviews not yet submitted" in page and 'name="confirm_unfinished"' in page
    inspection.refresh_from_db()
    assert inspection.status == Inspection.Status.FIELDWORK

    unticked = client.post(advance, {"from_status": "fieldwork", "confirming": "1"})
    assert unticked.status_code == 400 and "There is a problem" in unticked.content.decode()
    inspection.refresh_from_db()
    assert inspection.status == Inspection.Status.FIELDWORK

    ticked = client.post(advance, {"from_status": "fieldwork", "confirming": "1", "confirm_unfinished": "yes"})
    assert ticked.status_code == 302
    inspection.refresh_from_db()
    assert inspection.status == Inspection.Status.MODERATION


def test_the_service_refuses_the_move_without_the_confirmation(inspection, lead_inspector, cases):
    with pytest.raises(Refused) as refused:
        inspection_move_on(inspection=inspection, by=lead_inspector, expected_status="fieldwork")
    assert refused.value.code == "unfinished_cases"
    inspection.refresh_from_db()
    assert inspection.status == Inspection.Status.FIELDWORK


def test_moving_to_moderation_with_every_case_submitted_needs_no_confirmation(client, inspection, lead_inspector):
    add_cases(inspection, 3)
    client.force_login(lead_inspector)
    response = client.post(reverse("ratings:advance", args=[inspection.reference]), {"from_status": "fieldwork"})
    assert response.status_code == 302
    inspection.refresh_from_db()
    assert inspection.status == Inspection.Status.MODERATION


# The ratings panel and judgement-rated standards ----------------------------------------------------------------


@pytest.mark.parametrize("code", ["1.1", "1.2", "1.3", "1.4"])
def test_the_override_service_refuses_judgement_rated_standards(inspection, lead_inspector, code):
    add_cases(inspection, 5)
    judge(inspection, "good")
    standard = Standard.objects.get(framework=inspection.framework, code=code)
    with pytest.raises(Refused) as refused:
        rating_override_record(
            inspection=inspection, standard=standard, to_rating="outstanding", reason="Panel", by=lead_inspector
        )
    assert refused.value.code == "judgement_standard"
    assert not RatingOverride.objects.exists()


def test_the_ratings_page_offers_no_panel_override_on_judgement_rated_standards(client, inspection, lead_inspector):
    add_cases(inspection, 5)
    judge(inspection, "good")
    page = get(client, lead_inspector, reverse("ratings:ratings", args=[inspection.reference]))
    for code in ("1.1", "1.2", "1.3", "1.4"):
        assert reverse("ratings:override", args=[inspection.reference, code]) not in page
        assert reverse("ratings:judgement", args=[inspection.reference, code]) in page
    assert reverse("ratings:override", args=[inspection.reference, "2.2"]) in page
    # Opening the override page of a judgement-rated standard leads to its judgement page.
    client.force_login(lead_inspector)
    response = client.get(reverse("ratings:override", args=[inspection.reference, "1.1"]))
    assert response.status_code == 302
    assert response["Location"] == reverse("ratings:judgement", args=[inspection.reference, "1.1"])


# The demo, true to 2023 ------------------------------------------------------------------------------------------


def test_the_demos_publication_is_recorded_on_its_2023_date_and_never_as_a_case_added(db):
    import datetime
    import io

    from django.core.management import call_command
    from pghistory.models import Events

    from inspections.models import LockEvent
    from ratings.models import RatingsSnapshot

    call_command("load_demo", stdout=io.StringIO())
    published = Inspection.objects.filter(reference__in=["SW-SOM-2023", "SW-DOR-2023", "SW-BSG-2023"])
    snapshots = RatingsSnapshot.objects.filter(inspection__in=published)
    assert snapshots.count() == 3
    assert {s.created_at.date() for s in snapshots} == {datetime.date(2023, 8, 24)}
    events = LockEvent.objects.filter(inspection__in=published)
    assert events.exists() and {e.at.date() for e in events} == {datetime.date(2023, 8, 24)}
    # No history row of a published inspection's cases says it was "added to the sample".
    review = CaseReview.objects.filter(inspection__reference="SW-DOR-2023").first()
    reasons = {(e.pgh_context or {}).get("reason") for e in Events.objects.references(review)}
    assert "case added to the sample" not in reasons
    assert reasons & {"SW-DOR-2023: case data as the letter reports them"}
