"""Reads that feed the pure rules from the database with aggregate queries.

Rating one inspection costs a fixed handful of queries whatever its size: the
framework's rules, its standards, one GROUP BY over the answers, the judgements
and the overrides.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Count, Q

from casework.models import Answer, CaseReview
from inspections.choices import AnswerValue, Rating
from inspections.models import Framework, Inspection, OrganisationalJudgement, Question, Standard

from . import rules
from .models import RatingOverride


def rating_rules(framework: Framework) -> rules.RatingRules:
    return rules.RatingRules(
        framework=framework.code,
        thresholds={
            Rating.OUTSTANDING: framework.outstanding_threshold,
            Rating.GOOD: framework.good_threshold,
            Rating.REQUIRES_IMPROVEMENT: framework.requires_improvement_threshold,
        },
        rounding=framework.rounding,
        points={
            Rating.OUTSTANDING: framework.points_outstanding,
            Rating.GOOD: framework.points_good,
            Rating.REQUIRES_IMPROVEMENT: framework.points_requires_improvement,
            Rating.INADEQUATE: framework.points_inadequate,
        },
        bands=[
            rules.Band(rating=Rating(b.rating), min_score=b.min_score, max_score=b.max_score)
            for b in framework.bands.all()
        ],
        standard_count=framework.standard_count,
    )


ANSWER_COUNTS = {
    "yes": Count("id", filter=Q(value=AnswerValue.YES)),
    "no": Count("id", filter=Q(value=AnswerValue.NO)),
    "not_applicable": Count("id", filter=Q(value=AnswerValue.NOT_APPLICABLE)),
}


def key_question_counts(inspection_ids: Iterable[int]) -> dict[int, dict[str, rules.Counts]]:
    """Per inspection, per key question code: the answer counts. One query for any number of inspections."""
    rows = (
        Answer.objects.filter(
            case_review__inspection_id__in=list(inspection_ids),
            case_review__archived_at__isnull=True,
            question__kind=Question.Kind.KEY_QUESTION,
        )
        .values("case_review__inspection_id", "question__code")
        .annotate(**ANSWER_COUNTS)
        .order_by()
    )
    counts: dict[int, dict[str, rules.Counts]] = defaultdict(dict)
    for row in rows:
        counts[row["case_review__inspection_id"]][row["question__code"]] = rules.Counts(
            yes=row["yes"], no=row["no"], not_applicable=row["not_applicable"]
        )
    return counts


def draft_case_counts(inspection_ids: Iterable[int]) -> dict[int, int]:
    rows = (
        CaseReview.objects.filter(inspection_id__in=list(inspection_ids), archived_at__isnull=True)
        .exclude(status=CaseReview.Status.MODERATED)
        .exclude(status=CaseReview.Status.SUBMITTED)
        .values("inspection_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["inspection_id"]: row["n"] for row in rows}


def inspections_ratings(inspections: Iterable[Inspection]) -> dict[int, rules.InspectionResult]:
    """Live ratings of many inspections, with a fixed number of queries for the lot."""
    inspections = list(inspections)
    ids = [i.id for i in inspections]
    framework_ids = {i.framework_id for i in inspections}
    frameworks = {f.id: f for f in Framework.objects.filter(id__in=framework_ids).prefetch_related("bands")}
    standards_by_framework: dict[int, list[Standard]] = defaultdict(list)
    key_question_codes: dict[int, list[str]] = defaultdict(list)
    for standard in Standard.objects.filter(framework_id__in=framework_ids).order_by("order"):
        standards_by_framework[standard.framework_id].append(standard)
    for standard_id, code in Question.objects.filter(
        framework_id__in=framework_ids, kind=Question.Kind.KEY_QUESTION
    ).values_list("standard_id", "code"):
        key_question_codes[standard_id].append(code)
    counts = key_question_counts(ids)
    judgements = {
        (j.inspection_id, j.standard_id): Rating(j.rating)
        for j in OrganisationalJudgement.objects.filter(inspection_id__in=ids)
    }
    overrides = {
        (o.inspection_id, o.standard_id): rules.Override(
            to_rating=Rating(o.to_rating), reason=o.reason, by=o.decided_by.email, at=o.decided_at.isoformat()
        )
        for o in RatingOverride.objects.filter(inspection_id__in=ids).select_related("decided_by")
    }
    results = {}
    for inspection in inspections:
        framework = frameworks[inspection.framework_id]
        inspection_counts = counts.get(inspection.id, {})
        inputs = [
            rules.StandardInput(
                code=s.code,
                title=s.title,
                rated_by=s.rated_by,
                key_questions={code: inspection_counts.get(code, rules.Counts()) for code in key_question_codes[s.id]}
                if s.rated_by == Standard.RatedBy.CASE_DATA
                else {},
                judgement=judgements.get((inspection.id, s.id)),
                override=overrides.get((inspection.id, s.id)),
            )
            for s in standards_by_framework[framework.id]
        ]
        results[inspection.id] = rules.rate_inspection(inputs, rating_rules(framework))
    return results


def inspection_ratings(inspection: Inspection) -> rules.InspectionResult:
    return inspections_ratings([inspection])[inspection.id]
