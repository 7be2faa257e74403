"""The ratings panel's overrides, snapshots and publication: what they write and what they refuse."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, InternalError, transaction
from django.utils import timezone

from casework.models import CaseReview
from inspections.errors import Refused
from inspections.models import Inspection, LockEvent, Standard
from ratings.models import RatingOverride, RatingsSnapshot
from ratings.selectors import inspection_ratings, inspection_ratings_for_display
from ratings.services import (
    inspection_publish,
    rating_override_record,
    rating_override_remove,
    ratings_snapshot_take,
)

from .factories import set_publication
from .ratings_data import add_cases, answers, judge

RatingOverrideEvent = RatingOverride.pgh_event_model


def standard(inspection, code):
    return Standard.objects.get(framework=inspection.framework, code=code)


def at_panel(inspection):
    set_publication(inspection, status=Inspection.Status.RATINGS_PANEL)
    inspection.refresh_from_db()
    return inspection


@pytest.fixture
def rated(inspection):
    """Every standard rated: 2.2 Inadequate from its 2.2.3 (4 of 10), the rest Outstanding or Good."""
    add_cases(inspection, 10, answers={"2.2.3": answers(yes=4, no=6)})
    judge(inspection, "good")
    return inspection


# Overrides -------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["", "   "])
def test_an_override_without_a_reason_is_refused_and_nothing_is_written(rated, lead_inspector, reason):
    with pytest.raises(ValidationError, match="needs a reason"):
        rating_override_record(
            inspection=rated, standard=standard(rated, "2.2"), to_rating="good", reason=reason, by=lead_inspector
        )
    assert not RatingOverride.objects.exists()


@pytest.mark.django_db
def test_an_override_stores_the_derived_rating_it_moves_from_and_changes_the_score(rated, lead_inspector):
    before = inspection_ratings(rated)
    override = rating_override_record(
        inspection=rated,
        standard=standard(rated, "2.2"),
        to_rating="requires_improvement",
        reason="Recent audit evidence shows risk assessments improving.",
        by=lead_inspector,
    )
    override.refresh_from_db()
    assert (override.from_rating, override.to_rating, override.decided_by) == (
        "inadequate",
        "requires_improvement",
        lead_inspector,
    )
    after = inspection_ratings(rated)
    assessment = after.standard("2.2")
    assert (assessment.derived_rating, assessment.rating, assessment.source) == (
        "inadequate",
        "requires_improvement",
        "override",
    )
    assert assessment.override.reason.startswith("Recent audit evidence")
    assert after.score == before.score + 1


@pytest.mark.django_db
def test_recording_again_replaces_the_decision_and_keeps_its_history(rated, lead_inspector):
    for to_rating in ["requires_improvement", "good"]:
        rating_override_record(
            inspection=rated,
            standard=standard(rated, "2.2"),
            to_rating=to_rating,
            reason="Panel view",
            by=lead_inspector,
        )
    assert list(RatingOverride.objects.values_list("to_rating", flat=True)) == ["good"]
    assert list(RatingOverrideEvent.objects.order_by("pgh_id").values_list("pgh_label", "to_rating")) == [
        ("insert", "requires_improvement"),
        ("delete", "requires_improvement"),
        ("insert", "good"),
    ]


@pytest.mark.django_db
def test_an_override_to_the_rating_the_rules_already_give_is_refused(rated, lead_inspector):
    with pytest.raises(ValidationError, match="already Inadequate"):
        rating_override_record(
            inspection=rated, standard=standard(rated, "2.2"), to_rating="inadequate", reason="x", by=lead_inspector
        )
    assert not RatingOverride.objects.exists()


@pytest.mark.django_db
def test_removing_an_override_restores_the_derived_rating(rated, lead_inspector):
    rating_override_record(
        inspection=rated,
        standard=standard(rated, "2.3"),
        to_rating="requires_improvement",
        reason="Panel",
        by=lead_inspector,
    )
    rating_override_remove(inspection=rated, standard=standard(rated, "2.3"), by=lead_inspector)
    assert not RatingOverride.objects.exists()
    assert inspection_ratings(rated).standard("2.3").source == "case_data"
    with pytest.raises(Refused, match="no ratings panel override"):
        rating_override_remove(inspection=rated, standard=standard(rated, "2.3"), by=lead_inspector)


@pytest.mark.django_db
def test_only_the_lead_inspector_may_move_a_rating(rated, inspector):
    with pytest.raises(Refused, match="lead inspector") as refused:
        rating_override_record(
            inspection=rated, standard=standard(rated, "2.2"), to_rating="good", reason="I think so", by=inspector
        )
    assert refused.value.code == "not_lead"
    assert not RatingOverride.objects.exists()


@pytest.mark.django_db
def test_overrides_on_a_published_inspection_are_refused_by_the_service_and_the_database(rated, lead_inspector):
    inspection_publish(inspection=at_panel(rated), by=lead_inspector)
    with pytest.raises(Refused, match="published and locked"):
        rating_override_record(
            inspection=rated, standard=standard(rated, "2.2"), to_rating="good", reason="Late", by=lead_inspector
        )
    with pytest.raises((IntegrityError, InternalError), match="locked"), transaction.atomic():
        RatingOverride.objects.create(
            inspection=rated, standard=standard(rated, "2.2"), to_rating="good", reason="Raw", decided_by=lead_inspector
        )
    assert not RatingOverride.objects.exists()


# Snapshots and publication ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_panel_confirms_a_snapshot_with_its_inputs_and_rules(rated, lead_inspector):
    snapshot = ratings_snapshot_take(inspection=at_panel(rated), kind="panel_confirmed", by=lead_inspector)
    snapshot.refresh_from_db()
    live = inspection_ratings(rated)
    assert (snapshot.kind, snapshot.framework_code, snapshot.score, snapshot.max_score, snapshot.rating) == (
        "panel_confirmed",
        "pdu-2021",
        live.score,
        27,
        live.rating,
    )
    stored_2_2_3 = next(kq for kq in snapshot.result["standards"][5]["key_questions"] if kq["code"] == "2.2.3")
    assert (stored_2_2_3["yes"], stored_2_2_3["no"]) == (4, 6)
    assert snapshot.result["rules"]["thresholds"]["good"] == "65.00"
    assert snapshot.created_by == lead_inspector


@pytest.mark.django_db
def test_the_panel_cannot_confirm_before_the_ratings_panel_stage(rated, lead_inspector):
    with pytest.raises(Refused, match="not the ratings panel"):
        ratings_snapshot_take(inspection=rated, kind="panel_confirmed", by=lead_inspector)
    assert not RatingsSnapshot.objects.exists()


@pytest.mark.django_db
def test_incomplete_ratings_cannot_be_confirmed(inspection, lead_inspector):
    add_cases(inspection, 3)
    with pytest.raises(Refused, match=r"1\.1: the team has not recorded a judgement"):
        ratings_snapshot_take(inspection=at_panel(inspection), kind="panel_confirmed", by=lead_inspector)
    assert not RatingsSnapshot.objects.exists()


@pytest.mark.django_db
def test_a_snapshot_can_be_neither_changed_nor_deleted(rated, lead_inspector):
    snapshot = ratings_snapshot_take(inspection=at_panel(rated), kind="panel_confirmed", by=lead_inspector)
    with pytest.raises((IntegrityError, InternalError), match="cannot be changed"), transaction.atomic():
        RatingsSnapshot.objects.filter(pk=snapshot.pk).update(score=27)
    with pytest.raises((IntegrityError, InternalError), match="cannot be changed"), transaction.atomic():
        RatingsSnapshot.objects.filter(pk=snapshot.pk).delete()
    snapshot.refresh_from_db()
    assert snapshot.score == inspection_ratings(rated).score


@pytest.mark.django_db
def test_publishing_sets_status_date_and_the_published_snapshot_together(rated, lead_inspector):
    snapshot = inspection_publish(
        inspection=at_panel(rated), by=lead_inspector, published_on=datetime.date(2024, 9, 30)
    )
    rated.refresh_from_db()
    assert (rated.status, rated.published_on, rated.is_locked) == ("published", datetime.date(2024, 9, 30), True)
    assert RatingsSnapshot.objects.get() == snapshot
    assert snapshot.kind == "published" and snapshot.score == inspection_ratings(rated).score
    assert inspection_ratings_for_display(rated).snapshot == snapshot


@pytest.mark.django_db
def test_publishing_is_refused_while_case_reviews_are_in_draft(rated, lead_inspector):
    add_cases(rated, 1, status=CaseReview.Status.DRAFT, prefix="D")
    with pytest.raises(Refused, match="1 case review not yet submitted"):
        inspection_publish(inspection=at_panel(rated), by=lead_inspector)
    rated.refresh_from_db()
    assert rated.status == "ratings_panel" and rated.published_on is None
    assert not RatingsSnapshot.objects.exists()


@pytest.mark.django_db
def test_publishing_incomplete_ratings_writes_nothing(inspection, lead_inspector):
    add_cases(inspection, 3)
    with pytest.raises(Refused, match="no rating"):
        inspection_publish(inspection=at_panel(inspection), by=lead_inspector)
    inspection.refresh_from_db()
    assert inspection.status == "ratings_panel" and inspection.published_on is None
    assert not RatingsSnapshot.objects.exists()


@pytest.mark.django_db
def test_only_an_inspection_at_the_ratings_panel_can_be_published(rated, lead_inspector):
    with pytest.raises(Refused, match="only an inspection at the ratings panel"):
        inspection_publish(inspection=rated, by=lead_inspector)
    rated.refresh_from_db()
    assert rated.status == "fieldwork"


@pytest.mark.django_db
def test_only_the_lead_may_publish(rated, inspector):
    with pytest.raises(Refused, match="lead inspector"):
        inspection_publish(inspection=at_panel(rated), by=inspector)
    assert not RatingsSnapshot.objects.exists()


@pytest.mark.django_db
def test_republishing_after_a_correction_relocks_with_a_new_snapshot_and_keeps_the_first(rated, lead_inspector):
    first = inspection_publish(inspection=at_panel(rated), by=lead_inspector, published_on=datetime.date(2024, 9, 30))
    with pytest.raises(Refused, match="already published"):
        inspection_publish(inspection=rated, by=lead_inspector)
    set_publication(rated, unlocked_at=timezone.now())
    rated.refresh_from_db()
    add_cases(rated, 5, value="no", prefix="C")
    second = inspection_publish(inspection=rated, by=lead_inspector)
    rated.refresh_from_db()
    assert rated.is_locked and rated.published_on == datetime.date(2024, 9, 30)
    assert list(RatingsSnapshot.objects.order_by("id")) == [first, second]
    assert inspection_ratings_for_display(rated).snapshot == second
    assert LockEvent.objects.filter(inspection=rated, action="republished").count() == 1


def test_published_and_open_for_correction_is_one_property():
    now = timezone.now()
    assert Inspection(status=Inspection.Status.PUBLISHED, unlocked_at=now).is_open_for_correction
    assert not Inspection(status=Inspection.Status.PUBLISHED, unlocked_at=None).is_open_for_correction
    assert not Inspection(status=Inspection.Status.RATINGS_PANEL, unlocked_at=None).is_open_for_correction
