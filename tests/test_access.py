"""The role helpers: each persona sees and changes exactly what it should.

The world below has four inspections: the persona team's own inspection in
fieldwork (SW-TST-2024) and a published one (SW-PUB-2024) in the South West,
another team's South West inspection in fieldwork (SW-OTH-2024), and a published
London inspection (LN-PUB-2024) with no one from these teams on it.
"""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from casework.access import can_change_case_review, case_review_for, case_reviews_visible_to
from casework.models import CaseReview
from inspections.access import (
    can_change_inspection,
    can_view_case_data,
    can_view_inspection,
    inspection_for,
    inspections_visible_to,
    is_lead_on,
)
from inspections.models import Inspection, TeamMember

from .factories import CaseReviewFactory, InspectionFactory, PDUFactory, TeamMemberFactory, UserFactory, set_publication

pytestmark = pytest.mark.django_db

PERSONAS = [
    "inspector",
    "lead_inspector",
    "outside_inspector",
    "director",
    "other_director",
    "analyst",
    "administrator",
    "anonymous",
]


@pytest.fixture
def anonymous():
    return AnonymousUser()


@pytest.fixture
def world(inspection, inspector, lead_inspector, outside_inspector, region, other_region):
    published = InspectionFactory(reference="SW-PUB-2024", pdu=PDUFactory(slug="sw-pub", region=region))
    TeamMemberFactory(inspection=published, user=lead_inspector, role=TeamMember.Role.LEAD_INSPECTOR)
    TeamMemberFactory(inspection=published, user=inspector, role=TeamMember.Role.INSPECTOR)
    other = InspectionFactory(reference="SW-OTH-2024", pdu=PDUFactory(slug="sw-oth", region=region))
    TeamMemberFactory(inspection=other, user=outside_inspector, role=TeamMember.Role.LEAD_INSPECTOR)
    london = InspectionFactory(reference="LN-PUB-2024", pdu=PDUFactory(slug="ln-pub", region=other_region))

    reviews = {
        "mine_draft": CaseReviewFactory(inspection=inspection, inspector=inspector, case_reference="T-DRAFT"),
        "mine_returned": CaseReviewFactory(
            inspection=inspection, inspector=inspector, case_reference="T-RETURNED", status="returned"
        ),
        "mine_submitted": CaseReviewFactory(
            inspection=inspection, inspector=inspector, case_reference="T-SUBMITTED", status="submitted"
        ),
        "mine_moderated": CaseReviewFactory(
            inspection=inspection, inspector=inspector, case_reference="T-MODERATED", status="moderated"
        ),
        "leads_draft": CaseReviewFactory(inspection=inspection, inspector=lead_inspector, case_reference="T-LEAD"),
        "unassigned_draft": CaseReviewFactory(inspection=inspection, inspector=None, case_reference="T-NOBODY"),
        "archived": CaseReviewFactory(
            inspection=inspection, inspector=inspector, case_reference="T-ARCHIVED", archived_at=timezone.now()
        ),
        "published_draft": CaseReviewFactory(inspection=published, inspector=inspector, case_reference="P-DRAFT"),
        "other_team": CaseReviewFactory(inspection=other, inspector=outside_inspector, case_reference="O-DRAFT"),
        "london": CaseReviewFactory(inspection=london, inspector=None, case_reference="L-DRAFT"),
    }
    # Case reviews are written first: the database refuses writes to a published, locked inspection.
    set_publication(published, london, status=Inspection.Status.PUBLISHED, published_on=datetime.date(2024, 9, 1))
    for review in reviews.values():
        review.refresh_from_db()
    inspections = {i.reference: i for i in Inspection.objects.all()}
    return {"inspections": inspections, "reviews": reviews}


