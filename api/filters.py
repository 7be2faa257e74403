"""Filters by the names people use: `?region=south-west`, `?pdu=dorset`, `?inspection=SW-SOM-2023`,
`?framework=pdu-2021`, `?question=2.2.3.e`, fieldwork dates, case attributes and `updated_since`.

An unknown value of a choice is a 400 naming the parameter and the allowed values; an
unknown region, PDU or inspection simply matches nothing (it may exist but not be yours).
"""

from __future__ import annotations

import datetime

import django_filters as filters

from casework.models import Answer, CaseReview
from inspections.choices import AnswerValue, CaseType, CourtReport
from inspections.models import Inspection


class UTCDateTimeFilter(filters.IsoDateTimeFilter):
    """An ISO 8601 time, turned to UTC before it reaches the query: ISO 8601 and Python allow UTC
    offsets up to ±23:59, PostgreSQL refuses any beyond ±15:59 (a server error, found by schemathesis)."""

    def filter(self, qs, value):
        if value is not None and value.utcoffset():
            try:
                value = value.astimezone(datetime.UTC)
            except OverflowError:  # before year 1 or after 9999 in UTC: before or after every row
                before_every_row = value.utcoffset() > datetime.timedelta(0)
                return qs if before_every_row == (self.lookup_expr == "gte") else qs.none()
        return super().filter(qs, value)


class InspectionScopeFilters(filters.FilterSet):
    """The place, framework and period of the inspection a row belongs to; `prefix` leads to it."""

    prefix = ""

    region = filters.CharFilter(method="filter_region", help_text="Region slug, e.g. south-west")
    pdu = filters.CharFilter(method="filter_pdu", help_text="PDU slug, e.g. dorset")
    inspection = filters.CharFilter(method="filter_inspection", help_text="Inspection reference, e.g. SW-SOM-2023")
    framework = filters.CharFilter(method="filter_framework", help_text="Framework code, e.g. pdu-2021")
    fieldwork_from = filters.DateFilter(
        method="filter_fieldwork_from", help_text="Fieldwork started on or after this date (YYYY-MM-DD)"
    )
    fieldwork_to = filters.DateFilter(
        method="filter_fieldwork_to", help_text="Fieldwork started on or before this date (YYYY-MM-DD)"
    )
    updated_since = UTCDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="Changed at or after this time (ISO 8601), for incremental pulls",
    )

    def _lookup(self, path: str) -> str:
        return f"{self.prefix}{path}"

    def filter_region(self, queryset, name, value):
        return queryset.filter(**{self._lookup("pdu__region__slug"): value})

    def filter_pdu(self, queryset, name, value):
        return queryset.filter(**{self._lookup("pdu__slug"): value})

    def filter_inspection(self, queryset, name, value):
        return queryset.filter(**{self._lookup("reference"): value})

    def filter_framework(self, queryset, name, value):
        return queryset.filter(**{self._lookup("framework__code"): value})

    def filter_fieldwork_from(self, queryset, name, value):
        return queryset.filter(**{self._lookup("fieldwork_start__gte"): value})

    def filter_fieldwork_to(self, queryset, name, value):
        return queryset.filter(**{self._lookup("fieldwork_start__lte"): value})


class InspectionFilters(InspectionScopeFilters):
    status = filters.ChoiceFilter(choices=Inspection.Status.choices)

    class Meta:
        model = Inspection
        fields: list[str] = []


def _case_attribute_filters(prefix: str) -> dict[str, filters.Filter]:
    """A choice filter for each case attribute people study, with the vocabulary's values."""
    field = CaseReview._meta.get_field
    return {
        name: filters.ChoiceFilter(field_name=f"{prefix}{name}", choices=choices, help_text=help_text)
        for name, choices, help_text in (
            ("case_type", CaseType.choices, "Case type"),
            ("court_report", CourtReport.choices, "Court report"),
            ("tier", field("tier").choices, "Tier"),
            ("rosh_level", field("rosh_level").choices, "Risk of serious harm level"),
            ("gender", field("gender").choices, "Gender"),
            ("ethnicity_group", field("ethnicity_group").choices, "Ethnicity group"),
            ("age_band", field("age_band").choices, "Age band"),
            ("disability", field("disability").choices, "Disability"),
            ("status", CaseReview.Status.choices, "Case review status"),
        )
    }


# The same attribute filters, on a case review's own fields and on an answer's case review.
CaseAttributes = type("CaseAttributes", (filters.FilterSet,), _case_attribute_filters(""))
AnswerCaseAttributes = type("AnswerCaseAttributes", (filters.FilterSet,), _case_attribute_filters("case_review__"))


class CaseReviewFilters(InspectionScopeFilters, CaseAttributes):
    prefix = "inspection__"

    class Meta:
        model = CaseReview
        fields: list[str] = []


class AnswerFilters(InspectionScopeFilters, AnswerCaseAttributes):
    prefix = "case_review__inspection__"
    question = filters.CharFilter(field_name="question__code", help_text="Key question or prompt code, e.g. 2.2.3.e")
    value = filters.ChoiceFilter(choices=AnswerValue.choices, help_text="The answer")

    class Meta:
        model = Answer
        fields: list[str] = []
