"""Reads that feed the pure rules from the database with aggregate queries.

Rating any number of inspections costs three queries whatever their size: the
frameworks with their band tables, standards and key questions; one GROUP BY
over the answers; the judgements and overrides. Published
inspections are shown from their snapshot instead (`inspection_ratings_for_display`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count

from casework.models import CaseReview
from inspections.choices import RatedBy, Rating
from inspections.models import Framework, Inspection, OrganisationalJudgement, Question, Standard

from . import rules, serialise
from .explain import StandardExplanation, explain_standard
from .models import RatingsSnapshot

# The framework columns the rules are built from, read by name wherever they come from.
RULE_FIELDS = (
    "code",
    "outstanding_threshold",
    "good_threshold",
    "requires_improvement_threshold",
    "rounding",
    "points_outstanding",
    "points_good",
    "points_requires_improvement",
    "points_inadequate",
    "standard_count",
)


def build_rating_rules(framework: Mapping[str, object], bands: Iterable[Mapping[str, object]]) -> rules.RatingRules:
    """The one builder of a framework's `RatingRules`: its RULE_FIELDS by name, and its band table rows."""
    return rules.RatingRules(
        framework=framework["code"],
        thresholds={
            Rating.OUTSTANDING: framework["outstanding_threshold"],
            Rating.GOOD: framework["good_threshold"],
            Rating.REQUIRES_IMPROVEMENT: framework["requires_improvement_threshold"],
        },
        rounding=framework["rounding"],
        points={
            Rating.OUTSTANDING: framework["points_outstanding"],
            Rating.GOOD: framework["points_good"],
            Rating.REQUIRES_IMPROVEMENT: framework["points_requires_improvement"],
            Rating.INADEQUATE: framework["points_inadequate"],
        },
        bands=sorted(
            (rules.Band(rating=Rating(b["rating"]), min_score=b["min_score"], max_score=b["max_score"]) for b in bands),
            key=lambda band: band.min_score,
        ),
        standard_count=framework["standard_count"],
    )


def rating_rules(framework: Framework) -> rules.RatingRules:
    """The rules of one framework record, for callers that hold the record."""
    return build_rating_rules(
        {name: getattr(framework, name) for name in RULE_FIELDS},
        framework.bands.values("rating", "min_score", "max_score"),
    )


# The three reads below are plain SQL: measured with `make bench`, the ORM's query
# compilation and the planning of its long IN lists cost more than the aggregate
# itself, and rating one inspection has to stay within a small multiple of that
# aggregate. Each is one round trip whatever the number of inspections.

_STRUCTURE_SQL = """
    SELECT f.id, f.code, f.outstanding_threshold, f.good_threshold, f.requires_improvement_threshold, f.rounding,
           f.points_outstanding, f.points_good, f.points_requires_improvement, f.points_inadequate, f.standard_count,
           (SELECT coalesce(json_agg(json_build_object(
                       'rating', b.rating, 'min_score', b.min_score, 'max_score', b.max_score)), '[]')
              FROM inspections_overallband b WHERE b.framework_id = f.id) AS bands,
           (SELECT coalesce(json_agg(json_build_object(
                       'id', s.id, 'code', s.code, 'title', s.title, 'rated_by', s.rated_by,
                       'key_questions', (SELECT coalesce(json_agg(json_build_object('id', q.id, 'code', q.code)
                                                                  ORDER BY q."order"), '[]')
                                           FROM inspections_question q
                                          WHERE q.standard_id = s.id AND q.kind = 'key_question'))
                       ORDER BY s."order"), '[]')
              FROM inspections_standard s WHERE s.framework_id = f.id) AS standards
      FROM inspections_framework f
     WHERE f.id = ANY(%s)
"""

# Every status counts (drafts included) so that inspectors see the effect of their
# work as they go; archived case reviews are out of the sample.
_COUNTS_SQL = """
    SELECT c.inspection_id, a.question_id,
           count(*) FILTER (WHERE a.value = 'yes'),
           count(*) FILTER (WHERE a.value = 'no'),
           count(*) FILTER (WHERE a.value = 'not_applicable')
      FROM casework_answer a
      JOIN casework_casereview c ON c.id = a.case_review_id
     WHERE c.inspection_id = ANY(%s) AND c.archived_at IS NULL AND a.question_id = ANY(%s)
     GROUP BY c.inspection_id, a.question_id
"""

# The team's judgements and the panel's overrides, in one result.
_DECISIONS_SQL = """
    SELECT 'judgement', j.inspection_id, j.standard_id, j.rating, NULL, NULL, NULL, NULL
      FROM inspections_organisationaljudgement j
     WHERE j.inspection_id = ANY(%s)
    UNION ALL
    SELECT 'override', o.inspection_id, o.standard_id, o.to_rating, o.from_rating, o.reason,
           coalesce(nullif(trim(u.first_name || ' ' || u.last_name), ''), u.email), o.decided_at
      FROM ratings_ratingoverride o
      JOIN accounts_user u ON u.id = o.decided_by_id
     WHERE o.inspection_id = ANY(%s)
"""


@dataclass(frozen=True)
class _Standard:
    id: int
    code: str
    title: str
    rated_by: str
    key_questions: dict[int, str]  # key question id → code; only case-based standards use them


