"""Reads behind the dashboards: published results only, each a fixed number of queries.

What a dashboard shows is each PDU's latest *published* inspection within the
filters (its ratings as published, from the snapshot), the trend of every
published inspection in the period, the cases' answers behind the findings and
the disproportionality tables, and the region's action plan. Work in progress is
listed without its data. Every read here is one aggregate query or one read of
snapshots, whatever the number of inspections, PDUs or cases: the page's query
count does not grow with the data (tests/test_dashboards.py).
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from casework.models import Answer, CaseReview
from inspections.choices import AnswerValue
from inspections.models import Inspection, Question, Recommendation, Standard
from ratings.models import RatingsSnapshot
from ratings.rules import Counts, InspectionResult
from ratings.selectors import DisplayedRatings, inspections_ratings_for_display
from regions.models import PDU, Region
from trackers.models import Action, RecommendationResponse

from .filters import Filters

T = TypeVar("T")


@dataclass(frozen=True)
class Headline:
    """A finding the regional letter quotes: how many relevant cases gave `answer` to `question`."""

    question: str
    answer: str  # the answer counted: "no" for a shortfall, "yes" for a strength
    label: str


# The relevant-case findings the South West letter quotes (the seed), in its order.
HEADLINE_FINDINGS = (
    Headline("2.2.3.d", AnswerValue.NO, "No police enquiry about domestic abuse at assessment"),
    Headline("2.2.3.e", AnswerValue.NO, "No enquiry to children's services about safeguarding at assessment"),
    Headline("C.1", AnswerValue.YES, "Management oversight sufficient"),
    Headline("2.4.2.a", AnswerValue.YES, "Services most likely to reduce reoffending delivered"),
)

# The protected characteristics the disproportionality table breaks key-question sufficiency down by.
CHARACTERISTICS = {
    "ethnicity_group": "Ethnicity group",
    "gender": "Gender",
    "age_band": "Age band",
    "disability": "Disability",
}


def percent_of(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part * 100) / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


# Scope ---------------------------------------------------------------------------------------


def published(filters: Filters, *, region: Region | None = None) -> QuerySet[Inspection]:
    """Published inspections within the filters' period and framework, in one region or all."""
    inspections = Inspection.objects.filter(status=Inspection.Status.PUBLISHED)
    if region is not None:
        inspections = inspections.filter(pdu__region=region)
    if filters.date_from:
        inspections = inspections.filter(fieldwork_start__gte=filters.date_from)
    if filters.date_to:
        inspections = inspections.filter(fieldwork_start__lte=filters.date_to)
    if filters.framework:
        inspections = inspections.filter(framework__code=filters.framework)
    return inspections


def latest_per_pdu(inspections: QuerySet[Inspection]) -> list[Inspection]:
    """Each PDU's latest inspection among `inspections`, by region then PDU name: one query."""
    latest = (
        inspections.select_related("pdu__region", "framework")
        .order_by("pdu_id", "-fieldwork_start", "-id")
        .distinct("pdu_id")
    )
    return sorted(latest, key=lambda i: (i.pdu.region.name, i.pdu.name))


def latest_ids(inspections: QuerySet[Inspection]) -> list[int]:
    """The ids of each PDU's latest inspection among `inspections`: one query, no objects."""
    return list(
        inspections.order_by("pdu_id", "-fieldwork_start", "-id").distinct("pdu_id").values_list("id", flat=True)
    )


def in_progress(region: Region) -> list[Inspection]:
    """The region's inspections not yet published: listed by stage, without their data."""
    return list(
        Inspection.objects.filter(pdu__region=region)
        .exclude(status=Inspection.Status.PUBLISHED)
        .select_related("pdu")
        .order_by("fieldwork_start", "reference")
    )


def region_pdus(region: Region) -> list[PDU]:
    return list(region.pdus.order_by("name"))


# Ratings -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RatedInspection:
    inspection: Inspection
    ratings: DisplayedRatings

    @property
    def result(self) -> InspectionResult:
        return self.ratings.result


def rated(inspections: list[Inspection]) -> list[RatedInspection]:
    """The published ratings of each inspection, from its snapshot (live only if it has none)."""
    displayed = inspections_ratings_for_display(inspections)
    return [RatedInspection(inspection=i, ratings=displayed[i.id]) for i in inspections]


def standards_of(framework_ids: set[int]) -> dict[int, list[Standard]]:
    standards: dict[int, list[Standard]] = defaultdict(list)
    for standard in Standard.objects.filter(framework_id__in=framework_ids).order_by("order"):
        standards[standard.framework_id].append(standard)
    return standards


