"""Scope: no unpublished inspection reaches an analyst, and no other region's row reaches a
director, through any list (JSON, every page, and CSV both ways), any filter, or any detail
address — for every list and detail the schema has when the test runs.

What is out of scope is looked for as text in every response body: the hidden inspections'
references and their cases' keys (and, for a director, the other region's slug, PDUs and
inspections), so a resource added later that leaks a row fails here without a line of its own.
"""

from __future__ import annotations

import json

import pytest

from api.pseudonym import case_key
from casework.models import CaseReview
from inspections.models import Inspection
from regions.models import PDU

from .conftest import (
    ADMIN,
    ANALYST,
    DIRECTOR_LONDON,
    DIRECTOR_SW,
    api_client,
    csv_text,
    detail_paths,
    json_rows,
    list_paths,
    required_query,
    schema,
)


def case_keys(inspections) -> set[str]:
    return {
        case_key(reference, case_reference)
        for reference, case_reference in CaseReview.objects.filter(inspection__in=inspections).values_list(
            "inspection__reference", "case_reference"
        )
    }


def every_body(client, openapi, filters: list[dict]) -> list[tuple[str, str]]:
    """(address, body) for every list in the schema: JSON pages and both CSVs, unfiltered and with each filter."""
    bodies = []
    for path in list_paths(openapi):
        required = required_query(openapi, path)
        for extra in [{}, *filters]:
            query = {**required, **extra}
            _, pages = json_rows(client, path, query)
            bodies += [(f"{path}?{query}", page) for page in pages]
            bodies.append((f"{path}?{query}&format=csv", csv_text(client, path, query)))
        bodies.append((f"{path} Accept: text/csv", csv_text(client, path, required, accept=True)))
    return bodies


def assert_none_leaks(bodies, forbidden: set[str]) -> None:
    leaks = [(address, word) for address, body in bodies for word in forbidden if word in body]
    assert not leaks, leaks[:20]


def assert_error(response, status: int) -> None:
    assert response.status_code == status, response.content[:300]
    body = json.loads(response.content)
    assert set(body) == {"status", "code", "message", "errors"}
    assert body["status"] == status


def lookup_values(rows: list[dict], parameter: str) -> set[str]:
    """The values a detail address takes, from its list's rows (a `reference` may be a row's `inspection`)."""
    for column in (parameter, "inspection" if parameter == "reference" else None):
        if rows and column in rows[0]:
            return {str(row[column]) for row in rows}
    return set()


def assert_details_scoped(client, openapi, visible_to_admin_only: set[str] | None = None) -> int:
    """Each detail address answers 404 for what the list hides from `client`'s user and 200 for what it shows."""
    admin = api_client(ADMIN)
    checked = 0
    for path in detail_paths(openapi):
        list_path, parameter = path.split("{")[0], path.split("{")[1].split("}")[0]
        if list_path not in openapi["paths"]:
            continue
        query = required_query(openapi, list_path)
        everything = lookup_values(json_rows(admin, list_path, query)[0], parameter)
        visible = lookup_values(json_rows(client, list_path, query)[0], parameter)
        assert visible <= everything, path
        for value in sorted(everything - visible):
            assert_error(client.get(path.replace("{" + parameter + "}", value)), 404)
            checked += 1
        for value in sorted(visible)[:5]:
            response = client.get(path.replace("{" + parameter + "}", value))
            assert response.status_code == 200, (path, value, response.content[:300])
    return checked


# Analysts -------------------------------------------------------------------------------------


def test_no_unpublished_inspection_reaches_an_analyst_through_any_list_filter_or_csv(world):
    openapi = schema()
    hidden = Inspection.objects.exclude(status=Inspection.Status.PUBLISHED)
    assert set(hidden.values_list("reference", flat=True)) == {"SW-CIS-2026", "LDN-HID-2026"}
    assert CaseReview.objects.filter(inspection__reference="LDN-HID-2026", answers__isnull=False).exists()
    filters = [{"inspection": "SW-CIS-2026"}, {"inspection": "LDN-HID-2026"}, {"region": "london"}]
    filters += [{"pdu": "cornwall-and-isles-of-scilly"}, {"pdu": "hidden-pdu"}]
    bodies = every_body(api_client(ANALYST), openapi, filters)
    assert_none_leaks(bodies, {"SW-CIS-2026", "LDN-HID-2026", *case_keys(hidden)})


