"""What every API resource shares: scope, rows, cursor paging and streamed CSV.

A resource names its columns once (`columns`) and turns database rows into output rows
once (`rows`); the JSON page and the CSV both come from `rows`, so they hold the same
values. Big lists read `.values()` rows rather than model instances and serializers: a
page of 500 answers costs little more than the query (bench/api.py). The serializer class
of each resource documents the shape in the OpenAPI schema and is checked against real
responses by the schemathesis tests.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Iterator
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from rest_framework import viewsets
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from inspections.access import inspections_visible_to
from inspections.models import Inspection

from . import csv

CSV_CHUNK = 5000  # rows fetched at a time from a server-side cursor when streaming CSV


class Cursor(CursorPagination):
    """Cursor paging for the long lists: stable under inserts, and as fast on the last page as the first."""

    ordering = "id"
    page_size = 500
    page_size_query_param = "page_size"
    max_page_size = 5000

    def paginate_queryset(self, queryset, request, view=None):
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        """DRF's, and a position that no row could have (a cursor edited by hand: not a number for an
        id, not a date for a date, a NUL byte) is the same 404 as any other invalid cursor: DRF would
        filter by it as given, and the query would fail with a server error."""
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None and not self._is_position(cursor.position):
            raise NotFound(self.invalid_cursor_message)
        return cursor

    def _is_position(self, position: str) -> bool:
        if "\x00" in position:
            return False
        try:
            field = self._model._meta.get_field(self.ordering[0].lstrip("-"))
        except FieldDoesNotExist:
            return True
        try:
            field.get_prep_value(field.to_python(position))
        except (TypeError, ValueError, ValidationError):
            return False
        return True


def visible_inspections(user) -> QuerySet[Inspection]:
    """The inspections the API may show `user`: analysts every published one, a director their
    region's published ones, administrators all (inspections.access, the pages' own rule)."""
    return inspections_visible_to(user)


class ListResource(viewsets.GenericViewSet):
    """A read-only list: JSON, paged; or CSV, whole and streamed."""

    columns: list[str] = []
    value_fields: list[str] = []  # the `.values()` the rows are made from, for list resources that use them
    csv_name = "rows"

    def rows(self, items: Iterable[Any]) -> Iterator[dict]:
        """Output rows, each a dict of `columns`, from `.values()` rows (or objects)."""
        raise NotImplementedError

    def list_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.values(*self.value_fields) if self.value_fields else queryset

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        if getattr(request.accepted_renderer, "format", None) == "csv":
            return self.csv_response(self.list_queryset(queryset))
        queryset = self.list_queryset(queryset)
        page = self.paginate_queryset(queryset)
        if page is not None:
            return self.get_paginated_response(list(self.rows(page)))
        return Response(list(self.rows(queryset)))

    def csv_response(self, queryset: QuerySet) -> StreamingHttpResponse:
        items = queryset.iterator(chunk_size=CSV_CHUNK) if isinstance(queryset, QuerySet) else queryset
        # itemgetter: the row's cells in column order, without a Python loop per cell
        cells = operator.itemgetter(*self.columns) if len(self.columns) > 1 else lambda row: [row[self.columns[0]]]
        return csv.streaming_response(csv.lines(self.columns, (cells(row) for row in self.rows(items))), self.csv_name)


class Resource(ListResource):
    """A list and a detail address for each row (by its slug, reference or key)."""

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        if self.value_fields:
            values = self.list_queryset(self.get_queryset().filter(pk=instance.pk))
            return Response(next(self.rows(values)))
        return Response(next(self.rows([instance])))