def key_question_texts(framework_ids: set[int]) -> dict[tuple[int, str], str]:
    rows = Question.objects.filter(framework_id__in=framework_ids, kind=Question.Kind.KEY_QUESTION).values_list(
        "framework_id", "code", "text"
    )
    return {(framework_id, code): text for framework_id, code, text in rows}


@dataclass(frozen=True)
class ScorePoint:
    inspection_id: int
    reference: str
    pdu_id: int
    region_id: int
    fieldwork_start: datetime.date
    score: int | None
    max_score: int | None
    rating: str
    synthetic: bool


def published_scores(inspections: QuerySet[Inspection]) -> list[ScorePoint]:
    """Score and band of every inspection in `inspections` from its latest published snapshot: one query.

    Read from the snapshot's own columns, not its JSON, so trends over hundreds of
    inspections cost one indexed read.
    """
    snapshots = (
        RatingsSnapshot.objects.filter(inspection__in=inspections, kind=RatingsSnapshot.Kind.PUBLISHED)
        .order_by("inspection_id", "-created_at", "-id")
        .distinct("inspection_id")
        .values_list(
            "inspection_id",
            "inspection__reference",
            "inspection__pdu_id",
            "inspection__pdu__region_id",
            "inspection__fieldwork_start",
            "score",
            "max_score",
            "rating",
            "inspection__synthetic",
        )
    )
    points = [ScorePoint(*row) for row in snapshots]
    return sorted(points, key=lambda p: (p.fieldwork_start, p.reference))


# Findings ------------------------------------------------------------------------------------

# One read serves every scope: counts per question, region and PDU, summed in Python for a
# region or the nation (`total`), so the region dashboard and the national view share one
# cached result. The questions are resolved to ids first, so answers are read by their index.
_FINDINGS_SQL = """
    SELECT q.code, p.region_id, p.slug,
           count(*) FILTER (WHERE a.value = 'yes'),
           count(*) FILTER (WHERE a.value = 'no'),
           count(*) FILTER (WHERE a.value = 'not_applicable')
      FROM casework_answer a
      JOIN casework_casereview c ON c.id = a.case_review_id
      JOIN inspections_question q ON q.id = a.question_id
      JOIN inspections_inspection i ON i.id = c.inspection_id
      JOIN regions_pdu p ON p.id = i.pdu_id
     WHERE c.inspection_id = ANY(%s) AND c.archived_at IS NULL
       AND a.question_id = ANY(ARRAY(SELECT id FROM inspections_question WHERE code = ANY(%s))) {case_filters}
     GROUP BY q.code, p.region_id, p.slug
"""


def _case_filter_sql(filters: Filters) -> tuple[str, list]:
    clauses, params = [], []
    for name, value in filters.case_filters.items():
        clauses.append(f"AND c.{name} = %s")  # name is one of Filters' two fixed field names
        params.append(value)
    return " ".join(clauses), params


@dataclass(frozen=True)
class Place:
    region_id: int
    pdu: str  # the PDU's slug


def finding_counts(inspection_ids: list[int], filters: Filters) -> dict[tuple[str, Place], Counts]:
    """Per (question code, PDU): the answer counts of the headline findings. One GROUP BY."""
    if not inspection_ids:
        return {}
    case_sql, case_params = _case_filter_sql(filters)
    with connection.cursor() as cursor:
        cursor.execute(
            _FINDINGS_SQL.format(case_filters=case_sql),
            [inspection_ids, [h.question for h in HEADLINE_FINDINGS], *case_params],
        )
        rows = cursor.fetchall()
    return {
        (code, Place(region_id, pdu)): Counts(yes=yes, no=no, not_applicable=na)
        for code, region_id, pdu, yes, no, na in rows
    }


def total(counts: dict[tuple[object, Place], T], *, region_id: int | None = None, pdu: str | None = None) -> dict:
    """The counts per key (question code, or group) summed over the places in scope: one PDU, a region, or all."""
    totals: dict = {}
    for (key, place), value in counts.items():
        if (region_id is None or place.region_id == region_id) and (pdu is None or place.pdu == pdu):
            totals[key] = totals[key] + value if key in totals else value
    return totals


# Disproportionality --------------------------------------------------------------------------

