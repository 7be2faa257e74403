"""The ratings pages: what each persona reads, what the lead records, and what every refusal leaves unwritten."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casework.models import CaseReview
from inspections.errors import Refused
from inspections.models import Framework, Inspection, LockEvent, OrganisationalJudgement, Standard
from inspections.services import inspection_advance, organisational_judgement_record
from ratings.models import RatingOverride, RatingsSnapshot
from ratings.services import inspection_publish, rating_override_record

from .factories import InspectionFactory, JudgementFactory, PDUFactory, TeamMemberFactory, set_publication
from .ratings_data import add_cases, answers, judge

pytestmark = pytest.mark.django_db


def url(inspection, name="ratings", **kwargs):
    return reverse(f"ratings:{name}", kwargs={"reference": inspection.reference, **kwargs})


def standard(inspection, code):
    return Standard.objects.get(framework=inspection.framework, code=code)


def at(inspection, status):
    set_publication(inspection, status=status)
    inspection.refresh_from_db()
    return inspection


def page(client, user, path, status=200):
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == status, response.status_code
    return response.content.decode()


def post(client, user, path, data=None):
    client.force_login(user)
    return client.post(path, data or {})


@pytest.fixture
def rated(inspection):
    """Every standard rated, 20/27 Good: 2.2 Inadequate from 2.2.3 (4 of 10), the other cases Outstanding,
    the team's judgements Good."""
    add_cases(inspection, 10, answers={"2.2.3": answers(yes=4, no=6)})
    judge(inspection, "good")
    return inspection


@pytest.fixture
def published(rated, lead_inspector, inspector):  # the team first: it locks with the inspection
    at(rated, Inspection.Status.RATINGS_PANEL)
    inspection_publish(inspection=rated, by=lead_inspector, published_on=datetime.date(2024, 9, 1))
    rated.refresh_from_db()
    return rated


# The ratings page ------------------------------------------------------------------------------------------------


def test_the_ratings_page_shows_score_band_sources_and_the_engines_explanation(client, rated, lead_inspector):
    html = page(client, lead_inspector, url(rated))
    assert "20/27" in html and "Good" in html
    assert "4 out of 10 relevant cases" in html  # 2.2.3, the key question that decides 2.2
    assert "Lowest: decides" in html
    assert "Thresholds: Outstanding 80% or more" in html
    assert "would make 2.2 Requires improvement" in html  # the distance to the next band up
    assert "Judgement" in html and "Case data" in html
    assert "From the evidence." in html  # the judgement's rationale


def test_an_incomplete_inspection_lists_what_is_missing(client, inspection, lead_inspector):
    judge(inspection, "good", codes=("1.1", "1.2"))
    html = page(client, lead_inspector, url(inspection))
    assert "Incomplete" in html
    assert "1.3 Services</a>: the team has not recorded a judgement" in html
    assert "2.2 Assessment</a>: no relevant cases have been answered yet" in html
    assert "1.1 Leadership</a>:" not in html


def test_cases_still_in_draft_are_named_in_the_explanation(client, inspection, lead_inspector):
    add_cases(inspection, 3, status=CaseReview.Status.DRAFT)
    html = page(client, lead_inspector, url(inspection))
    assert "3 case reviews are not yet submitted" in html


def test_a_lead_sees_the_forms_and_the_stage_controls(client, rated, lead_inspector):
    html = page(client, lead_inspector, url(rated))
    assert url(rated, "judgement", code="1.1") in html
    assert url(rated, "override", code="2.2") in html
    assert url(rated, "judgement", code="2.2") not in html  # case-based: no judgement to record
    assert url(rated, "advance") in html and "Move to moderation" in html


@pytest.mark.parametrize("persona", ["inspector", "director", "analyst"])
def test_readers_see_the_ratings_but_no_forms(client, published, persona, request):
    user = request.getfixturevalue(persona)
    html = page(client, user, url(published))
    assert "20/27" in html
    assert "The ratings as published" in html
    for name in ("judgement", "override"):
        assert url(published, name, code="1.1") not in html
    assert url(published, "advance") not in html and url(published, "locking") not in html
    assert "<form" not in html.split('id="main-content"')[1].split("</main>")[0]


