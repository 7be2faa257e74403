"""Live ratings fed from the database: what counts, what does not, and what it costs."""

import pytest
from django.utils import timezone

from casework.models import Answer, CaseReview
from inspections.models import Inspection, Question
from ratings import serialise
from ratings.models import RatingsSnapshot
from ratings.selectors import (
    draft_case_counts,
    inspection_ratings,
    inspection_ratings_for_display,
    inspections_ratings,
)
from ratings.services import inspection_publish

from .factories import InspectionFactory, PDUFactory, set_publication
from .ratings_data import add_cases, answers, judge


def ratings_of(result):
    return {s.code: s.rating for s in result.standards}


@pytest.mark.django_db
def test_live_ratings_equal_a_hand_calculation(inspection):
    add_cases(
        inspection,
        10,
        answers={
            "2.1.1": answers(yes=2, no=8),  # 20 %: Inadequate
            "2.2.3": answers(yes=6, no=4),  # 60 %: Requires improvement, lowest of 2.2
            "2.5.1": answers(yes=5, no=1, not_applicable=3, unanswered=1),  # 5 of 6 relevant: Outstanding
            "2.5.2": answers(yes=3, no=3, not_applicable=4),  # 50 %: Requires improvement
        },
    )
    judge(inspection, "good")

    result = inspection_ratings(inspection)

    assert ratings_of(result) == {
        "1.1": "good",
        "1.2": "good",
        "1.3": "good",
        "1.4": "good",
        "2.1": "inadequate",
        "2.2": "requires_improvement",
        "2.3": "outstanding",
        "2.4": "outstanding",
        "2.5": "requires_improvement",
    }
    assert result.score == 4 * 2 + 0 + 1 + 3 + 3 + 1 == 16
    assert result.rating == "good"
    assessment = result.standard("2.2")
    assert assessment.deciding_key_question == "2.2.3"
    reviewing = {kq.code: kq.counts for kq in result.standard("2.5").key_questions}
    # "Not applicable" leaves the denominator; the unanswered case counts nowhere.
    assert (reviewing["2.5.1"].yes, reviewing["2.5.1"].relevant, reviewing["2.5.1"].not_applicable) == (5, 6, 3)


@pytest.mark.django_db
def test_an_unrated_standard_leaves_the_score_incomplete(inspection):
    add_cases(inspection, 4)
    judge(inspection, "good", codes=("1.1", "1.2", "1.3"))
    result = inspection_ratings(inspection)
    assert result.score is None and result.rating is None
    assert list(result.missing) == ["1.4"]


@pytest.mark.django_db
def test_a_standard_with_no_answers_yet_is_missing_not_zero(inspection):
    judge(inspection)
    result = inspection_ratings(inspection)
    assert result.score is None
    assert set(result.missing) == {"2.1", "2.2", "2.3", "2.4", "2.5"}


@pytest.mark.django_db
def test_archived_case_reviews_are_out_of_the_sample(inspection):
    add_cases(inspection, 6)
    [archived] = add_cases(inspection, 1, value="no", prefix="Z")
    CaseReview.objects.filter(pk=archived.pk).update(archived_at=timezone.now())
    result = inspection_ratings(inspection)
    assert {kq.counts.no for s in result.standards for kq in s.key_questions} == {0}


@pytest.mark.django_db
def test_drafts_count_in_live_ratings_and_are_counted_for_the_explanation(inspection):
    add_cases(inspection, 3, value="no", status=CaseReview.Status.DRAFT)
    add_cases(inspection, 2, value="no", status=CaseReview.Status.RETURNED, prefix="R")
    add_cases(inspection, 5, value="yes", status=CaseReview.Status.MODERATED, prefix="M")
    result = inspection_ratings(inspection)
    assert result.standard("2.2").key_questions[0].counts.relevant == 10
    assert draft_case_counts([inspection.id]) == {inspection.id: 5}
    assert inspection_ratings_for_display(inspection).draft_cases == 5


