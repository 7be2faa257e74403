"""The data dictionary: each list resource's columns, with their meaning, type and allowed values.

Built from the code, not retyped: the resources are the router's; the columns are the CSV header
each resource itself writes (`csv_header`), so resources whose CSV flattens nested JSON
(frameworks, ratings) are described line by line too; types and allowed values come from the
serializers' fields, and the labels of coded values from the models' TextChoices. Meanings are
the serializers' help texts unless `MEANINGS` below says more, or else the model field's name.
A resource added to the router appears here with no change (tests/api/test_tokens.py checks
every CSV header is covered). It describes the API and holds no data: anyone may read it."""

from __future__ import annotations

import csv as csvlib
from collections.abc import Iterator

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from .csv import CSVRenderer

# Meanings the serializers do not carry: by column, or by (resource, column) where a name means
# different things in different resources.
MEANINGS: dict[str | tuple[str, str], str] = {
    "name": "The name as published",
    "region": "The region's slug (see regions), e.g. south-west",
    "pdu": "The Probation Delivery Unit's slug (see pdus), e.g. dorset",
    "inspection": "The inspection's reference (see inspections), e.g. SW-SOM-2023",
    "framework": "The framework's code (see frameworks), e.g. pdu-2021",
    "standard": "The standard's code, e.g. 2.2",
    "key_question": "The code of the key question a prompt belongs to; empty for a key question itself",
    ("frameworks", "kind"): "Whether the row is a key question or a prompt",
    ("frameworks", "code"): "The key question's or prompt's code, e.g. 2.2.3.e",
    ("frameworks", "text"): "The question as the framework asks it",
    "updated_at": "When the row last changed (ISO 8601, UTC). Filter with updated_since for incremental pulls",
    "fieldwork_start": "The first day of the inspection's fieldwork",
    "published_on": "The day the inspection's report was published; empty until then",
    ("inspections", "status"): "How far the inspection has got",
    ("case-reviews", "status"): "Where the case review is in the inspectors' workflow",
    ("answers", "value"): "The inspector's answer to the question for this case",
    "case_type": "Whether the case is a community sentence or a release on licence",
    "court_report": "The kind of pre-sentence court report the case had, if any",
    "tier": "The case's tier under the probation service's tiering framework; empty if not recorded",
    "rosh_level": "The risk of serious harm level at the start of the period inspected; empty if not recorded",
    "mappa_category": "Multi-agency public protection arrangements (MAPPA) category",
    "mappa_level": "Multi-agency public protection arrangements (MAPPA) management level",
    "domestic_abuse": "Whether there were domestic abuse concerns in the case",
    "child_safeguarding": "Whether there were child safeguarding concerns (these make question 2.2.3.e relevant)",
    "practitioner_grade": "The grade of the case's responsible practitioner; empty if not recorded",
    "practitioner_months_in_service": "The practitioner's months in service; empty if not recorded",
    "same_practitioner": "Whether one practitioner held the case throughout the period; empty if not recorded",
    "gender": "The person's gender as recorded; empty if not recorded",
    "ethnicity_group": "The person's ethnicity group as recorded; empty if not recorded",
    "age_band": "The person's age band; empty if not recorded",
    "disability": "Whether the person has a disability, as recorded; empty if not recorded",
}

NOT_RECORDED = "Not recorded"


def _type(field: serializers.Field) -> str:
    for kind, name in (
        (serializers.BooleanField, "boolean"),
        (serializers.IntegerField, "integer"),
        (serializers.FloatField, "number"),
        (serializers.DecimalField, "number"),
        (serializers.DateTimeField, "datetime"),
        (serializers.DateField, "date"),
        (serializers.ListField, "list"),
    ):
        if isinstance(field, kind):
            return name
    return "string"


def _model_field(model: type[models.Model] | None, name: str) -> models.Field | None:
    if model is None:
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:  # the column is computed or joined
        return None
    return field if isinstance(field, models.Field) else None


def _allowed_values(field: serializers.Field, model_field: models.Field | None) -> list[dict[str, str]]:
    if not isinstance(field, serializers.ChoiceField):
        return []
    labels = dict(model_field.choices) if model_field is not None and model_field.choices else {}
    return [
        {"value": str(value), "label": str(labels.get(value) or (NOT_RECORDED if value == "" else label))}
        for value, label in field.choices.items()
    ]