# Each case's key-question answers are counted first (one pass over the answers), then the
# cases are grouped four ways per region: measured at national scale, 0.13 s against 0.8 s for
# one GROUP BY with count(DISTINCT case) over the answers themselves.
_DISPROPORTIONALITY_SQL = """
    WITH per_case AS (
        SELECT a.case_review_id,
               count(*) FILTER (WHERE a.value = 'yes') AS yes,
               count(*) FILTER (WHERE a.value = 'no') AS no
          FROM casework_answer a
          JOIN casework_casereview c ON c.id = a.case_review_id
         WHERE c.inspection_id = ANY(%s) AND c.archived_at IS NULL
           AND a.question_id = ANY(ARRAY(SELECT id FROM inspections_question WHERE kind = 'key_question'))
               {case_filters}
         GROUP BY a.case_review_id
    )
    SELECT p.region_id, GROUPING(c.ethnicity_group), GROUPING(c.gender), GROUPING(c.age_band),
           c.ethnicity_group, c.gender, c.age_band, c.disability,
           count(*), sum(per_case.yes), sum(per_case.no)
      FROM per_case
      JOIN casework_casereview c ON c.id = per_case.case_review_id
      JOIN inspections_inspection i ON i.id = c.inspection_id
      JOIN regions_pdu p ON p.id = i.pdu_id
     GROUP BY GROUPING SETS ((p.region_id, c.ethnicity_group), (p.region_id, c.gender),
                             (p.region_id, c.age_band), (p.region_id, c.disability))
"""


@dataclass(frozen=True)
class GroupSufficiency:
    cases: int
    yes: int
    no: int

    @property
    def relevant(self) -> int:
        return self.yes + self.no

    @property
    def percent(self) -> Decimal | None:
        return percent_of(self.yes, self.relevant)

    def __add__(self, other: GroupSufficiency) -> GroupSufficiency:
        return GroupSufficiency(cases=self.cases + other.cases, yes=self.yes + other.yes, no=self.no + other.no)


def disproportionality(
    inspection_ids: list[int], filters: Filters
) -> dict[tuple[tuple[str, str], Place], GroupSufficiency]:
    """Per ((characteristic, group value), region): cases, and their key-question answers judged sufficient.

    One query; `total(..., region_id=...)` sums it for a region, `total(...)` for the nation.
    """
    if not inspection_ids:
        return {}
    case_sql, case_params = _case_filter_sql(filters)
    with connection.cursor() as cursor:
        cursor.execute(_DISPROPORTIONALITY_SQL.format(case_filters=case_sql), [inspection_ids, *case_params])
        rows = cursor.fetchall()
    groups = {}
    for region_id, g_ethnicity, g_gender, g_age, ethnicity, gender, age, disability, cases, yes, no in rows:
        # GROUPING() is 0 for the column the row is grouped by, 1 for the others.
        if not g_ethnicity:
            key = ("ethnicity_group", ethnicity)
        elif not g_gender:
            key = ("gender", gender)
        elif not g_age:
            key = ("age_band", age)
        else:
            key = ("disability", disability)
        groups[(key, Place(region_id, ""))] = GroupSufficiency(cases=cases, yes=int(yes), no=int(no))
    return groups


def characteristic_groups(characteristic: str) -> list[tuple[str, str]]:
    """Every group of a characteristic in the vocabulary's order, then "Not recorded"."""
    field = CaseReview._meta.get_field(characteristic)
    return [*((str(value), str(label)) for value, label in field.flatchoices), ("", "Not recorded")]


# Action plans --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResponseCounts:
    recommendations: int
    agreed: int
    partly_agreed: int
    not_agreed: int
    awaiting: int


def response_counts(inspection_ids: list[int], *, by: str) -> dict[object, ResponseCounts]:
    """Recommendations by the region's response, per inspection id or region id: one query."""
    group = {"inspection": "inspection_id", "region": "inspection__pdu__region_id"}[by]
    Answer = RecommendationResponse.Answer
    rows = (
        Recommendation.objects.filter(inspection_id__in=inspection_ids)
        .values_list(group)
        .annotate(
            recommendations=Count("id"),
            agreed=Count("id", filter=Q(response__answer=Answer.AGREED)),
            partly_agreed=Count("id", filter=Q(response__answer=Answer.PARTLY_AGREED)),
            not_agreed=Count("id", filter=Q(response__answer=Answer.NOT_AGREED)),
            awaiting=Count("id", filter=Q(response__isnull=True) | Q(response__answer="")),
        )
        .order_by()
    )
    return {key: ResponseCounts(*counts) for key, *counts in rows}


@dataclass(frozen=True)
class ActionCounts:
    not_started: int
    in_progress: int
    complete: int
    overdue: int

    @property
    def total(self) -> int:
        return self.not_started + self.in_progress + self.complete