@pytest.mark.parametrize("persona", ["outside_inspector", "other_director"])
def test_people_outside_the_inspection_get_not_found(client, published, persona, request):
    page(client, request.getfixturevalue(persona), url(published), status=404)


@pytest.mark.parametrize("persona", ["director", "analyst"])
def test_work_in_progress_is_not_found_for_directors_and_analysts(client, rated, persona, request):
    page(client, request.getfixturevalue(persona), url(rated), status=404)


def test_the_ratings_page_costs_the_same_queries_whatever_the_data(client, region, lead_inspector, inspection):
    other = InspectionFactory(reference="SW-BIG-2024", pdu=PDUFactory(slug="big", region=region))
    TeamMemberFactory(inspection=other, user=lead_inspector, role="lead_inspector")
    add_cases(other, 40, answers={"2.2.3": answers(yes=20, no=20)})
    add_cases(other, 5, status=CaseReview.Status.DRAFT, prefix="D")
    judge(other, "good")
    rating_override_record(
        inspection=other, standard=standard(other, "2.2"), to_rating="good", reason="Audit evidence", by=lead_inspector
    )
    rating_override_record(
        inspection=other,
        standard=standard(other, "2.3"),
        to_rating="requires_improvement",
        reason="Panel",
        by=lead_inspector,
    )
    client.force_login(lead_inspector)
    counts = []
    for each in (inspection, other):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url(each)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


# Organisational judgements -------------------------------------------------------------------------------------


def judgement_post(rating="good", rationale="Leaders set a clear vision, seen in interviews and minutes."):
    return {"rating": rating, "rationale": rationale}


def test_recording_a_judgement_writes_it_and_the_score_follows(client, inspection, lead_inspector):
    add_cases(inspection, 10)  # 2.1–2.5 Outstanding: 15 points
    judge(inspection, "good", codes=("1.2", "1.3", "1.4"))  # 6 points
    response = post(client, lead_inspector, url(inspection, "judgement", code="1.1"), judgement_post("outstanding"))
    assert response.status_code == 302
    judgement = OrganisationalJudgement.objects.get(inspection=inspection, standard__code="1.1")
    assert (judgement.rating, judgement.recorded_by, judgement.rationale) == (
        "outstanding",
        lead_inspector,
        "Leaders set a clear vision, seen in interviews and minutes.",
    )
    html = page(client, lead_inspector, url(inspection))
    assert "24/27" in html and "Outstanding" in html


