"""The API's results: frameworks and their rules, ratings, findings, double marking, and
recommendations with the region's actions.

As in api/views.py, every queryset starts from the user's visible inspections, and the
figures come from the engines the pages use (ratings.selectors, ratings.findings,
casework.agreement), so the API cannot say something the pages do not. Who decided a
panel override, who took a snapshot and who owns an action (by email) are staff details
and are left out.

Rows that nest lists (a rating's standards, an inspection's agreement per question) are
flattened for their CSV: one line per innermost item, carrying its parents' values.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Prefetch, Q, QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from casework.agreement import Agreement, inspections_agreement
from casework.models import SecondReview
from inspections.choices import RatedBy, Rating, Rounding, Source
from inspections.models import Addressee, Framework, Inspection, Question, Recommendation, Standard
from ratings import findings as engine
from ratings.selectors import RULE_FIELDS, DisplayedRatings, build_rating_rules, inspections_ratings_for_display
from ratings.serialise import rules_to_data
from trackers.models import Action, ActionStatus, Judgement, Rag
from trackers.models import Answer as ResponseAnswer
from trackers.selectors import response_of

from . import csv, filters
from .base import CSV_CHUNK, Cursor, ListResource, Resource, visible_inspections

RATINGS = Rating.choices
# As the inspections list has them (values only): one enum in the schema (ENUM_NAME_OVERRIDES).
INSPECTION_STATUSES = Inspection.Status.values
SUPPRESSED_CSV = "[c]"  # as the dashboards' CSV (dashboards/tables.py): a cell hidden for small numbers


def _value(choice) -> str | None:
    """A choice's stored value (ratings rebuilt from snapshots are enums, live ones too), or None."""
    return None if choice is None else str(choice)


def _batches(items: Iterable, size: int = 500) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class FlatCSV:
    """The CSV of a resource whose rows nest lists: `flat(row)` gives its lines, in `csv_columns`."""

    csv_columns: list[str] = []
    csv_name = "rows"

    def flat(self, row: dict) -> Iterator[dict]:
        raise NotImplementedError

    def csv_response(self, queryset) -> StreamingHttpResponse:
        items = queryset.iterator(chunk_size=CSV_CHUNK) if isinstance(queryset, QuerySet) else queryset
        lines = (line for row in self.rows(items) for line in self.flat(row))
        body = csv.lines(self.csv_columns, ([line[c] for c in self.csv_columns] for line in lines))
        response = StreamingHttpResponse(body, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self.csv_name}.csv"'
        return response


# Frameworks ----------------------------------------------------------------------------------


class ThresholdsSerializer(serializers.Serializer):
    outstanding = serializers.DecimalField(max_digits=5, decimal_places=2)
    good = serializers.DecimalField(max_digits=5, decimal_places=2)
    requires_improvement = serializers.DecimalField(max_digits=5, decimal_places=2)


class PointsSerializer(serializers.Serializer):
    outstanding = serializers.IntegerField()
    good = serializers.IntegerField()
    requires_improvement = serializers.IntegerField()
    inadequate = serializers.IntegerField()


class BandSerializer(serializers.Serializer):
    rating = serializers.ChoiceField(choices=RATINGS)
    min_score = serializers.IntegerField()
    max_score = serializers.IntegerField()


class RulesSerializer(serializers.Serializer):
    thresholds = ThresholdsSerializer(
        help_text="The lowest key-question percentage for each band (decimal strings); below the last is Inadequate"
    )
    rounding = serializers.ChoiceField(choices=Rounding.choices, help_text="How a percentage meets a threshold")
    points = PointsSerializer(help_text="Points per standard rating")
    standard_count = serializers.IntegerField(help_text="Standards that make up the score")
    max_score = serializers.IntegerField()
    bands = BandSerializer(many=True, help_text="The overall rating for each range of scores")


class QuestionSerializer(serializers.Serializer):
    code = serializers.CharField()
    text = serializers.CharField()
    lens = serializers.CharField(help_text="The lens of the question, or empty")
    allows_not_applicable = serializers.BooleanField()
    case_types = serializers.ListField(
        child=serializers.CharField(), help_text="Case types it is asked in; empty means every case type"
    )
    requires_court_report = serializers.BooleanField(help_text="Asked only where a court report was prepared")