def action_counts(inspection_ids: list[int], today: datetime.date, *, by: str) -> dict[object, ActionCounts]:
    """Actions by status, and how many are overdue (past their due date, not complete): one query."""
    group = {
        "inspection": "response__recommendation__inspection_id",
        "region": "response__recommendation__inspection__pdu__region_id",
    }[by]
    Status = Action.Status
    rows = (
        Action.objects.filter(response__recommendation__inspection_id__in=inspection_ids)
        .values_list(group)
        .annotate(
            not_started=Count("id", filter=Q(status=Status.NOT_STARTED)),
            in_progress=Count("id", filter=Q(status=Status.IN_PROGRESS)),
            complete=Count("id", filter=Q(status=Status.COMPLETE)),
            overdue=Count("id", filter=~Q(status=Status.COMPLETE) & Q(due_date__lt=today)),
        )
        .order_by()
    )
    return {key: ActionCounts(*counts) for key, *counts in rows}


def open_actions(inspection_ids: list[int], today: datetime.date, *, limit: int = 50) -> list[Action]:
    """Actions not complete, overdue first and then by due date: one query, at most `limit` rows."""
    return list(
        Action.objects.filter(response__recommendation__inspection_id__in=inspection_ids)
        .exclude(status=Action.Status.COMPLETE)
        .select_related("response__recommendation__inspection__pdu")
        .order_by("due_date", "response__recommendation__inspection__reference", "number")[:limit]
    )


# Drill-down ----------------------------------------------------------------------------------

_SLUG = re.compile(r"^[-a-z0-9]{1,60}$")
_QUESTION_CODE = re.compile(r"^[A-Za-z0-9.]{1,16}$")
ANSWERS = {"yes": "judged sufficient (yes)", "no": "not sufficient (no)", "relevant": "relevant (yes or no)"}


@dataclass(frozen=True)
class DrillDownQuery:
    """Which count a list of cases is behind, read from the address; `errors` says what is wrong with it."""

    question: str = ""
    answer: str = ""
    pdu: str = ""
    region: str = ""
    characteristic: str = ""
    group: str = ""
    errors: tuple[dict[str, str], ...] = ()

    @classmethod
    def from_params(cls, params) -> DrillDownQuery:
        values = {
            name: params.get(name, "") for name in ("question", "answer", "pdu", "region", "characteristic", "group")
        }
        errors = []
        if values["question"] and not _QUESTION_CODE.match(values["question"]):
            errors.append("The question must be a code such as 2.2.3.e")
        if values["answer"] and values["answer"] not in ANSWERS:
            errors.append("The answer must be yes, no or relevant")
        for name in ("pdu", "region"):
            if values[name] and not _SLUG.match(values[name]):
                errors.append(
                    f"The {name.upper() if name == 'pdu' else name} must be given by its address name, such as dorset"
                )
        if values["characteristic"]:
            if values["characteristic"] not in CHARACTERISTICS:
                errors.append("The characteristic must be one of " + ", ".join(CHARACTERISTICS))
            elif values["group"] not in {v for v, _ in characteristic_groups(values["characteristic"])}:
                errors.append(
                    f"There is no {CHARACTERISTICS[values['characteristic']].lower()} group {values['group']!r}"
                )
        elif values["group"]:
            errors.append("A group needs its characteristic")
        if values["answer"] and not values["question"]:
            errors.append("An answer needs its question")
        return cls(**values, errors=tuple({"href": "#", "text": e} for e in errors))

    def describe(self) -> str:
        parts = []
        if self.question:
            parts.append(f"{self.question}: {ANSWERS.get(self.answer, 'answered')}")
        if self.characteristic:
            labels = dict(characteristic_groups(self.characteristic))
            parts.append(f"{CHARACTERISTICS[self.characteristic]}: {labels.get(self.group, self.group)}")
        if self.pdu:
            parts.append(f"PDU {self.pdu}")
        if self.region:
            parts.append(f"region {self.region}")
        return "; ".join(parts) or "every case in view"


def cases_behind(inspection_ids: list[int], filters: Filters, *, query: DrillDownQuery) -> QuerySet[CaseReview]:
    """The case reviews a dashboard count was made of, for those who may follow a count to its cases."""
    reviews = CaseReview.objects.filter(inspection_id__in=inspection_ids, archived_at__isnull=True)
    reviews = reviews.filter(**filters.case_filters)
    if query.pdu:
        reviews = reviews.filter(inspection__pdu__slug=query.pdu)
    if query.characteristic:
        # The disproportionality counts are of cases with key-question answers in the group.
        reviews = reviews.filter(**{query.characteristic: query.group}).filter(
            Exists(Answer.objects.filter(case_review=OuterRef("pk"), question__kind=Question.Kind.KEY_QUESTION))
        )
    if query.question:
        answers = Answer.objects.filter(case_review=OuterRef("pk"), question__code=query.question)
        if query.answer == "relevant":
            answers = answers.filter(value__in=[AnswerValue.YES, AnswerValue.NO])
        elif query.answer:
            answers = answers.filter(value=query.answer)
        reviews = reviews.filter(Exists(answers))
    return reviews