def test_an_analyst_sees_every_published_inspection_and_only_those(world):
    client = api_client(ANALYST)
    published = set(Inspection.objects.filter(status="published").values_list("reference", flat=True))
    assert {row["reference"] for row in json_rows(client, "/api/v1/inspections/")[0]} == published
    case_reviews = json_rows(client, "/api/v1/case-reviews/")[0]
    assert {row["inspection"] for row in case_reviews} == published
    assert len(case_reviews) == CaseReview.objects.filter(inspection__status="published", archived_at=None).count()
    regions = {row["slug"]: row["inspections"] for row in json_rows(client, "/api/v1/regions/")[0]}
    assert regions["south-west"] == 3 and regions["london"] == 1
    # A filter naming a hidden inspection matches nothing; it is not an error that would confirm it exists.
    assert json_rows(client, "/api/v1/answers/", {"inspection": "SW-CIS-2026"})[0] == []
    assert json_rows(client, "/api/v1/inspections/", {"status": "fieldwork"})[0] == []


def test_an_unpublished_inspection_is_a_404_at_every_detail_address_for_an_analyst(world):
    client = api_client(ANALYST)
    openapi = schema()
    hidden = Inspection.objects.exclude(status=Inspection.Status.PUBLISHED)
    for path in detail_paths(openapi):
        parameter = path.split("{")[1].split("}")[0]
        if parameter == "reference":
            for reference in hidden.values_list("reference", flat=True):
                assert_error(client.get(path.replace("{reference}", reference)), 404)
        if parameter == "case_key":
            for key in case_keys(hidden):
                assert_error(client.get(path.replace("{case_key}", key)), 404)
    assert assert_details_scoped(client, openapi) >= 2


# Directors ------------------------------------------------------------------------------------


def region_words(slug: str) -> set[str]:
    """What would show a row of the region: its slug, its PDUs' slugs, its inspections and their cases' keys."""
    inspections = Inspection.objects.filter(pdu__region__slug=slug)
    return {
        slug,
        *PDU.objects.filter(region__slug=slug).values_list("slug", flat=True),
        *inspections.values_list("reference", flat=True),
        *case_keys(inspections),
    }


@pytest.mark.parametrize(
    ("director", "own", "other"),
    [(DIRECTOR_LONDON, "london", "south-west"), (DIRECTOR_SW, "south-west", "london")],
    ids=["london", "south-west"],
)
def test_no_other_regions_row_reaches_a_director_through_any_list_filter_or_csv(world, director, own, other):
    openapi = schema()
    client = api_client(director)
    other_inspection = Inspection.objects.filter(pdu__region__slug=other, status="published").first()
    filters = [{"region": other}, {"inspection": other_inspection.reference}, {"pdu": other_inspection.pdu.slug}]
    bodies = every_body(client, openapi, filters)
    hidden_own = Inspection.objects.filter(pdu__region__slug=own).exclude(status="published")
    assert_none_leaks(bodies, region_words(other) | set(hidden_own.values_list("reference", flat=True)))
    # And what the director does see is all of their region's published work, with every row in it.
    for path in list_paths(openapi):
        for row in json_rows(client, path, required_query(openapi, path))[0]:
            assert row.get("region", own) == own, (path, row)
    published = Inspection.objects.filter(pdu__region__slug=own, status="published")
    seen = {row["reference"] for row in json_rows(client, "/api/v1/inspections/")[0]}
    assert seen == set(published.values_list("reference", flat=True)) and seen


@pytest.mark.parametrize(("director", "other"), [(DIRECTOR_LONDON, "south-west"), (DIRECTOR_SW, "london")])
def test_another_regions_rows_are_a_404_at_every_detail_address_for_a_director(world, director, other):
    client = api_client(director)
    openapi = schema()
    other_inspections = Inspection.objects.filter(pdu__region__slug=other)
    for path in detail_paths(openapi):
        parameter = path.split("{")[1].split("}")[0]
        values = {
            "reference": other_inspections.values_list("reference", flat=True),
            "case_key": case_keys(other_inspections),
        }.get(parameter, [])
        if path == "/api/v1/regions/{slug}/":
            values = [other]
        if path == "/api/v1/pdus/{slug}/":
            values = PDU.objects.filter(region__slug=other).values_list("slug", flat=True)
        for value in values:
            assert_error(client.get(path.replace("{" + parameter + "}", value)), 404)
    assert assert_details_scoped(client, openapi) >= 3
