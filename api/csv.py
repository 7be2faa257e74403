"""CSV for every list: `?format=csv` or `Accept: text/csv`, streamed row by row.

A list view answers CSV by streaming its whole filtered queryset (not a page) from a
server-side cursor in chunks, so memory stays flat whatever the size. Every text cell a
spreadsheet would run as a formula (= + - @, tab, carriage return) is neutralised.
"""

from __future__ import annotations

import csv
import datetime
from collections.abc import Iterable, Iterator

from rest_framework.fields import DateTimeField
from rest_framework.renderers import BaseRenderer

from trackers.export import neutralise


class CSVRenderer(BaseRenderer):
    """Content negotiation only: list views stream the CSV themselves (`csv_response`).

    Anything else asked for as CSV (an error, a detail) is rendered as one row per key.
    """

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        rows = data if isinstance(data, list) else [data]
        columns = list(rows[0].keys()) if rows and isinstance(rows[0], dict) else ["value"]
        return "".join(
            lines(columns, ([row.get(c) for c in columns] if isinstance(row, dict) else [row] for row in rows))
        ).encode()


_DATETIME = DateTimeField()


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value):
    """As the JSON has it: ISO 8601 times (UTC as Z), true/false, empty for null."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        return _DATETIME.to_representation(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return neutralise(value)


def lines(columns: list[str], rows: Iterable[Iterable]) -> Iterator[str]:
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield writer.writerow(columns)
    for row in rows:
        yield writer.writerow([_cell(v) for v in row])