@dataclass(frozen=True)
class _Structure:
    """What the rules need to know about a framework: its rules and its scored standards."""

    rules: rules.RatingRules
    standards: list[_Standard]

    @property
    def key_question_ids(self) -> set[int]:
        return {qid for s in self.standards if s.rated_by == RatedBy.CASE_DATA for qid in s.key_questions}


def _structures(framework_ids: Iterable[int]) -> dict[int, _Structure]:
    with connection.cursor() as cursor:
        cursor.execute(_STRUCTURE_SQL, [list(framework_ids)])
        columns = [column.name for column in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    structures = {}
    for row in rows:
        structures[row["id"]] = _Structure(
            rules=build_rating_rules(row, _json(row["bands"])),
            standards=[
                _Standard(
                    id=s["id"],
                    code=s["code"],
                    title=s["title"],
                    rated_by=s["rated_by"],
                    key_questions={q["id"]: q["code"] for q in s["key_questions"]},
                )
                for s in _json(row["standards"])
            ],
        )
    return structures


def _json(value):
    # psycopg2 decodes json columns itself; other drivers may hand back text.
    return json.loads(value) if isinstance(value, str) else value


def _answer_counts(inspection_ids: list[int], question_ids: Iterable[int]) -> dict[int, dict[int, rules.Counts]]:
    """Per inspection, per question id: the answer counts of its live case reviews. One GROUP BY."""
    with connection.cursor() as cursor:
        cursor.execute(_COUNTS_SQL, [inspection_ids, list(question_ids)])
        rows = cursor.fetchall()
    counts: dict[int, dict[int, rules.Counts]] = defaultdict(dict)
    for inspection_id, question_id, yes, no, not_applicable in rows:
        counts[inspection_id][question_id] = rules.Counts(yes=yes, no=no, not_applicable=not_applicable)
    return counts


def _decisions(inspection_ids: list[int]):
    judgements: dict[tuple[int, int], Rating] = {}
    overrides: dict[tuple[int, int], rules.Override] = {}
    with connection.cursor() as cursor:
        cursor.execute(_DECISIONS_SQL, [inspection_ids, inspection_ids])
        rows = cursor.fetchall()
    for kind, inspection_id, standard_id, rating, from_rating, reason, by, at in rows:
        if kind == "judgement":
            judgements[(inspection_id, standard_id)] = Rating(rating)
        else:
            overrides[(inspection_id, standard_id)] = rules.Override(
                to_rating=Rating(rating),
                from_rating=Rating(from_rating) if from_rating else None,
                reason=reason,
                by=by,
                at=at.isoformat(),
            )
    return judgements, overrides


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
    """Live ratings of many inspections, with three queries for the lot."""
    inspections = list(inspections)
    if not inspections:
        return {}
    ids = [i.id for i in inspections]
    structures = _structures({i.framework_id for i in inspections})
    counts = _answer_counts(ids, set().union(*(s.key_question_ids for s in structures.values())))
    judgements, overrides = _decisions(ids)
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
                    for question_id, code in s.key_questions.items()
                }
                if s.rated_by == RatedBy.CASE_DATA
                else {},
                judgement=judgements.get((inspection.id, s.id)),
                override=overrides.get((inspection.id, s.id)),
            )
            for s in structure.standards
        ]
        results[inspection.id] = rules.rate_inspection(inputs, structure.rules)
    return results


def inspection_ratings(inspection: Inspection) -> rules.InspectionResult:
    """Live ratings of one inspection: three queries whatever its size."""
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


@dataclass
class KeyQuestionRow:
    code: str
    text: str
    result: rules.KeyQuestionResult
    decides: bool


@dataclass
class StandardRow:
    standard: rules.StandardResult
    explanation: StandardExplanation | None
    headline: str
    key_questions: list[KeyQuestionRow]
    judgement: OrganisationalJudgement | None

    @property
    def code(self) -> str:
        return self.standard.code


def standard_rows(inspection: Inspection, displayed: DisplayedRatings) -> list[StandardRow]:
    """Each standard's result with its explanation, headline, key questions and judgement: three queries."""
    result = displayed.result
    headlines = dict(Standard.objects.filter(framework_id=inspection.framework_id).values_list("code", "headline"))
    questions = dict(
        Question.objects.filter(framework_id=inspection.framework_id, kind=Question.Kind.KEY_QUESTION).values_list(
            "code", "text"
        )
    )
    judgements = {
        j.standard.code: j
        for j in OrganisationalJudgement.objects.filter(inspection=inspection).select_related("standard", "recorded_by")
    }
    explanations: dict[str, StandardExplanation] = {}
    if result.rules is not None:
        explanations = {
            s.code: explain_standard(s, result.rules, draft_cases=displayed.draft_cases) for s in result.standards
        }
    return [
        StandardRow(
            standard=s,
            explanation=explanations.get(s.code),
            headline=headlines.get(s.code, ""),
            key_questions=[
                KeyQuestionRow(
                    code=kq.code, text=questions.get(kq.code, ""), result=kq, decides=kq.code == s.deciding_key_question
                )
                for kq in s.key_questions
            ],
            judgement=judgements.get(s.code),
        )
        for s in result.standards
    ]