def _meaning(resource: str, name: str, field: serializers.Field | None, model_field: models.Field | None) -> str:
    if (resource, name) in MEANINGS:
        return MEANINGS[(resource, name)]
    if field is not None and field.help_text:
        return str(field.help_text)
    if name in MEANINGS:
        return MEANINGS[name]
    if model_field is not None and model_field.help_text:
        return str(model_field.help_text)
    if model_field is not None:
        return str(model_field.verbose_name).capitalize()
    return name.replace("_", " ").capitalize()


def _model(viewset) -> type[models.Model] | None:
    filterset = getattr(viewset, "filterset_class", None)
    return getattr(getattr(filterset, "_meta", None), "model", None)


def _resources() -> Iterator[tuple[str, type]]:
    from .urls import router  # the router imports this module's view

    for prefix, viewset, _basename in router.registry:
        if hasattr(viewset, "list"):
            yield prefix, viewset


def _fields_by_column(serializer: serializers.Serializer, prefix: str = "") -> dict[str, serializers.Field]:
    """The serializer's fields by the CSV column names they may appear under.

    A nested list flattened into CSV lines prefixes its fields with its name made singular
    (`standards` → `standard_title`); its fields also answer to their bare names if free.
    """
    found: dict[str, serializers.Field] = {}
    nested_fields: list[tuple[str, serializers.Serializer]] = []
    for name, field in serializer.fields.items():
        child = field.child if isinstance(field, serializers.ListSerializer) else field
        if isinstance(child, serializers.Serializer):
            nested_fields.append((name, child))
        found.setdefault(f"{prefix}{name}", field)
    for name, child in nested_fields:
        inner = f"{name[:-1] if name.endswith('s') else name}_"
        for key, field in _fields_by_column(child, inner).items():
            found.setdefault(key, field)
        for key, field in _fields_by_column(child).items():
            found.setdefault(key, field)
    return found


def csv_header(viewset) -> list[str]:
    """The CSV header exactly as the resource writes it: its `csv_response` on no rows."""
    try:
        response = viewset().csv_response([])
        first = next(iter(response.streaming_content))
        return next(csvlib.reader([first.decode() if isinstance(first, bytes) else first]))
    except Exception:  # a resource whose CSV needs a request: its declared columns
        return list(getattr(viewset, "csv_columns", None) or getattr(viewset, "columns", None) or [])


def data_dictionary() -> dict:
    resources = []
    for prefix, viewset in _resources():
        fields = _fields_by_column(viewset.serializer_class())
        model = _model(viewset)
        columns = []
        for name in csv_header(viewset):
            field = fields.get(name)
            model_field = _model_field(model, name)
            columns.append(
                {
                    "name": name,
                    "type": _type(field) if field is not None else "string",
                    "nullable": bool(field is not None and field.allow_null),
                    "meaning": _meaning(prefix, name, field, model_field),
                    "allowed_values": _allowed_values(field, model_field) if field is not None else [],
                }
            )
        doc = (viewset.__doc__ or "").strip()
        resources.append(
            {
                "resource": prefix,
                "address": f"/api/v1/{prefix}/",
                "description": " ".join(doc.split()),
                "columns": columns,
            }
        )
    return {
        "about": "Every column of every list in the API, as its CSV header has them, in order: meaning, type, "
        "whether it may be empty, and the allowed values of coded columns. The JSON rows have the same fields "
        "(nested, where a CSV flattens a tree into lines). Dates are YYYY-MM-DD and times ISO 8601 in UTC; in "
        "CSV, true/false for booleans and an empty cell for an empty value. The guide: /api/v1/docs/.",
        "resources": resources,
    }


def dictionary_rows(dictionary: dict) -> list[dict]:
    """One row per resource and column, for the CSV."""
    return [
        {
            "resource": resource["resource"],
            "column": column["name"],
            "type": column["type"],
            "nullable": column["nullable"],
            "meaning": column["meaning"],
            "allowed_values": "; ".join(
                f"{v['value'] or '(empty)'} = {v['label']}" if v["label"] != v["value"] else v["value"]
                for v in column["allowed_values"]
            ),
        }
        for resource in dictionary["resources"]
        for column in resource["columns"]
    ]


class DataDictionaryView(APIView):
    """The data dictionary, as JSON or (`?format=csv`) one row per resource and column."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    renderer_classes = [JSONRenderer, CSVRenderer]

    # Linked from the schema's description (the guide), not an operation in it: it is about the
    # resources, not one of them, and clients generated from the schema have no use for it.
    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        dictionary = data_dictionary()
        if getattr(request.accepted_renderer, "format", None) == "csv":
            response = Response(dictionary_rows(dictionary))
            response["Content-Disposition"] = 'attachment; filename="data-dictionary.csv"'
            return response
        return Response(dictionary)