@pytest.mark.django_db
@pytest.mark.parametrize("cases", [5, 50])
def test_rating_an_inspection_costs_three_queries_whatever_its_size(inspection, cases, django_assert_num_queries):
    add_cases(inspection, cases)
    judge(inspection)
    with django_assert_num_queries(3):
        result = inspection_ratings(inspection)
    assert result.score is not None
    assert result.standard("2.3").key_questions[0].counts.yes == cases


@pytest.mark.django_db
def test_rating_many_inspections_costs_the_same_three_queries(region, django_assert_num_queries):
    inspections = [
        InspectionFactory(reference=f"SW-T{n}A-2024", pdu=PDUFactory(slug=f"t{n}", region=region)) for n in range(4)
    ]
    for n, inspection in enumerate(inspections):
        add_cases(inspection, 3 + n, value="yes" if n % 2 else "no")
    with django_assert_num_queries(3):
        results = inspections_ratings(inspections)
    assert [results[i.id].standard("2.2").rating for i in inspections] == [
        "inadequate",
        "outstanding",
        "inadequate",
        "outstanding",
    ]


@pytest.mark.django_db
def test_the_order_in_which_cases_were_entered_does_not_matter(region):
    values = {"2.2.1": answers(yes=7, no=5), "2.5.2": answers(yes=4, no=2, not_applicable=5, unanswered=1)}
    first = InspectionFactory(reference="SW-ONE-2024", pdu=PDUFactory(slug="one", region=region))
    second = InspectionFactory(reference="SW-TWO-2024", pdu=PDUFactory(slug="two", region=region))
    add_cases(first, 12, answers=values)
    add_cases(second, 12, answers=values, reverse=True)
    assert serialise.result_to_data(inspection_ratings(first)) == serialise.result_to_data(inspection_ratings(second))


@pytest.mark.django_db
def test_published_ratings_are_read_from_the_snapshot_and_later_edits_do_not_move_them(inspection, lead_inspector):
    add_cases(inspection, 10, answers={"2.2.1": answers(yes=7, no=3)})
    judge(inspection)
    set_publication(inspection, status=Inspection.Status.RATINGS_PANEL)
    inspection.refresh_from_db()
    inspection_publish(inspection=inspection, by=lead_inspector)
    published = inspection_ratings_for_display(inspection)
    assert published.snapshot is not None and not published.is_live
    assert published.result.standard("2.2").rating == "good"

    # A correction after publication (the lock lifted at the database level to make it).
    set_publication(inspection, unlocked_at=timezone.now())
    Answer.objects.filter(
        case_review__inspection=inspection, question=Question.objects.get(framework=inspection.framework, code="2.2.1")
    ).update(value="no")
    set_publication(inspection, unlocked_at=None)
    inspection.refresh_from_db()

    assert inspection_ratings(inspection).standard("2.2").rating == "inadequate"
    shown = inspection_ratings_for_display(inspection)
    assert shown.result.standard("2.2").rating == "good"
    assert shown.result.score == published.result.score
    assert shown.snapshot.pk == published.snapshot.pk
    assert RatingsSnapshot.objects.filter(inspection=inspection).count() == 1
    assert inspection_ratings_for_display(inspection, live=True).result.standard("2.2").rating == "inadequate"


@pytest.mark.django_db
def test_a_published_inspection_without_a_snapshot_is_shown_live_and_says_so(inspection):
    add_cases(inspection, 3)
    judge(inspection)
    set_publication(inspection, status=Inspection.Status.PUBLISHED, published_on="2024-09-01")
    inspection.refresh_from_db()
    shown = inspection_ratings_for_display(inspection)
    assert shown.is_live
    assert shown.result.score == inspection_ratings(inspection).score


@pytest.mark.django_db
def test_a_snapshot_reads_back_exactly_what_was_computed(inspection, lead_inspector):
    add_cases(inspection, 9, answers={"2.4.3": answers(yes=5, no=4), "2.5.3": answers(yes=2, not_applicable=7)})
    judge(inspection, "requires_improvement")
    live = inspection_ratings(inspection)
    assert serialise.result_from_data(serialise.result_to_data(live)) == live
