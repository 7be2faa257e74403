"""The API's resources: regions, PDUs, inspections, case reviews and answers (and, in
api/views_results.py, frameworks, ratings, findings, double marking and recommendations).

Every queryset starts from the user's visible inspections (`visible_inspections`), so a
list, a filter, a CSV and a detail address all have the same scope; what is outside it
is a 404, never a 403 that would confirm it exists.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import Count, Q
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers

from casework.models import Answer, CaseReview
from inspections.models import Inspection
from regions.models import PDU, Region

from . import csv, filters
from .base import CSV_CHUNK, Cursor, ListResource, Resource, visible_inspections
from .pseudonym import case_key

# The case attributes an analyst studies, in the order of the data dictionary.
CASE_ATTRIBUTES = list(CaseReview.ATTRIBUTE_FIELDS)


# Regions and PDUs ----------------------------------------------------------------------------


class RegionSerializer(serializers.Serializer):
    slug = serializers.CharField(help_text="The region's address name, e.g. south-west")
    name = serializers.CharField()
    pdus = serializers.IntegerField(help_text="PDUs in the region")
    inspections = serializers.IntegerField(help_text="Inspections of the region's PDUs you may see")


class RegionViewSet(Resource):
    """The probation regions of England and Wales."""

    serializer_class = RegionSerializer
    lookup_field = "slug"
    columns = ["slug", "name", "pdus", "inspections"]
    csv_name = "regions"
    pagination_class = None
    ordering_fields = ["slug", "name"]
    ordering = ["name"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema is built without a user
            return Region.objects.none()
        visible = visible_inspections(self.request.user)
        regions = Region.objects.annotate(
            pdu_count=Count("pdus", distinct=True),
            inspection_count=Count("pdus__inspections", filter=Q(pdus__inspections__in=visible), distinct=True),
        )
        if self.request.user.role == self.request.user.Role.REGIONAL_DIRECTOR:
            regions = regions.filter(pk=self.request.user.region_id)
        return regions.order_by("name")

    def rows(self, items: Iterable[Region]) -> Iterator[dict]:
        for region in items:
            yield {
                "slug": region.slug,
                "name": region.name,
                "pdus": region.pdu_count,
                "inspections": region.inspection_count,
            }


class PDUSerializer(serializers.Serializer):
    slug = serializers.CharField(help_text="The PDU's address name, e.g. dorset")
    name = serializers.CharField()
    region = serializers.CharField(help_text="The region's slug")


class PDUFilters(filters.filters.FilterSet):
    region = filters.filters.CharFilter(field_name="region__slug", help_text="Region slug")

    class Meta:
        model = PDU
        fields: list[str] = []


class PDUViewSet(Resource):
    """Probation Delivery Units, each in one region."""

    serializer_class = PDUSerializer
    filterset_class = PDUFilters
    lookup_field = "slug"
    columns = ["slug", "name", "region"]
    csv_name = "pdus"
    pagination_class = None
    ordering_fields = ["slug", "name"]
    ordering = ["name"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema is built without a user
            return PDU.objects.none()
        pdus = PDU.objects.select_related("region").order_by("name")
        if self.request.user.role == self.request.user.Role.REGIONAL_DIRECTOR:
            pdus = pdus.filter(region_id=self.request.user.region_id)
        return pdus

    def rows(self, items: Iterable[PDU]) -> Iterator[dict]:
        for pdu in items:
            yield {"slug": pdu.slug, "name": pdu.name, "region": pdu.region.slug}


# Inspections ---------------------------------------------------------------------------------


class InspectionSerializer(serializers.Serializer):
    reference = serializers.CharField(help_text="e.g. SW-SOM-2023")
    region = serializers.CharField()
    pdu = serializers.CharField()
    framework = serializers.CharField(help_text="The framework code the inspection was rated under")
    fieldwork_start = serializers.DateField()
    status = serializers.ChoiceField(choices=["planned", "fieldwork", "moderation", "ratings_panel", "published"])
    published_on = serializers.DateField(allow_null=True)
    synthetic = serializers.BooleanField(help_text="Generated demonstration data, not a real inspection")
    updated_at = serializers.DateTimeField()


@extend_schema_view(list=extend_schema(description="Inspections you may see: analysts every published one."))
class InspectionViewSet(Resource):
    """PDU inspections: where, when, under which framework, and how far they have got."""

    serializer_class = InspectionSerializer
    filterset_class = filters.InspectionFilters
    lookup_field = "reference"
    lookup_value_regex = "[A-Za-z0-9-]+"
    columns = list(InspectionSerializer().fields)
    csv_name = "inspections"
    pagination_class = Cursor
    ordering_fields = ["id", "fieldwork_start", "reference"]
    value_fields = [
        "id",
        "reference",
        "pdu__region__slug",
        "pdu__slug",
        "framework__code",
        "fieldwork_start",
        "status",
        "published_on",
        "synthetic",
        "updated_at",
    ]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema is built without a user
            return Inspection.objects.none()
        return visible_inspections(self.request.user).order_by("id")

    def rows(self, items: Iterable[dict]) -> Iterator[dict]:
        for i in items:
            yield {
                "reference": i["reference"],
                "region": i["pdu__region__slug"],
                "pdu": i["pdu__slug"],
                "framework": i["framework__code"],
                "fieldwork_start": i["fieldwork_start"],
                "status": i["status"],
                "published_on": i["published_on"],
                "synthetic": i["synthetic"],
                "updated_at": i["updated_at"],
            }


# Case reviews and answers --------------------------------------------------------------------


def _choices(name: str) -> list[str]:
    return [value for value, _ in CaseReview._meta.get_field(name).choices]


# MAPPA category and level share one vocabulary (and one enum in the schema: ENUM_NAME_OVERRIDES).
MAPPA_CHOICES = _choices("mappa_category")


class CaseReviewSerializer(serializers.Serializer):
    case_key = serializers.CharField(
        help_text="A pseudonymous key of the case, stable across calls; never the case reference"
    )
    inspection = serializers.CharField()
    region = serializers.CharField()
    pdu = serializers.CharField()
    case_type = serializers.ChoiceField(choices=_choices("case_type"))
    court_report = serializers.ChoiceField(choices=_choices("court_report"))
    tier = serializers.ChoiceField(choices=["", *_choices("tier")])
    rosh_level = serializers.ChoiceField(choices=["", *_choices("rosh_level")])
    mappa_category = serializers.ChoiceField(choices=MAPPA_CHOICES)
    mappa_level = serializers.ChoiceField(choices=MAPPA_CHOICES)
    domestic_abuse = serializers.BooleanField()
    child_safeguarding = serializers.BooleanField()
    practitioner_grade = serializers.ChoiceField(choices=["", *_choices("practitioner_grade")])
    practitioner_months_in_service = serializers.IntegerField(allow_null=True)
    same_practitioner = serializers.BooleanField(allow_null=True)
    gender = serializers.ChoiceField(choices=["", *_choices("gender")])
    ethnicity_group = serializers.ChoiceField(choices=["", *_choices("ethnicity_group")])
    age_band = serializers.ChoiceField(choices=["", *_choices("age_band")])
    disability = serializers.ChoiceField(choices=["", *_choices("disability")])
    status = serializers.ChoiceField(choices=_choices("status"))
    updated_at = serializers.DateTimeField()


class CaseKeys:
    """Case keys computed once per case while streaming, not once per answer."""

    def __init__(self) -> None:
        self._keys: dict[int, str] = {}

    def __call__(self, case_id: int, inspection: str, case_reference: str) -> str:
        key = self._keys.get(case_id)
        if key is None:
            if len(self._keys) > 50_000:  # bounded: streams are ordered by case, old keys are not needed again
                self._keys.clear()
            key = self._keys[case_id] = case_key(inspection, case_reference)
        return key


class CaseReviewViewSet(Resource):
    """Sampled cases with their attributes and status. Archived case reviews are out of the sample
    and not listed. The case reference is replaced by a pseudonymous key; no evidence notes."""

    serializer_class = CaseReviewSerializer
    filterset_class = filters.CaseReviewFilters
    lookup_field = "case_key"
    lookup_value_regex = "ck_[0-9a-f]{24}"
    columns = list(CaseReviewSerializer().fields)
    csv_name = "case-reviews"
    pagination_class = Cursor
    ordering_fields = ["id"]
    value_fields = [
        "id",
        "case_reference",
        "inspection__reference",
        "inspection__pdu__region__slug",
        "inspection__pdu__slug",
        *CASE_ATTRIBUTES,
        "status",
        "updated_at",
    ]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema is built without a user
            return CaseReview.objects.none()
        return CaseReview.objects.filter(
            inspection__in=visible_inspections(self.request.user), archived_at__isnull=True
        ).order_by("id")

    def get_object(self):
        # The key is a hash: find the case by computing the keys of the cases in scope with the
        # same prefix is impossible, so the detail address is resolved by scanning the scope's
        # references once (thousands of rows, a few milliseconds) — rare, and always scoped.
        from django.http import Http404

        wanted = self.kwargs["case_key"]
        for case_id, inspection, reference in self.get_queryset().values_list(
            "id", "inspection__reference", "case_reference"
        ):
            if case_key(inspection, reference) == wanted:
                return CaseReview(pk=case_id)
        raise Http404("No case review with that key")

    def rows(self, items: Iterable[dict]) -> Iterator[dict]:
        keys = CaseKeys()
        for c in items:
            row = {
                "case_key": keys(c["id"], c["inspection__reference"], c["case_reference"]),
                "inspection": c["inspection__reference"],
                "region": c["inspection__pdu__region__slug"],
                "pdu": c["inspection__pdu__slug"],
            }
            for name in CASE_ATTRIBUTES:
                row[name] = c[name]
            row["status"] = c["status"]
            row["updated_at"] = c["updated_at"]
            yield row


class AnswerSerializer(serializers.Serializer):
    case_key = serializers.CharField(help_text="The case's pseudonymous key, as in case-reviews")
    inspection = serializers.CharField()
    question = serializers.CharField(help_text="Key question or prompt code, e.g. 2.2.3.e")
    value = serializers.ChoiceField(choices=["yes", "no", "not_applicable"])
    updated_at = serializers.DateTimeField()


class AnswerViewSet(ListResource):
    """Answers in long format: one row per case × question. Evidence notes are never included."""

    serializer_class = AnswerSerializer
    filterset_class = filters.AnswerFilters
    columns = list(AnswerSerializer().fields)
    csv_name = "answers"
    pagination_class = Cursor
    ordering_fields = ["id"]
    value_fields = [
        "id",
        "case_review_id",
        "case_review__case_reference",
        "case_review__inspection__reference",
        "question__code",
        "value",
        "updated_at",
    ]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema is built without a user
            return Answer.objects.none()
        return Answer.objects.filter(
            case_review__inspection__in=visible_inspections(self.request.user),
            case_review__archived_at__isnull=True,
        ).order_by("id")

    def csv_response(self, queryset):
        """The largest list (1.5 million rows nationally) as CSV: tuples from a server-side cursor
        written a batch at a time, instead of a dict per row. The same values as `rows` (the tests
        compare the CSV with the JSON); measured in bench/api.py."""
        # PostgreSQL formats the time as the JSON does (UTC, microseconds unless there are none, Z)
        # and neutralises text; Python adds only each case's key (one HMAC per case, not per row).
        tuples = queryset.annotate(
            _inspection=csv.neutralised_sql("case_review__inspection__reference"),
            _question=csv.neutralised_sql("question__code"),
            _at=csv.utc_iso_sql("updated_at"),
        ).values_list("case_review_id", "case_review__case_reference", "_inspection", "_question", "value", "_at")
        try:
            sql, params = tuples.query.sql_with_params()
        except EmptyResultSet:  # a filter that matches nothing by construction (queryset.none())
            sql, params = None, None

        def body() -> Iterator[str]:
            keys = CaseKeys()
            out = csv.Buffer()
            writer = csv.writer(out)
            writer.writerow(self.columns)
            yield out.take()
            if sql is None:
                return
            # Inside a transaction the server-side cursor is not WITH HOLD, so rows flow as PostgreSQL
            # finds them instead of after the whole result has been materialised.
            with transaction.atomic(), connection.chunked_cursor() as cursor:
                cursor.execute(sql, params)
                while batch := cursor.fetchmany(CSV_CHUNK):
                    writer.writerows(
                        (keys(case_id, inspection, reference), inspection, question, value, at)
                        for case_id, reference, inspection, question, value, at in batch
                    )
                    yield out.take()

        return csv.streaming_response(body(), self.csv_name)

    def rows(self, items: Iterable[dict]) -> Iterator[dict]:
        keys = CaseKeys()
        for a in items:
            inspection = a["case_review__inspection__reference"]
            yield {
                "case_key": keys(a["case_review_id"], inspection, a["case_review__case_reference"]),
                "inspection": inspection,
                "question": a["question__code"],
                "value": a["value"],
                "updated_at": a["updated_at"],
            }
