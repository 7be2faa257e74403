"""Reads that feed the pure rules from the database with aggregate queries.

Rating any number of inspections costs five queries whatever their size: the
frameworks with their band tables, their standards with their key questions, one
GROUP BY over the answers, the judgements and the overrides. Published
inspections are shown from their snapshot instead (`inspection_ratings_for_display`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.postgres.aggregates import JSONBAgg
from django.db.models import Count, Q
from django.db.models.functions import JSONObject

from casework.models import Answer, CaseReview
from inspections.choices import AnswerValue, Rating
from inspections.models import Framework, Inspection, OrganisationalJudgement, Question, Standard

from . import rules, serialise
from .models import RatingOverride, RatingsSnapshot


def _rules_from_record(framework: Framework, bands: Iterable[dict]) -> rules.RatingRules:
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
        bands=sorted(
            (rules.Band(rating=Rating(b["rating"]), min_score=b["min_score"], max_score=b["max_score"]) for b in bands),
            key=lambda band: band.min_score,
        ),
        standard_count=framework.standard_count,
    )


def rating_rules(framework: Framework) -> rules.RatingRules:
    """The rules of one framework record, for callers that hold the record."""
    return _rules_from_record(framework, framework.bands.values("rating", "min_score", "max_score"))


@dataclass(frozen=True)
class _Structure:
    """What the rules need to know about a framework: its rules and its scored standards."""

    rules: rules.RatingRules
    standards: list[Standard]
    key_questions: dict[int, dict[int, str]]  # standard id → key question id → code (case-based standards only)

    @property
    def key_question_ids(self) -> set[int]:
        return {qid for by_id in self.key_questions.values() for qid in by_id}


def _structures(framework_ids: set[int]) -> dict[int, _Structure]:
    """Two queries: the frameworks with their band tables, then the standards with their key questions."""
    frameworks = Framework.objects.filter(id__in=framework_ids).annotate(
        band_table=JSONBAgg(
            JSONObject(rating="bands__rating", min_score="bands__min_score", max_score="bands__max_score"),
            filter=Q(bands__isnull=False),
            default=[],
        )
    )
    standards = (
        Standard.objects.filter(framework_id__in=framework_ids)
        .annotate(
            key_question_rows=JSONBAgg(
                JSONObject(id="questions__id", code="questions__code"),
                filter=Q(questions__kind=Question.Kind.KEY_QUESTION),
                default=[],
            )
        )
        .order_by("framework_id", "order")
    )
    by_framework: dict[int, list[Standard]] = defaultdict(list)
    for standard in standards:
        by_framework[standard.framework_id].append(standard)
    structures = {}
    for framework in frameworks:
        framework_standards = by_framework[framework.id]
        structures[framework.id] = _Structure(
            rules=_rules_from_record(framework, framework.band_table),
            standards=framework_standards,
            key_questions={
                s.id: {row["id"]: row["code"] for row in s.key_question_rows}
                for s in framework_standards
                if s.rated_by == Standard.RatedBy.CASE_DATA
            },
        )
    return structures


ANSWER_COUNTS = {
    "yes": Count("id", filter=Q(value=AnswerValue.YES)),
    "no": Count("id", filter=Q(value=AnswerValue.NO)),
    "not_applicable": Count("id", filter=Q(value=AnswerValue.NOT_APPLICABLE)),
}


def _answer_counts(inspection_ids: list[int], question_ids: Iterable[int]) -> dict[int, dict[int, rules.Counts]]:
    """Per inspection, per question id: the answer counts of its live case reviews. One GROUP BY.

    Every status counts (drafts included) so that inspectors see the effect of
    their work as they go; archived case reviews are out of the sample.
    """
    rows = (
        Answer.objects.filter(
            case_review__inspection_id__in=inspection_ids,
            case_review__archived_at__isnull=True,
            question_id__in=list(question_ids),
        )
        .values_list("case_review__inspection_id", "question_id")
        .annotate(**ANSWER_COUNTS)
        .order_by()
    )
    counts: dict[int, dict[int, rules.Counts]] = defaultdict(dict)
    for inspection_id, question_id, yes, no, not_applicable in rows:
        counts[inspection_id][question_id] = rules.Counts(yes=yes, no=no, not_applicable=not_applicable)
    return counts


def key_question_counts(inspection_ids: Iterable[int]) -> dict[int, dict[str, rules.Counts]]:
    """Per inspection, per key question code: the answer counts. One query for any number of inspections."""
    rows = (
        Answer.objects.filter(
            case_review__inspection_id__in=list(inspection_ids),
            case_review__archived_at__isnull=True,
            question__kind=Question.Kind.KEY_QUESTION,
        )
        .values_list("case_review__inspection_id", "question__code")
        .annotate(**ANSWER_COUNTS)
        .order_by()
    )
    counts: dict[int, dict[str, rules.Counts]] = defaultdict(dict)
    for inspection_id, code, yes, no, not_applicable in rows:
        counts[inspection_id][code] = rules.Counts(yes=yes, no=no, not_applicable=not_applicable)
    return counts


def draft_case_counts(inspection_ids: Iterable[int]) -> dict[int, int]:
    """Case reviews still being written (draft, or returned to their inspector), per inspection."""
    rows = (
        CaseReview.objects.filter(
            inspection_id__in=list(inspection_ids),
            archived_at__isnull=True,
            status__in=[CaseReview.Status.DRAFT, CaseReview.Status.RETURNED],
        )
        .values_list("inspection_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return dict(rows)


def inspections_ratings(inspections: Iterable[Inspection]) -> dict[int, rules.InspectionResult]:
    """Live ratings of many inspections, with five queries for the lot."""
    inspections = list(inspections)
    if not inspections:
        return {}
    ids = [i.id for i in inspections]
    structures = _structures({i.framework_id for i in inspections})
    counts = _answer_counts(ids, set().union(*(s.key_question_ids for s in structures.values())))
    judgements = {
        (inspection_id, standard_id): Rating(rating)
        for inspection_id, standard_id, rating in OrganisationalJudgement.objects.filter(
            inspection_id__in=ids
        ).values_list("inspection_id", "standard_id", "rating")
    }
    overrides = {
        (o.inspection_id, o.standard_id): rules.Override(
            to_rating=Rating(o.to_rating),
            from_rating=Rating(o.from_rating) if o.from_rating else None,
            reason=o.reason,
            by=o.decided_by.get_full_name() or o.decided_by.email,
            at=o.decided_at.isoformat(),
        )
        for o in RatingOverride.objects.filter(inspection_id__in=ids).select_related("decided_by")
    }
    results = {}
    for inspection in inspections:
        structure = structures[inspection.framework_id]
        inspection_counts = counts.get(inspection.id, {})
        inputs = [
            rules.StandardInput(
                code=s.code,
                title=s.title,
                rated_by=s.rated_by,
                key_questions={
                    code: inspection_counts.get(question_id, rules.Counts())
                    for question_id, code in structure.key_questions.get(s.id, {}).items()
                },
                judgement=judgements.get((inspection.id, s.id)),
                override=overrides.get((inspection.id, s.id)),
            )
            for s in structure.standards
        ]
        results[inspection.id] = rules.rate_inspection(inputs, structure.rules)
    return results


def inspection_ratings(inspection: Inspection) -> rules.InspectionResult:
    """Live ratings of one inspection: five queries whatever its size."""
    return inspections_ratings([inspection])[inspection.id]


@dataclass(frozen=True)
class DisplayedRatings:
    """The ratings to show: live for work in progress, the published snapshot once published."""

    result: rules.InspectionResult
    draft_cases: int
    snapshot: RatingsSnapshot | None  # None while the ratings are computed live

    @property
    def is_live(self) -> bool:
        return self.snapshot is None


def latest_snapshots(inspection_ids: Iterable[int], *, kind: str) -> dict[int, RatingsSnapshot]:
    snapshots = (
        RatingsSnapshot.objects.filter(inspection_id__in=list(inspection_ids), kind=kind)
        .select_related("created_by")
        .order_by("inspection_id", "-created_at", "-id")
        .distinct("inspection_id")
    )
    return {s.inspection_id: s for s in snapshots}


def inspections_ratings_for_display(
    inspections: Iterable[Inspection], *, live: bool = False
) -> dict[int, DisplayedRatings]:
    """Published inspections from their latest published snapshot, the others live.

    A published inspection without a snapshot (published before snapshots
    existed) falls back to live ratings, marked as live. `live=True` computes
    every inspection from the case data now, to compare with what was published.
    """
    inspections = list(inspections)
    published_ids = [] if live else [i.id for i in inspections if i.is_published]
    snapshots = latest_snapshots(published_ids, kind=RatingsSnapshot.Kind.PUBLISHED) if published_ids else {}
    live = [i for i in inspections if i.id not in snapshots]
    live_results = inspections_ratings(live)
    drafts = draft_case_counts([i.id for i in live]) if live else {}
    displayed = {}
    for inspection in inspections:
        snapshot = snapshots.get(inspection.id)
        if snapshot is not None:
            displayed[inspection.id] = DisplayedRatings(
                result=serialise.result_from_data(snapshot.result), draft_cases=snapshot.draft_cases, snapshot=snapshot
            )
        else:
            displayed[inspection.id] = DisplayedRatings(
                result=live_results[inspection.id], draft_cases=drafts.get(inspection.id, 0), snapshot=None
            )
    return displayed


def inspection_ratings_for_display(inspection: Inspection, *, live: bool = False) -> DisplayedRatings:
    return inspections_ratings_for_display([inspection], live=live)[inspection.id]


def snapshot_summary(snapshot: RatingsSnapshot | None) -> dict | None:
    """Which snapshot the ratings were read from, for reports."""
    if snapshot is None:
        return None
    return {
        "kind": snapshot.kind,
        "taken_at": snapshot.created_at.isoformat(),
        "taken_by": snapshot.created_by.get_full_name() or snapshot.created_by.email,
    }