class KeyQuestionSerializer(QuestionSerializer):
    prompts = QuestionSerializer(many=True)


class StandardSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    domain = serializers.IntegerField()
    domain_title = serializers.CharField()
    rated_by = serializers.ChoiceField(choices=RatedBy.choices)
    key_questions = KeyQuestionSerializer(many=True, help_text="Empty for standards rated by judgement")


class FrameworkSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="e.g. pdu-2021")
    title = serializers.CharField()
    rules = RulesSerializer()
    standards = StandardSerializer(many=True)
    case_wide_prompts = QuestionSerializer(many=True, help_text="Prompts of no standard, such as management oversight")


def _question(question: Question) -> dict[str, Any]:
    return {
        "code": question.code,
        "text": question.text,
        "lens": question.lens,
        "allows_not_applicable": question.allows_not_applicable,
        "case_types": list(question.case_types),
        "requires_court_report": question.requires_court_report,
    }


class FrameworkViewSet(Resource):
    """Inspection frameworks: their rating rules (thresholds, rounding, points, band table) as the
    ratings engine reads them, and their standards, key questions and prompts in order."""

    serializer_class = FrameworkSerializer
    queryset = Framework.objects.none()  # the model, for the schema; get_queryset reads the rows
    lookup_field = "code"
    lookup_value_regex = "[a-z0-9-]+"
    columns = ["code", "title", "rules", "standards", "case_wide_prompts"]
    csv_name = "frameworks"
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self):
        prompts = Question.objects.order_by("order")
        key_questions = (
            Question.objects.filter(kind=Question.Kind.KEY_QUESTION)
            .order_by("order")
            .prefetch_related(Prefetch("prompts", queryset=prompts))
        )
        standards = Standard.objects.order_by("order").prefetch_related(
            Prefetch("questions", queryset=key_questions, to_attr="key_questions")
        )
        case_wide = Question.objects.filter(kind=Question.Kind.PROMPT, parent__isnull=True, standard__isnull=True)
        return Framework.objects.order_by("code").prefetch_related(
            "bands",
            Prefetch("standards", queryset=standards),
            Prefetch("questions", queryset=case_wide.order_by("order"), to_attr="case_wide_prompts"),
        )

    def rows(self, items: Iterable[Framework]) -> Iterator[dict]:
        for framework in items:
            bands = [
                {"rating": b.rating, "min_score": b.min_score, "max_score": b.max_score} for b in framework.bands.all()
            ]
            rules = build_rating_rules({name: getattr(framework, name) for name in RULE_FIELDS}, bands)
            data = rules_to_data(rules)
            yield {
                "code": framework.code,
                "title": framework.title,
                "rules": {
                    "thresholds": data["thresholds"],
                    "rounding": data["rounding"],
                    "points": data["points"],
                    "standard_count": data["standard_count"],
                    "max_score": rules.max_score,
                    "bands": data["bands"],
                },
                "standards": [
                    {
                        "code": s.code,
                        "title": s.title,
                        "domain": s.domain,
                        "domain_title": s.domain_title,
                        "rated_by": s.rated_by,
                        "key_questions": [
                            {**_question(kq), "prompts": [_question(p) for p in kq.prompts.all()]}
                            for kq in s.key_questions
                        ]
                        if s.rated_by == RatedBy.CASE_DATA
                        else [],
                    }
                    for s in framework.standards.all()
                ],
                "case_wide_prompts": [_question(q) for q in framework.case_wide_prompts],
            }

    def csv_response(self, queryset) -> StreamingHttpResponse:
        # A framework is a tree: its CSV is its questions, one line each, with their standard.
        columns = [
            "framework",
            "standard",
            "standard_title",
            "rated_by",
            "key_question",
            "code",
            "kind",
            "text",
            "lens",
            "allows_not_applicable",
            "case_types",
            "requires_court_report",
        ]

        def lines():
            for row in self.rows(queryset):
                for s in row["standards"]:
                    if not s["key_questions"]:
                        yield [row["code"], s["code"], s["title"], s["rated_by"], *[None] * 8]
                    for kq in s["key_questions"]:
                        for q, kind, parent in [(kq, "key_question", None)] + [
                            (p, "prompt", kq["code"]) for p in kq["prompts"]
                        ]:
                            yield [row["code"], s["code"], s["title"], s["rated_by"], parent, *_question_cells(q, kind)]
                for q in row["case_wide_prompts"]:
                    yield [row["code"], None, None, None, None, *_question_cells(q, "prompt")]

        response = StreamingHttpResponse(csv.lines(columns, lines()), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="framework-questions.csv"'
        return response


def _question_cells(q: dict, kind: str) -> list:
    return [
        q["code"],
        kind,
        q["text"],
        q["lens"],
        q["allows_not_applicable"],
        " ".join(q["case_types"]),
        q["requires_court_report"],
    ]


# Ratings -------------------------------------------------------------------------------------


class RatedKeyQuestionSerializer(serializers.Serializer):
    code = serializers.CharField()
    yes = serializers.IntegerField()
    no = serializers.IntegerField()
    not_applicable = serializers.IntegerField()
    relevant = serializers.IntegerField(help_text="yes + no")
    percent = serializers.FloatField(allow_null=True, help_text="yes ÷ relevant, to one decimal place")
    rating = serializers.ChoiceField(choices=RATINGS, allow_null=True, help_text="Null without relevant cases")


class OverrideSerializer(serializers.Serializer):
    from_rating = serializers.ChoiceField(choices=RATINGS, allow_null=True)
    to_rating = serializers.ChoiceField(choices=RATINGS)
    reason = serializers.CharField()


class RatedStandardSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    rated_by = serializers.ChoiceField(choices=RatedBy.choices)
    rating = serializers.ChoiceField(choices=RATINGS, allow_null=True)
    derived_rating = serializers.ChoiceField(
        choices=RATINGS, allow_null=True, help_text="From the case data or judgement, before any override"
    )
    points = serializers.IntegerField(allow_null=True)
    source = serializers.ChoiceField(choices=Source.choices)
    deciding_key_question = serializers.CharField(
        allow_null=True, help_text="The lowest key question, which decides a case-based standard"
    )
    missing = serializers.CharField(allow_null=True, help_text="Why the standard has no rating yet")
    override = OverrideSerializer(allow_null=True, help_text="The ratings panel's move, if any")
    key_questions = RatedKeyQuestionSerializer(many=True)


class RatingsSerializer(serializers.Serializer):
    inspection = serializers.CharField()
    region = serializers.CharField()
    pdu = serializers.CharField()
    framework = serializers.CharField()
    status = serializers.ChoiceField(choices=INSPECTION_STATUSES)
    is_live = serializers.BooleanField(help_text="Computed now from the case data; false when read from the snapshot")
    snapshot_taken_at = serializers.DateTimeField(
        allow_null=True, help_text="When the published snapshot shown was taken"
    )
    draft_cases = serializers.IntegerField(help_text="Case reviews still being written when the ratings were read")
    score = serializers.IntegerField(allow_null=True, help_text="Null while any standard is unrated")
    max_score = serializers.IntegerField()
    rating = serializers.ChoiceField(choices=RATINGS, allow_null=True, help_text="The overall rating (band)")
    standards = RatedStandardSerializer(many=True)


def _key_question(kq) -> dict[str, Any]:
    return {
        "code": kq.code,
        "yes": kq.counts.yes,
        "no": kq.counts.no,
        "not_applicable": kq.counts.not_applicable,
        "relevant": kq.counts.relevant,
        "percent": float(kq.percent) if kq.percent is not None else None,
        "rating": _value(kq.rating),
    }


def _override(o) -> dict[str, Any] | None:
    if o is None:
        return None
    return {"from_rating": _value(o.from_rating), "to_rating": _value(o.to_rating), "reason": o.reason}


def ratings_row(inspection, displayed: DisplayedRatings) -> dict[str, Any]:
    result = displayed.result
    return {
        "inspection": inspection.reference,
        "region": inspection.pdu.region.slug,
        "pdu": inspection.pdu.slug,
        "framework": inspection.framework.code,
        "status": inspection.status,
        "is_live": displayed.is_live,
        "snapshot_taken_at": None if displayed.snapshot is None else displayed.snapshot.created_at,
        "draft_cases": displayed.draft_cases,
        "score": result.score,
        "max_score": result.max_score,
        "rating": _value(result.rating),
        "standards": [
            {
                "code": s.code,
                "title": s.title,
                "rated_by": _value(s.rated_by),
                "rating": _value(s.rating),
                "derived_rating": _value(s.derived_rating),
                "points": s.points,
                "source": _value(s.source),
                "deciding_key_question": s.deciding_key_question,
                "missing": s.missing,
                "override": _override(s.override),
                "key_questions": [_key_question(kq) for kq in s.key_questions],
            }
            for s in result.standards
        ],
    }


RATINGS_INSPECTION_COLUMNS = [
    "inspection",
    "region",
    "pdu",
    "framework",
    "status",
    "is_live",
    "snapshot_taken_at",
    "draft_cases",
    "score",
    "max_score",
    "rating",
]
RATINGS_STANDARD_COLUMNS = [
    "code",
    "title",
    "rated_by",
    "rating",
    "derived_rating",
    "points",
    "source",
    "deciding_key_question",
    "missing",
]
RATINGS_KEY_QUESTION_COLUMNS = ["code", "yes", "no", "not_applicable", "relevant", "percent", "rating"]


class RatingsViewSet(FlatCSV, Resource):
    """Each inspection's ratings as its pages show them: published inspections from their published
    snapshot, the others computed live from the case data (administrators only see those). Per
    standard: the rating, points, where it came from, the deciding key question, each key question's
    counts and percentage, and any ratings panel override with its reason (not who decided).

    The CSV has one line per inspection, standard and key question (standards rated by judgement
    have one line with empty key-question columns), prefixed `standard_` and `key_question_`."""

    serializer_class = RatingsSerializer
    queryset = Inspection.objects.none()  # the model, for the schema; get_queryset scopes the rows
    filterset_class = filters.InspectionFilters
    lookup_field = "reference"
    lookup_value_regex = "[A-Za-z0-9-]+"
    columns = list(RatingsSerializer().fields)
    csv_columns = [
        *RATINGS_INSPECTION_COLUMNS,
        *(f"standard_{c}" for c in RATINGS_STANDARD_COLUMNS),
        "override_from_rating",
        "override_to_rating",
        "override_reason",
        *(f"key_question_{c}" for c in RATINGS_KEY_QUESTION_COLUMNS),
    ]
    csv_name = "ratings"
    pagination_class = Cursor
    ordering_fields = ["id", "fieldwork_start", "reference"]

    def get_queryset(self):
        return visible_inspections(self.request.user).select_related("pdu__region", "framework").order_by("id")

    def rows(self, items) -> Iterator[dict]:
        # The page's (or the CSV chunk's) inspections rated together: a few queries for the lot.
        for batch in _batches(items):
            displayed = inspections_ratings_for_display(batch)
            for inspection in batch:
                yield ratings_row(inspection, displayed[inspection.id])

    def flat(self, row: dict) -> Iterator[dict]:
        head = {c: row[c] for c in RATINGS_INSPECTION_COLUMNS}
        for s in row["standards"]:
            o = s["override"] or {}
            standard = {
                **head,
                **{f"standard_{c}": s[c] for c in RATINGS_STANDARD_COLUMNS},
                "override_from_rating": o.get("from_rating"),
                "override_to_rating": o.get("to_rating"),
                "override_reason": o.get("reason"),
            }
            if not s["key_questions"]:
                yield {**standard, **{f"key_question_{c}": None for c in RATINGS_KEY_QUESTION_COLUMNS}}
            for kq in s["key_questions"]:
                yield {**standard, **{f"key_question_{c}": kq[c] for c in RATINGS_KEY_QUESTION_COLUMNS}}


# Findings ------------------------------------------------------------------------------------


class FindingsFilters(filters.InspectionScopeFilters, filters.CaseAttributes):
    """Scope (applied to the visible inspections), the question, case attributes and the breakdown."""

    question = filters.filters.CharFilter(
        method="keep", required=True, help_text="Key question or prompt code, e.g. 2.2.3.e (required)"
    )
    inspection = filters.filters.CharFilter(
        method="filter_inspections",
        help_text="Inspection reference; repeat the parameter or separate references with commas",
    )
    by = filters.filters.ChoiceFilter(
        method="keep",
        choices=[(name, name) for name in engine.BREAKDOWN_ATTRIBUTES],
        help_text="Break the finding down by this attribute: one row per value",
        error_messages={
            "invalid_choice": f"%(value)s is not an attribute to break down by; use one of: "
            f"{', '.join(engine.BREAKDOWN_ATTRIBUTES)}"
        },
    )
    updated_since = None

    class Meta:
        model = Inspection
        fields: list[str] = []

    CASE_FILTERS = tuple(filters.CaseAttributes.base_filters)

    def keep(self, queryset, name, value):
        return queryset

    def filter_inspections(self, queryset, name, value):
        # Every repeat, not only the last one the form checked: none may carry a NUL to PostgreSQL.
        references = [r.strip() for v in self.data.getlist(name) for r in v.split(",") if r.strip() and "\x00" not in r]
        return queryset.filter(reference__in=references)

    def filter_queryset(self, queryset):
        # The case attributes are the findings engine's to apply, to the answers' case reviews.
        for name, value in self.form.cleaned_data.items():
            if name not in self.CASE_FILTERS:
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    def case_attributes(self) -> dict[str, str]:
        return {name: value for name in self.CASE_FILTERS if (value := self.form.cleaned_data.get(name))}


class FindingSerializer(serializers.Serializer):
    question = serializers.CharField()
    by = serializers.ChoiceField(
        choices=list(engine.BREAKDOWN_ATTRIBUTES),
        allow_null=True,
        help_text="The breakdown, or null for the whole scope",
    )
    group = serializers.CharField(
        allow_null=True, help_text="The group's value (a slug, reference or attribute value); null when not recorded"
    )
    label = serializers.CharField()
    relevant = serializers.IntegerField(allow_null=True, help_text="yes + no; null when suppressed")
    yes = serializers.IntegerField(allow_null=True)
    no = serializers.IntegerField(allow_null=True)
    not_applicable = serializers.IntegerField(allow_null=True)
    percent = serializers.FloatField(allow_null=True, help_text="yes ÷ relevant, to one decimal place")
    suppressed = serializers.BooleanField(help_text="Fewer relevant cases than the small-number threshold")


FINDING_COUNTS = ["relevant", "yes", "no", "not_applicable", "percent"]


def _group(value) -> str | None:
    if value in ("", None):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class FindingsViewSet(ListResource):
    """How many relevant cases met a key question or prompt, over your visible inspections: the
    letters' "in 59 out of 109 relevant cases" (`?question=2.2.3.e&region=south-west`). Filter the
    scope by region, PDU, inspection(s), framework, fieldwork dates and case attributes; `by` breaks
    it down, one row per group. Archived case reviews are out of every scope; every other case
    review of a visible inspection counts, as in the ratings.

    A row with fewer relevant cases than the small-number threshold (10 unless configured) is
    suppressed: its counts and percentage are null, and `[c]` in the CSV."""

    serializer_class = FindingSerializer
    queryset = Inspection.objects.none()  # the model, for the schema; get_queryset scopes the rows
    filterset_class = FindingsFilters
    filter_backends = [DjangoFilterBackend]
    pagination_class = None
    columns = ["question", "by", "group", "label", *FINDING_COUNTS, "suppressed"]
    csv_name = "findings"

    def get_queryset(self):
        return visible_inspections(self.request.user).order_by("id")

    def list(self, request, *args, **kwargs):
        scope = FindingsFilters(request.query_params, queryset=self.get_queryset(), request=request)
        if not scope.is_valid():
            raise ValidationError(scope.errors)
        data = scope.form.cleaned_data
        question, by = data["question"].strip(), data.get("by") or None
        options = {
            "question_code": question,
            "framework": data.get("framework") or None,
            # Always the visible inspections, narrowed by the scope: never a region or slug the
            # engine would widen to unpublished work or another region.
            "inspections": list(scope.qs.only("id")),
            **scope.case_attributes(),
        }
        try:
            if by is None:
                groups = [(None, "All cases in scope", engine.findings(**options))]
            else:
                groups = [(row.value, row.label, row.finding) for row in engine.findings_by(attribute=by, **options)]
        except engine.UnknownQuestion as error:
            raise ValidationError({"question": [str(error)]}) from error
        rows = [self._row(question, by, value, label, finding) for value, label, finding in groups]
        if getattr(request.accepted_renderer, "format", None) == "csv":
            return self.csv_response(rows)
        return Response(rows)

    def _row(self, question, by, value, label, finding) -> dict[str, Any]:
        suppressed = finding.relevant < settings.DASHBOARD_SMALL_NUMBER_THRESHOLD
        counts = finding.as_dict()
        return {
            "question": question,
            "by": by,
            "group": _group(value),
            "label": label,
            **{c: None if suppressed else counts[c] for c in FINDING_COUNTS},
            "suppressed": suppressed,
        }

    def rows(self, items: Iterable[dict]) -> Iterator[dict]:
        # The CSV's cells: a suppressed count reads [c], as in the dashboards' CSV.
        for row in items:
            if row["suppressed"]:
                row = {**row, **dict.fromkeys(FINDING_COUNTS, SUPPRESSED_CSV)}
            yield row


# Double marking ------------------------------------------------------------------------------


class AgreementSerializer(serializers.Serializer):
    pairs = serializers.IntegerField(help_text="Questions of cases marked by both inspectors")
    agree = serializers.IntegerField()
    percent = serializers.FloatField(allow_null=True, help_text="Agreement as a percentage; null without pairs")
    kappa = serializers.FloatField(allow_null=True, help_text="Cohen's kappa; null where it is not defined")
    confusion = serializers.DictField(
        child=serializers.IntegerField(), help_text='Pairs by "first answer|second answer", e.g. "yes|no"'
    )


class QuestionAgreementSerializer(AgreementSerializer):
    code = serializers.CharField()
    kind = serializers.ChoiceField(choices=Question.Kind.choices)


class DoubleMarkingSerializer(serializers.Serializer):
    inspection = serializers.CharField()
    region = serializers.CharField()
    pdu = serializers.CharField()
    cases = serializers.IntegerField(help_text="Cases with a submitted second review")
    overall = AgreementSerializer()
    questions = QuestionAgreementSerializer(many=True)


AGREEMENT_COLUMNS = ["pairs", "agree", "percent", "kappa"]


def _agreement(agreement: Agreement) -> dict[str, Any]:
    return {"code": agreement.code, "kind": agreement.kind, **agreement.as_dict()}


class DoubleMarkingViewSet(FlatCSV, Resource):
    """How far two inspectors' independent judgements agreed, in inspections with submitted second
    reviews: per key question and prompt and overall, the pairs, agreement and Cohen's kappa. The
    first marker's answer is as it was before any resolution.

    The CSV has one line per inspection and question, and one for the inspection overall (question
    `overall`); the confusion tables are in the JSON only."""

    serializer_class = DoubleMarkingSerializer
    queryset = Inspection.objects.none()  # the model, for the schema; get_queryset scopes the rows
    filterset_class = filters.InspectionFilters
    lookup_field = "reference"
    lookup_value_regex = "[A-Za-z0-9-]+"
    columns = list(DoubleMarkingSerializer().fields)
    csv_columns = ["inspection", "region", "pdu", "cases", "question", "kind", *AGREEMENT_COLUMNS]
    csv_name = "double-marking"
    pagination_class = Cursor
    ordering_fields = ["id", "fieldwork_start", "reference"]

    def get_queryset(self):
        second_reviews = SecondReview.objects.filter(
            case_review__inspection=OuterRef("pk"),
            case_review__archived_at__isnull=True,
            status=SecondReview.Status.SUBMITTED,
        )
        return (
            visible_inspections(self.request.user)
            .filter(Exists(second_reviews))
            .select_related("pdu__region")
            .order_by("id")
        )

    def rows(self, items) -> Iterator[dict]:
        for batch in _batches(items):
            agreements = inspections_agreement(batch)
            for inspection in batch:
                agreement = agreements[inspection.id]
                overall = agreement.overall.as_dict()
                yield {
                    "inspection": inspection.reference,
                    "region": inspection.pdu.region.slug,
                    "pdu": inspection.pdu.slug,
                    "cases": agreement.cases,
                    "overall": overall,
                    "questions": [_agreement(q) for q in agreement.questions],
                }

    def flat(self, row: dict) -> Iterator[dict]:
        head = {c: row[c] for c in ("inspection", "region", "pdu", "cases")}
        for q in row["questions"]:
            yield {**head, "question": q["code"], "kind": q["kind"], **{c: q[c] for c in AGREEMENT_COLUMNS}}
        yield {**head, "question": "overall", "kind": None, **{c: row["overall"][c] for c in AGREEMENT_COLUMNS}}


# Recommendations and actions -----------------------------------------------------------------


def overdue_expression(prefix: str = "") -> ExpressionWrapper:
    """`Action.is_overdue(today)` in SQL (not complete, due before today), to filter and show it."""
    today = timezone.localdate()
    return ExpressionWrapper(
        Q(**{f"{prefix}due_date__lt": today}) & ~Q(**{f"{prefix}status": ActionStatus.COMPLETE}),
        output_field=BooleanField(),
    )


class ActionSerializer(serializers.Serializer):
    number = serializers.IntegerField(help_text="The action's number within its recommendation")
    description = serializers.CharField()
    owner_name = serializers.CharField(help_text="The owner's role, e.g. Head of PDU")
    due_date = serializers.DateField()
    status = serializers.ChoiceField(choices=ActionStatus.choices)
    rag = serializers.ChoiceField(choices=Rag.choices)
    overdue = serializers.BooleanField(help_text="Not complete and due before today")
    updated_at = serializers.DateTimeField()


class RecommendationSerializer(serializers.Serializer):
    inspection = serializers.CharField()
    region = serializers.CharField()
    pdu = serializers.CharField()
    order = serializers.IntegerField(help_text="The recommendation's number in its inspection")
    addressee = serializers.ChoiceField(choices=Addressee.choices)
    text = serializers.CharField()
    answer = serializers.ChoiceField(
        choices=[("", "Not yet answered"), *ResponseAnswer.choices],
        help_text="The region's response; empty until it responds",
    )
    narrative = serializers.CharField(allow_blank=True, help_text="The region's response in its own words")
    standard = serializers.CharField(allow_null=True, help_text="The standard the response links to, if any")
    follow_up = serializers.ChoiceField(
        choices=[("", "Not yet followed up"), *Judgement.choices],
        help_text="The inspectorate's follow-up judgement; empty until followed up",
    )
    closed = serializers.BooleanField()
    action_count = serializers.IntegerField()
    overdue_actions = serializers.IntegerField()
    actions = ActionSerializer(many=True, help_text="The region's actions (in the JSON only; see /actions/)")


class RecommendationFilters(filters.InspectionScopeFilters):
    prefix = "inspection__"
    updated_since = None  # a recommendation has no time of change; its actions have
    addressee = filters.filters.ChoiceFilter(choices=Addressee.choices)
    answer = filters.filters.ChoiceFilter(
        field_name="response__answer", choices=ResponseAnswer.choices, help_text="The region's response"
    )
    follow_up = filters.filters.ChoiceFilter(
        field_name="response__follow_up", choices=Judgement.choices, help_text="The follow-up judgement"
    )
    overdue = filters.filters.BooleanFilter(field_name="overdue", help_text="Has an overdue action (true) or none")

    class Meta:
        model = Recommendation
        fields: list[str] = []


class RecommendationViewSet(ListResource):
    """Published (for administrators, all) recommendations with the region's response, the
    inspectorate's follow-up and the region's actions. Action owners are shown by role only.
    The CSV leaves out the nested actions: the actions list has them, one line each."""

    serializer_class = RecommendationSerializer
    queryset = Recommendation.objects.none()  # the model, for the schema; get_queryset scopes the rows
    filterset_class = RecommendationFilters
    columns = [c for c in RecommendationSerializer().fields if c != "actions"]
    csv_name = "recommendations"
    pagination_class = Cursor
    ordering_fields = ["id"]

    def get_queryset(self):
        overdue = Action.objects.filter(response__recommendation=OuterRef("pk")).filter(overdue_expression())
        actions = Action.objects.annotate(overdue=overdue_expression()).order_by("number")
        return (
            Recommendation.objects.filter(inspection__in=visible_inspections(self.request.user))
            .annotate(overdue=Exists(overdue))
            .select_related("inspection__pdu__region", "response__standard")
            .prefetch_related(Prefetch("response__actions", queryset=actions))
            .order_by("id")
        )

    def rows(self, items: Iterable[Recommendation]) -> Iterator[dict]:
        for recommendation in items:
            inspection = recommendation.inspection
            response = response_of(recommendation)
            actions = [
                {
                    "number": a.number,
                    "description": a.description,
                    "owner_name": a.owner_name,
                    "due_date": a.due_date,
                    "status": a.status,
                    "rag": a.rag,
                    "overdue": a.overdue,
                    "updated_at": a.updated_at,
                }
                for a in (response.actions.all() if response else [])
            ]
            yield {
                "inspection": inspection.reference,
                "region": inspection.pdu.region.slug,
                "pdu": inspection.pdu.slug,
                "order": recommendation.order,
                "addressee": recommendation.addressee,
                "text": recommendation.text,
                "answer": response.answer if response else "",
                "narrative": response.narrative if response else "",
                "standard": response.standard.code if response and response.standard else None,
                "follow_up": response.follow_up if response else "",
                "closed": bool(response and response.is_closed),
                "action_count": len(actions),
                "overdue_actions": sum(a["overdue"] for a in actions),
                "actions": actions,
            }


class ActionRowSerializer(ActionSerializer):
    inspection = serializers.CharField()
    region = serializers.CharField()
    pdu = serializers.CharField()
    recommendation = serializers.IntegerField(help_text="The recommendation's number in its inspection")


ACTION_COLUMNS = ["inspection", "region", "pdu", "recommendation", *ActionSerializer().fields]


class ActionFilters(filters.InspectionScopeFilters):
    prefix = "response__recommendation__inspection__"
    status = filters.filters.ChoiceFilter(choices=ActionStatus.choices, help_text="The action's status")
    rag = filters.filters.ChoiceFilter(choices=Rag.choices, help_text="RAG rating")
    overdue = filters.filters.BooleanFilter(field_name="overdue", help_text="Not complete and due before today")

    class Meta:
        model = Action
        fields: list[str] = []


class ActionViewSet(ListResource):
    """The regions' actions against recommendations, one row each, for incremental pulls
    (`updated_since`). Owners by role only (no email addresses); no progress notes."""

    serializer_class = ActionRowSerializer
    queryset = Action.objects.none()  # the model, for the schema; get_queryset scopes the rows
    filterset_class = ActionFilters
    columns = ACTION_COLUMNS
    csv_name = "actions"
    pagination_class = Cursor
    ordering_fields = ["id", "due_date"]
    value_fields = [
        "id",
        "response__recommendation__inspection__reference",
        "response__recommendation__inspection__pdu__region__slug",
        "response__recommendation__inspection__pdu__slug",
        "response__recommendation__order",
        "number",
        "description",
        "owner_name",
        "due_date",
        "status",
        "rag",
        "overdue",
        "updated_at",
    ]

    def get_queryset(self):
        return (
            Action.objects.filter(response__recommendation__inspection__in=visible_inspections(self.request.user))
            .annotate(overdue=overdue_expression())
            .order_by("id")
        )

    def rows(self, items: Iterable[dict]) -> Iterator[dict]:
        for a in items:
            yield {
                "inspection": a["response__recommendation__inspection__reference"],
                "region": a["response__recommendation__inspection__pdu__region__slug"],
                "pdu": a["response__recommendation__inspection__pdu__slug"],
                "recommendation": a["response__recommendation__order"],
                "number": a["number"],
                "description": a["description"],
                "owner_name": a["owner_name"],
                "due_date": a["due_date"],
                "status": a["status"],
                "rag": a["rag"],
                "overdue": a["overdue"],
                "updated_at": a["updated_at"],
            }