def test_changing_a_judgement_replaces_it(client, inspection, lead_inspector):
    JudgementFactory(inspection=inspection, rating="good")
    form = page(client, lead_inspector, url(inspection, "judgement", code="1.1"))
    assert 'value="good" checked' in form and "Evidence from interviews and documents." in form
    post(client, lead_inspector, url(inspection, "judgement", code="1.1"), judgement_post("inadequate", "New evidence"))
    assert list(OrganisationalJudgement.objects.values_list("rating", "rationale")) == [("inadequate", "New evidence")]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (judgement_post(rationale=""), "rationale", "Give the rationale"),
        (judgement_post(rationale="   "), "rationale", "Give the rationale"),
        (judgement_post(rating=""), "rating", "Choose a rating"),
        (judgement_post(rating="excellent"), "rating", "Choose a rating: Outstanding, Good"),
    ],
)
def test_a_bad_judgement_is_a_field_error_and_nothing_is_written(
    client, inspection, lead_inspector, data, field, message
):
    response = post(client, lead_inspector, url(inspection, "judgement", code="1.1"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html and f'href="#{field}"' in html and message in html
    assert f'id="{field}"' in html  # the link lands on the field
    assert not OrganisationalJudgement.objects.exists()


def test_a_judgement_on_a_case_based_standard_is_refused(client, inspection, lead_inspector):
    response = post(client, lead_inspector, url(inspection, "judgement", code="2.2"), judgement_post())
    assert response.status_code == 400
    html = response.content.decode()
    assert "is rated from the case data, not by judgement" in html and 'href="#panel-link"' in html
    assert not OrganisationalJudgement.objects.exists()


def test_a_judgement_after_publication_is_refused_and_the_published_one_stays(client, published, lead_inspector):
    response = post(client, lead_inspector, url(published, "judgement", code="1.1"), judgement_post("inadequate"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "published and locked" in html and 'href="#unlock-link"' in html
    assert set(OrganisationalJudgement.objects.values_list("rating", flat=True)) == {"good"}


@pytest.mark.parametrize(("persona", "status"), [("inspector", 403), ("outside_inspector", 404), ("analyst", 404)])
def test_only_the_lead_may_record_a_judgement(client, inspection, lead_inspector, persona, status, request):
    user = request.getfixturevalue(persona)
    assert post(client, user, url(inspection, "judgement", code="1.1"), judgement_post()).status_code == status
    assert page(client, user, url(inspection, "judgement", code="1.1"), status=status)
    assert not OrganisationalJudgement.objects.exists()


def test_a_director_of_the_region_may_read_but_not_record(client, published, director):
    before = list(OrganisationalJudgement.objects.values_list("id", "rating", "rationale"))
    response = post(client, director, url(published, "judgement", code="1.1"), judgement_post("inadequate"))
    assert response.status_code == 403
    assert list(OrganisationalJudgement.objects.values_list("id", "rating", "rationale")) == before


def test_an_administrator_may_record_a_judgement(client, inspection, administrator):
    response = post(client, administrator, url(inspection, "judgement", code="1.4"), judgement_post("good"))
    assert response.status_code == 302
    assert OrganisationalJudgement.objects.get().recorded_by == administrator


def test_an_unknown_standard_is_not_found(client, inspection, lead_inspector):
    page(client, lead_inspector, url(inspection, "judgement", code="9.9"), status=404)


def test_the_judgement_service_refuses_a_non_lead_and_a_standard_of_another_framework(
    inspection, inspector, lead_inspector
):
    with pytest.raises(Refused, match="lead inspector"):
        organisational_judgement_record(
            inspection=inspection, standard=standard(inspection, "1.1"), rating="good", rationale="x", by=inspector
        )
    framework = Framework.objects.create(code="other-2030", title="Another framework", standard_count=1)
    other = Standard.objects.create(
        framework=framework,
        domain=1,
        domain_title="Organisation",
        code="1.1",
        title="Leadership",
        headline="-",
        rated_by="judgement",
        order=1,
    )
    with pytest.raises(ValidationError) as refused:
        organisational_judgement_record(
            inspection=inspection, standard=other, rating="good", rationale="x", by=lead_inspector
        )
    assert "standard" in refused.value.message_dict
    assert not OrganisationalJudgement.objects.exists()


# Ratings panel overrides ---------------------------------------------------------------------------------------


def override_post(to_rating="requires_improvement", reason="Recent audit shows risk assessments improving."):
    return {"to_rating": to_rating, "reason": reason}


def test_the_override_page_shows_the_derived_rating_and_its_explanation(client, rated, lead_inspector):
    html = page(client, lead_inspector, url(rated, "override", code="2.2"))
    assert "Rating from the case data" in html and "Inadequate" in html
    assert "4 out of 10 relevant cases" in html and "Thresholds:" in html


def test_an_override_moves_the_rating_and_the_score(client, rated, lead_inspector):
    response = post(client, lead_inspector, url(rated, "override", code="2.2"), override_post())
    assert response.status_code == 302
    override = RatingOverride.objects.get()
    assert (override.standard.code, override.from_rating, override.to_rating, override.decided_by) == (
        "2.2",
        "inadequate",
        "requires_improvement",
        lead_inspector,
    )
    html = page(client, lead_inspector, url(rated))
    assert "21/27" in html
    assert "Panel override" in html and "Recent audit shows risk assessments improving." in html


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (override_post(reason=""), "reason", "Give the panel&#x27;s reason"),
        (override_post(reason="  "), "reason", "Give the panel&#x27;s reason"),
        (override_post(to_rating=""), "to_rating", "Choose the rating"),
        (override_post(to_rating="brilliant"), "to_rating", "Choose a rating: Outstanding"),
        (override_post(to_rating="inadequate"), "to_rating", "already Inadequate without an override"),
    ],
)
def test_a_bad_override_is_a_field_error_and_nothing_is_written(client, rated, lead_inspector, data, field, message):
    response = post(client, lead_inspector, url(rated, "override", code="2.2"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html and f'href="#{field}"' in html and message in html
    assert not RatingOverride.objects.exists()


def test_removing_an_override_restores_the_derived_rating(client, rated, lead_inspector):
    post(client, lead_inspector, url(rated, "override", code="2.2"), override_post())
    response = post(client, lead_inspector, url(rated, "override_remove", code="2.2"))
    assert response.status_code == 302
    assert not RatingOverride.objects.exists()
    assert "20/27" in page(client, lead_inspector, url(rated))


def test_an_override_after_publication_is_refused(client, published, lead_inspector):
    response = post(client, lead_inspector, url(published, "override", code="2.2"), override_post())
    assert response.status_code == 400
    assert "published and locked" in response.content.decode()
    assert not RatingOverride.objects.exists()
    post(client, lead_inspector, url(published, "override_remove", code="2.2"))
    assert not RatingOverride.objects.exists()


@pytest.mark.parametrize(("persona", "status"), [("inspector", 403), ("outside_inspector", 404)])
def test_only_the_lead_may_override(client, rated, lead_inspector, persona, status, request):
    rating_override_record(
        inspection=rated, standard=standard(rated, "2.2"), to_rating="good", reason="Panel", by=lead_inspector
    )
    user = request.getfixturevalue(persona)
    assert post(client, user, url(rated, "override", code="2.2"), override_post()).status_code == status
    assert post(client, user, url(rated, "override_remove", code="2.2")).status_code == status
    assert list(RatingOverride.objects.values_list("to_rating", flat=True)) == ["good"]


# Stages, publication, unlocking ---------------------------------------------------------------------------------


def test_the_lead_moves_the_inspection_on_one_step_at_a_time(client, inspection, lead_inspector):
    at(inspection, Inspection.Status.PLANNED)
    for before, after in [("planned", "fieldwork"), ("fieldwork", "moderation"), ("moderation", "ratings_panel")]:
        response = post(client, lead_inspector, url(inspection, "advance"), {"from_status": before})
        assert response.status_code == 302
        inspection.refresh_from_db()
        assert inspection.status == after


def test_a_repeated_advance_does_not_skip_a_step(client, inspection, lead_inspector):
    post(client, lead_inspector, url(inspection, "advance"), {"from_status": "fieldwork"})
    response = post(client, lead_inspector, url(inspection, "advance"), {"from_status": "fieldwork"})
    inspection.refresh_from_db()
    assert inspection.status == "moderation"
    assert "already moved to moderation" in page(client, lead_inspector, response.url)


def test_advancing_stops_at_the_ratings_panel(client, inspection, lead_inspector):
    at(inspection, Inspection.Status.RATINGS_PANEL)
    with pytest.raises(Refused, match="next step is publication"):
        inspection_advance(inspection=inspection, by=lead_inspector)
    inspection.refresh_from_db()
    assert inspection.status == "ratings_panel"


@pytest.mark.parametrize(("persona", "status"), [("inspector", 403), ("outside_inspector", 404)])
def test_only_the_lead_may_advance(client, inspection, persona, status, request):
    user = request.getfixturevalue(persona)
    assert post(client, user, url(inspection, "advance"), {"from_status": "fieldwork"}).status_code == status
    inspection.refresh_from_db()
    assert inspection.status == "fieldwork"
    with pytest.raises(Refused) as refused:
        inspection_advance(inspection=inspection, by=user)
    assert refused.value.code == "not_lead"


def test_publishing_is_refused_while_cases_are_in_draft(client, rated, lead_inspector):
    at(rated, Inspection.Status.RATINGS_PANEL)
    add_cases(rated, 2, status=CaseReview.Status.DRAFT, prefix="D")
    response = post(client, lead_inspector, url(rated, "publish"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html and "2 case reviews not yet submitted" in html
    rated.refresh_from_db()
    assert rated.status == "ratings_panel" and not RatingsSnapshot.objects.exists()


def test_publishing_before_the_ratings_panel_is_refused(client, rated, lead_inspector):
    response = post(client, lead_inspector, url(rated, "publish"))
    assert response.status_code == 400
    assert "only an inspection at the ratings panel can be published" in response.content.decode()
    rated.refresh_from_db()
    assert rated.status == "fieldwork" and not RatingsSnapshot.objects.exists()


def test_publishing_locks_and_the_page_shows_the_published_snapshot(client, rated, lead_inspector, director):
    at(rated, Inspection.Status.RATINGS_PANEL)
    assert "Publish and lock" in page(client, lead_inspector, url(rated, "publish"))
    response = post(client, lead_inspector, url(rated, "publish"))
    assert response.status_code == 302
    rated.refresh_from_db()
    assert rated.is_locked and RatingsSnapshot.objects.get(kind="published").score == 20
    html = page(client, director, url(rated))
    assert "The ratings as published" in html and "20/27" in html


def test_only_the_lead_may_publish(client, rated, inspector):
    at(rated, Inspection.Status.RATINGS_PANEL)
    assert post(client, inspector, url(rated, "publish")).status_code == 403
    rated.refresh_from_db()
    assert rated.status == "ratings_panel" and not RatingsSnapshot.objects.exists()


def test_unlocking_needs_a_reason(client, published, lead_inspector):
    response = post(client, lead_inspector, url(published, "unlock"), {"reason": "  "})
    assert response.status_code == 400
    assert 'href="#reason"' in response.content.decode()
    published.refresh_from_db()
    assert published.is_locked and not LockEvent.objects.exclude(action="published").exists()


def test_unlock_correct_and_republish(client, published, lead_inspector, director):
    response = post(client, lead_inspector, url(published, "unlock"), {"reason": "1.1 rationale cites the wrong PDU"})
    assert response.status_code == 302
    published.refresh_from_db()
    assert published.unlocked_at is not None

    post(client, lead_inspector, url(published, "judgement", code="1.1"), judgement_post("outstanding"))
    lead_view = page(client, lead_inspector, url(published))
    assert "21/27" in lead_view and "20/27 Good" in lead_view  # live, and the published ratings on record
    assert "1.1 rationale cites the wrong PDU" in lead_view  # the lock log
    assert "20/27" in page(client, director, url(published))  # readers keep the published ratings

    assert post(client, lead_inspector, url(published, "publish")).status_code == 302
    published.refresh_from_db()
    assert published.is_locked
    assert list(RatingsSnapshot.objects.filter(kind="published").order_by("id").values_list("score", flat=True)) == [
        20,
        21,
    ]
    assert list(LockEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "published",
        "unlocked",
        "republished",
    ]
    assert "21/27" in page(client, director, url(published))


def test_relocking_without_republishing_keeps_the_published_ratings(client, published, lead_inspector):
    post(client, lead_inspector, url(published, "unlock"), {"reason": "Check a judgement"})
    assert "Lock again without republishing" in page(client, lead_inspector, url(published, "locking"))
    response = post(client, lead_inspector, url(published, "relock"), {"reason": "Nothing to change"})
    assert response.status_code == 302
    published.refresh_from_db()
    assert published.is_locked
    assert list(LockEvent.objects.exclude(action="published").order_by("id").values_list("action", "reason")) == [
        ("unlocked", "Check a judgement"),
        ("relocked", "Nothing to change"),
    ]
    assert RatingsSnapshot.objects.filter(kind="published").count() == 1


@pytest.mark.parametrize(("persona", "status"), [("inspector", 403), ("director", 403), ("other_director", 404)])
def test_only_the_lead_may_unlock(client, published, persona, status, request):
    user = request.getfixturevalue(persona)
    assert post(client, user, url(published, "unlock"), {"reason": "Because"}).status_code == status
    page(client, user, url(published, "locking"), status=status)
    published.refresh_from_db()
    assert published.is_locked and not LockEvent.objects.exclude(action="published").exists()