ALL = {"SW-TST-2024", "SW-PUB-2024", "SW-OTH-2024", "LN-PUB-2024"}
VISIBLE_INSPECTIONS = {
    "inspector": {"SW-TST-2024", "SW-PUB-2024"},
    "lead_inspector": {"SW-TST-2024", "SW-PUB-2024"},
    "outside_inspector": {"SW-OTH-2024"},
    # Directors see their own region's published results only, never work in progress.
    "director": {"SW-PUB-2024"},
    "other_director": {"LN-PUB-2024"},
    "analyst": {"SW-PUB-2024", "LN-PUB-2024"},
    "administrator": ALL,
    "anonymous": set(),
}
# Leads (and administrators) manage an inspection until it is published; nobody changes a published one.
CHANGEABLE_INSPECTIONS = {
    "inspector": set(),
    "lead_inspector": {"SW-TST-2024"},
    "outside_inspector": {"SW-OTH-2024"},
    "director": set(),
    "other_director": set(),
    "analyst": set(),
    "administrator": {"SW-TST-2024", "SW-OTH-2024"},
    "anonymous": set(),
}

CURRENT_REVIEWS = {
    "mine_draft",
    "mine_returned",
    "mine_submitted",
    "mine_moderated",
    "leads_draft",
    "unassigned_draft",
    "published_draft",
    "other_team",
    "london",
}
TEAM_REVIEWS = CURRENT_REVIEWS - {"other_team", "london"}
# Case-level records are for the team and administrators; archived ones are nobody's to list.
VISIBLE_REVIEWS = {
    "inspector": TEAM_REVIEWS,
    "lead_inspector": TEAM_REVIEWS,
    "outside_inspector": {"other_team"},
    "director": set(),
    "other_director": set(),
    "analyst": set(),
    "administrator": CURRENT_REVIEWS,
    "anonymous": set(),
}
OPEN_TST_REVIEWS = {
    "mine_draft",
    "mine_returned",
    "mine_submitted",
    "mine_moderated",
    "leads_draft",
    "unassigned_draft",
}
# The assigned inspector edits a draft or a returned case; the lead any case of the inspection
# until it is published; nobody edits a published inspection's case or an archived one.
CHANGEABLE_REVIEWS = {
    "inspector": {"mine_draft", "mine_returned"},
    "lead_inspector": OPEN_TST_REVIEWS,
    "outside_inspector": {"other_team"},
    "director": set(),
    "other_director": set(),
    "analyst": set(),
    "administrator": OPEN_TST_REVIEWS | {"other_team"},
    "anonymous": set(),
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_lists_exactly_its_inspections(request, world, persona):
    user = request.getfixturevalue(persona)
    assert set(inspections_visible_to(user).values_list("reference", flat=True)) == VISIBLE_INSPECTIONS[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_changes_exactly_its_inspections(request, world, persona):
    user = request.getfixturevalue(persona)
    changeable = {ref for ref, inspection in world["inspections"].items() if can_change_inspection(user, inspection)}
    assert changeable == CHANGEABLE_INSPECTIONS[persona]
    viewable = {ref for ref, inspection in world["inspections"].items() if can_view_inspection(user, inspection)}
    assert viewable == VISIBLE_INSPECTIONS[persona]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("reference", sorted(ALL))
def test_inspection_lookup_is_404_when_hidden_and_403_when_read_only(request, world, persona, reference):
    user = request.getfixturevalue(persona)
    if reference not in VISIBLE_INSPECTIONS[persona]:
        with pytest.raises(Http404):
            inspection_for(user, reference)
        with pytest.raises(Http404):
            inspection_for(user, reference, change=True)
        return
    assert inspection_for(user, reference).reference == reference
    if reference in CHANGEABLE_INSPECTIONS[persona]:
        assert inspection_for(user, reference, change=True).reference == reference
    else:
        with pytest.raises(PermissionDenied):
            inspection_for(user, reference, change=True)


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_lists_exactly_its_case_reviews(request, world, persona):
    user = request.getfixturevalue(persona)
    by_pk = {review.pk: name for name, review in world["reviews"].items()}
    visible = {by_pk[pk] for pk in case_reviews_visible_to(user).values_list("pk", flat=True)}
    assert visible == VISIBLE_REVIEWS[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_changes_exactly_its_case_reviews(request, world, persona):
    user = request.getfixturevalue(persona)
    changeable = {name for name, review in world["reviews"].items() if can_change_case_review(user, review)}
    assert changeable == CHANGEABLE_REVIEWS[persona]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", sorted(CURRENT_REVIEWS | {"archived"}))
def test_case_review_lookup_is_404_when_hidden_and_403_when_read_only(request, world, persona, name):
    user = request.getfixturevalue(persona)
    review = world["reviews"][name]
    reference = review.inspection.reference
    if name not in VISIBLE_REVIEWS[persona]:
        with pytest.raises(Http404):
            case_review_for(user, reference, review.case_reference)
        return
    assert case_review_for(user, reference, review.case_reference).pk == review.pk
    if name in CHANGEABLE_REVIEWS[persona]:
        assert case_review_for(user, reference, review.case_reference, change=True).pk == review.pk
    else:
        with pytest.raises(PermissionDenied):
            case_review_for(user, reference, review.case_reference, change=True)


def test_a_case_reference_is_looked_up_within_its_own_inspection(world, inspector):
    # The same case reference in another inspection the inspector cannot see stays hidden.
    CaseReviewFactory(inspection=world["inspections"]["SW-OTH-2024"], case_reference="T-DRAFT")
    found = case_review_for(inspector, "SW-TST-2024", "T-DRAFT")
    assert found.pk == world["reviews"]["mine_draft"].pk
    with pytest.raises(Http404):
        case_review_for(inspector, "SW-OTH-2024", "T-DRAFT")


def test_the_lead_role_is_per_inspection_not_per_account(world, lead_inspector):
    # A lead inspector who joins another team as an ordinary inspector works there as one.
    other = world["inspections"]["SW-OTH-2024"]
    TeamMemberFactory(inspection=other, user=lead_inspector, role=TeamMember.Role.INSPECTOR)
    assert not is_lead_on(lead_inspector, other)
    assert not can_change_inspection(lead_inspector, other)
    assert not can_change_case_review(lead_inspector, world["reviews"]["other_team"])
    assert can_view_case_data(lead_inspector, other)


def test_only_the_team_and_administrators_see_case_data(request, world):
    published = world["inspections"]["SW-PUB-2024"]
    allowed = {persona for persona in PERSONAS if can_view_case_data(request.getfixturevalue(persona), published)}
    assert allowed == {"inspector", "lead_inspector", "administrator"}


def test_unlocking_a_published_inspection_lets_its_team_correct_it_again(world, inspector, lead_inspector):
    published = world["inspections"]["SW-PUB-2024"]
    review = world["reviews"]["published_draft"]
    assert not can_change_inspection(lead_inspector, published)
    assert not can_change_case_review(inspector, review)
    set_publication(published, unlocked_at=timezone.now())
    review.inspection.refresh_from_db()
    published.refresh_from_db()
    assert can_change_inspection(lead_inspector, published)
    assert can_change_case_review(lead_inspector, review)
    assert can_change_case_review(inspector, review)


def test_a_reassigned_case_leaves_its_former_inspectors_hands(world, inspector, lead_inspector):
    review = world["reviews"]["mine_draft"]
    CaseReview.objects.filter(pk=review.pk).update(inspector=lead_inspector)
    review.refresh_from_db()
    assert not can_change_case_review(inspector, review)
    with pytest.raises(PermissionDenied):
        case_review_for(inspector, "SW-TST-2024", review.case_reference, change=True)


def test_a_deactivated_account_sees_nothing(world, inspector):
    inspector.is_active = False
    inspector.save()
    assert not inspections_visible_to(inspector).exists()
    assert not case_reviews_visible_to(inspector).exists()
    assert not can_change_case_review(inspector, world["reviews"]["mine_draft"])
    with pytest.raises(Http404):
        inspection_for(inspector, "SW-TST-2024")


def test_an_inspector_on_no_team_sees_and_changes_nothing(world):
    stranger = UserFactory(email="stranger@example.test", role=User.Role.INSPECTOR)
    assert not inspections_visible_to(stranger).exists()
    assert not case_reviews_visible_to(stranger).exists()
    assert not any(can_change_case_review(stranger, review) for review in world["reviews"].values())
