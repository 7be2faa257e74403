"""CSV for every list: `?format=csv` or `Accept: text/csv`, streamed row by row.

A list view answers CSV by streaming its whole filtered queryset (not a page) from a
server-side cursor in chunks, so memory stays flat whatever the size. Every text cell a
spreadsheet would run as a formula (= + - @, tab, carriage return) is neutralised.
"""

from __future__ import annotations

import csv
import datetime
from collections.abc import Iterable, Iterator

from django.conf import settings
from rest_framework import ISO_8601
from rest_framework.fields import DateTimeField
from rest_framework.renderers import BaseRenderer
from rest_framework.settings import api_settings

from trackers.export import FORMULA_STARTS, neutralise


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


_DATETIME = DateTimeField(default_timezone=datetime.UTC)


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


def _cells():
    """`_cell` for one stream: the time zone looked up once, not per cell (bench/api.py), and the
    common types (text, times) first; the same values as `_cell`."""
    # UTC, as the JSON has it (DRF's encoder writes the database's UTC time with a Z): the same
    # instant in the same words in both formats, summer or winter.
    zone = datetime.UTC if settings.USE_TZ else None
    datetimes = DateTimeField(default_timezone=zone) if zone is not None else _DATETIME
    to_time = datetimes.to_representation
    # DRF's ISO 8601 output for an aware time, without its per-call look-ups: in the zone, +00:00 as Z.
    iso = zone is not None and str(api_settings.DATETIME_FORMAT).lower() == ISO_8601
    str_, datetime_, formula_starts = str, datetime.datetime, FORMULA_STARTS

    def cell(value):
        kind = type(value)
        if kind is str_:
            return "'" + value if value.startswith(formula_starts) else value  # neutralise(value)
        if kind is datetime_:
            if iso and value.tzinfo is not None and value.utcoffset() is not None:
                text = value.astimezone(zone).isoformat()
                return text[:-6] + "Z" if text.endswith("+00:00") else text
            return to_time(value)
        return _cell(value)

    return cell


ROWS_PER_PIECE = 1000  # rows joined into one string: a streamed piece is a write (and an HTTP chunk) each


def lines(columns: list[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """The header and the rows as CSV text, in pieces of up to ROWS_PER_PIECE lines."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    writerow, cell = writer.writerow, _cells()
    piece = [writerow(columns)]
    for row in rows:
        piece.append(writerow([cell(v) for v in row]))
        if len(piece) >= ROWS_PER_PIECE:
            yield "".join(piece)
            piece = []
    if piece:
        yield "".join(piece)


# The fast path of the longest list (answers): C's csv writer over a batch of tuples --------------

writer = csv.writer


class Buffer:
    """A write target that hands back what was written since the last `take`, for streaming."""

    def __init__(self) -> None:
        self._parts: list[str] = []

    def write(self, value: str) -> None:
        self._parts.append(value)

    def take(self) -> str:
        text = "".join(self._parts)
        self._parts.clear()
        return text


def utc_iso(value: datetime.datetime | None) -> str:
    """A time as DRF's JSON encoder writes a UTC time from the database: ISO 8601, +00:00 as Z."""
    if value is None:
        return ""
    text = value.astimezone(datetime.UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def neutralised_sql(field: str):
    """`neutralise` in SQL: a leading quote before text a spreadsheet would run."""
    from django.db.models import Case, CharField, Value, When
    from django.db.models.functions import Concat

    return Case(
        When(**{f"{field}__regex": r"^[=+\-@\t\r]"}, then=Concat(Value("'"), field, output_field=CharField())),
        default=field,
        output_field=CharField(),
    )


def utc_iso_sql(field: str):
    """`utc_iso` in SQL: 2026-11-26T15:00:50.956846Z, or without the fraction when it is zero."""
    from django.db.models import CharField, Func

    return Func(
        field,
        function="",
        template=(
            "regexp_replace(to_char(%(expressions)s AT TIME ZONE 'UTC', "
            "'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '\\.000000$', '') || 'Z'"
        ),
        output_field=CharField(),
    )


def streaming_response(body: Iterable[str], name: str):
    from django.http import StreamingHttpResponse

    response = StreamingHttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


__all__ = ["Buffer", "CSVRenderer", "lines", "neutralise", "streaming_response", "utc_iso", "writer"]
