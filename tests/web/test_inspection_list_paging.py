"""The readers' home and the inspection list a page at a time, filtered, at any number of inspections."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from inspections.models import Framework, Inspection, TeamMember

from ..factories import InspectionFactory, PDUFactory, TeamMemberFactory, UserFactory, set_publication

pytestmark = pytest.mark.django_db


def page(client, user, path):
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def listed(html):
    """The references of the inspections in the table, in order."""
    return re.findall(r'<a class="govuk-link" href="/inspections/([A-Z0-9-]+)/">', html)


def page_links(html):
    """The hrefs of the GOV.UK pagination component's links, as written in the HTML."""
    nav = re.search(r'<nav class="govuk-pagination".*?</nav>', html, re.S)
    return re.findall(r'href="([^"]*)"', nav.group(0)) if nav else []


def error_summary(html):
    summary = re.search(r'<div class="govuk-error-summary".*?</ul>', html, re.S)
    return re.findall(r"<li><a [^>]*>([^<]+)</a></li>", summary.group(0)) if summary else []


def inspections(n, *, pdu, prefix="NA", year=2024, status=Inspection.Status.FIELDWORK, **fields):
    """`n` inspections of `pdu`, references PREFIX-P001-YEAR upwards, all with fieldwork on one day."""
    created = [
        InspectionFactory(
            reference=f"{prefix}-P{i:03d}-{year}",
            pdu=pdu,
            fieldwork_start=datetime.date(year, 6, 3),
            **fields,
        )
        for i in range(1, n + 1)
    ]
    if status == Inspection.Status.PUBLISHED:
        set_publication(*created, status=status, published_on=datetime.date(year + 1, 1, 15))
    elif status != Inspection.Status.FIELDWORK:
        Inspection.objects.filter(pk__in=[i.pk for i in created]).update(status=status)
    return created


@pytest.fixture
def south_west_pdu(region):
    return PDUFactory(slug="dorset", name="Dorset", region=region)


@pytest.fixture
def london_pdu(other_region):
    return PDUFactory(slug="camden", name="Camden and Islington", region=other_region)


# Paging


def test_the_list_shows_25_a_page_with_how_many_there_are_and_the_page_links(client, analyst, south_west_pdu):
    inspections(30, pdu=south_west_pdu, status=Inspection.Status.PUBLISHED)

    html = page(client, analyst, "/inspections/")
    assert listed(html) == [f"NA-P{i:03d}-2024" for i in range(1, 26)]
    assert "Showing 1 to 25 of 30 inspections" in html
    assert page_links(html) == ["?", "?page=2", "?page=2"]  # page 1, page 2, next
    assert 'aria-current="page">1</a>' in html

    html = page(client, analyst, "/inspections/?page=2")
    assert listed(html) == [f"NA-P{i:03d}-2024" for i in range(26, 31)]
    assert "Showing 26 to 30 of 30 inspections" in html
    assert page_links(html) == ["?", "?", "?page=2"]  # previous, page 1, page 2
    assert 'rel="next"' not in html


def test_distant_pages_are_elided(client, administrator, south_west_pdu):
    inspections(25 * 9, pdu=south_west_pdu)

    html = page(client, administrator, "/inspections/?page=5")
    assert "Showing 101 to 125 of 225 inspections" in html
    assert page_links(html) == ["?page=4", "?", "?page=4", "?page=5", "?page=6", "?page=9", "?page=6"]
    assert html.count("govuk-pagination__item--ellipsis") == 2


def test_one_page_has_no_page_links(client, analyst, south_west_pdu):
    inspections(3, pdu=south_west_pdu, status=Inspection.Status.PUBLISHED)
    html = page(client, analyst, "/")
    assert "Showing 3 inspections" in html and len(listed(html)) == 3
    assert "govuk-pagination" not in html


@pytest.mark.parametrize(
    ("query", "first", "shown"),
    [("page=9", 26, "Showing 26 to 30 of 30"), ("page=0", 26, "Showing 26 to 30"), ("page=two", 1, "Showing 1 to 25")],
)
def test_a_page_past_the_end_gives_the_last_and_a_page_that_is_not_a_number_the_first(
    client, analyst, south_west_pdu, query, first, shown
):
    inspections(30, pdu=south_west_pdu, status=Inspection.Status.PUBLISHED)
    html = page(client, analyst, f"/inspections/?{query}")
    assert listed(html)[0] == f"NA-P{first:03d}-2024"
    assert shown in html


def test_a_directors_list_is_paginated_without_a_region_or_status_filter(client, director, south_west_pdu, london_pdu):
    inspections(30, pdu=south_west_pdu, status=Inspection.Status.PUBLISHED)
    inspections(2, pdu=london_pdu, prefix="LN", status=Inspection.Status.PUBLISHED)
    inspections(2, pdu=south_west_pdu, prefix="SW")  # not published

    html = page(client, director, "/inspections/")
    assert "Showing 1 to 25 of 30 inspections" in html
    assert 'id="region"' not in html and 'id="status"' not in html
    html = page(client, director, "/inspections/?page=2")
    assert listed(html) == [f"NA-P{i:03d}-2024" for i in range(26, 31)]


# Filters


def test_the_search_finds_a_reference_or_a_pdu_name_ignoring_case(client, administrator, south_west_pdu, london_pdu):
    inspections(2, pdu=south_west_pdu, prefix="SW")
    inspections(2, pdu=london_pdu, prefix="LN")

    assert listed(page(client, administrator, "/inspections/?q=sw-p002")) == ["SW-P002-2024"]
    assert listed(page(client, administrator, "/inspections/?q=islington")) == ["LN-P001-2024", "LN-P002-2024"]
    html = page(client, administrator, "/inspections/?q=nowhere")
    assert listed(html) == [] and "No inspections match these filters" in html
    # A LIKE wildcard is a character like any other.
    assert listed(page(client, administrator, "/inspections/?q=%25")) == []


def test_the_region_filter_is_offered_to_who_sees_more_than_one_region(
    client, analyst, director, south_west_pdu, london_pdu
):
    inspections(2, pdu=south_west_pdu, prefix="SW", status=Inspection.Status.PUBLISHED)
    inspections(2, pdu=london_pdu, prefix="LN", status=Inspection.Status.PUBLISHED)

    html = page(client, analyst, "/?region=london")
    assert listed(html) == ["LN-P001-2024", "LN-P002-2024"]
    assert '<option value="london" selected>London</option>' in html
    assert '<option value="south-west">South West</option>' in html
    assert 'id="region"' not in page(client, director, "/inspections/")


def test_the_status_filter_is_offered_to_who_sees_unpublished_inspections(
    client, administrator, analyst, south_west_pdu
):
    inspections(2, pdu=south_west_pdu, prefix="SW", status=Inspection.Status.PUBLISHED)
    inspections(1, pdu=south_west_pdu, prefix="MO", status=Inspection.Status.MODERATION)
    inspections(1, pdu=south_west_pdu, prefix="FW")

    assert listed(page(client, administrator, "/?status=moderation")) == ["MO-P001-2024"]
    html = page(client, administrator, "/inspections/?status=published")
    assert listed(html) == ["SW-P001-2024", "SW-P002-2024"]
    # Only the statuses there are, in workflow order.
    assert re.findall(r'<option value="([a-z_]*)"', html.split('id="status"')[1].split("</select>")[0]) == [
        "",
        "fieldwork",
        "moderation",
        "published",
    ]
    html = page(client, analyst, "/?status=moderation")  # not offered: ignored, and nothing unpublished shows
    assert 'id="status"' not in html and listed(html) == ["SW-P001-2024", "SW-P002-2024"]


def test_the_year_filter_lists_the_years_of_fieldwork(client, analyst, south_west_pdu):
    inspections(2, pdu=south_west_pdu, prefix="OL", year=2022, status=Inspection.Status.PUBLISHED)
    inspections(1, pdu=south_west_pdu, prefix="NW", year=2023, status=Inspection.Status.PUBLISHED)

    html = page(client, analyst, "/inspections/?year=2022")
    assert listed(html) == ["OL-P001-2022", "OL-P002-2022"]
    assert '<option value="2023">2023</option>' in html and '<option value="2022" selected>2022</option>' in html


def test_the_framework_filter(client, administrator, south_west_pdu):
    inspections(2, pdu=south_west_pdu, prefix="NW")
    inspections(1, pdu=south_west_pdu, prefix="OL", framework=Framework.objects.get(code="adult-2018"))

    html = page(client, administrator, "/?framework=pdu-2021")
    assert listed(html) == ["NW-P001-2024", "NW-P002-2024"]
    assert '<option value="adult-2018">Adult probation inspection framework (2018), rules only</option>' in html
    assert '<option value="pdu-2021" selected>' in html


def test_filters_combine_and_the_page_links_keep_them(client, administrator, south_west_pdu, london_pdu):
    inspections(30, pdu=south_west_pdu, prefix="SW", year=2023)
    inspections(30, pdu=london_pdu, prefix="LN", year=2023)
    inspections(5, pdu=south_west_pdu, prefix="SW", year=2022)

    html = page(client, administrator, "/inspections/?region=south-west&year=2023&q=SW&framework=")
    assert "Showing 1 to 25 of 30 inspections" in html
    assert all(reference.startswith("SW-") and reference.endswith("-2023") for reference in listed(html))
    query = "q=SW&amp;region=south-west&amp;year=2023"  # in the form's order, empty ones left out
    assert page_links(html) == [f"?{query}", f"?{query}&amp;page=2", f"?{query}&amp;page=2"]

    html = page(client, administrator, f"/inspections/?{query.replace('&amp;', '&')}&page=2")
    assert "Showing 26 to 30 of 30 inspections" in html
    assert 'href="/inspections/">Clear filters</a>' in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("year=twenty", "Select a year of fieldwork from the list"),
        ("year=1999", "Select a year of fieldwork from the list"),
        ("region=atlantis", "Select a region from the list"),
        ("status=archived", "Select a status from the list"),
        ("framework=pdu-1066", "Select a framework from the list"),
        ("q=" + "x" * 101, "Reference or PDU must be 100 characters or fewer"),
    ],
)
def test_an_invalid_filter_is_an_error_and_lists_nothing(
    client, administrator, south_west_pdu, london_pdu, query, message
):
    inspections(2, pdu=south_west_pdu, prefix="SW")
    inspections(2, pdu=london_pdu, prefix="LN")
    # Something to choose between in every filter: another status, year and framework.
    adult_2018 = Framework.objects.get(code="adult-2018")
    inspections(1, pdu=south_west_pdu, prefix="OL", year=2023, status=Inspection.Status.PUBLISHED, framework=adult_2018)

    for path in ("/", "/inspections/"):
        html = page(client, administrator, f"{path}?{query}&page=2")
        assert error_summary(html) == [message]
        assert "<title>Error: " in html
        assert listed(html) == []
        assert "No inspections are shown until the filters are corrected" in html
        assert "govuk-pagination" not in html


# Scope


def test_filters_never_widen_what_a_director_sees(client, director, south_west_pdu, london_pdu):
    inspections(3, pdu=south_west_pdu, prefix="SW", status=Inspection.Status.PUBLISHED)
    inspections(3, pdu=south_west_pdu, prefix="PL")  # not published
    inspections(3, pdu=london_pdu, prefix="LN", status=Inspection.Status.PUBLISHED)

    expected = ["SW-P001-2024", "SW-P002-2024", "SW-P003-2024"]
    assert listed(page(client, director, "/inspections/")) == expected
    assert listed(page(client, director, "/inspections/?region=london&status=fieldwork")) == expected
    assert listed(page(client, director, "/inspections/?q=LN")) == []
    assert listed(page(client, director, "/inspections/?q=PL")) == []


def test_an_inspector_lists_only_the_inspections_whose_team_they_are_on(client, south_west_pdu, london_pdu):
    inspector = UserFactory(email="paging.inspector@example.test", role=User.Role.INSPECTOR)
    mine = inspections(27, pdu=south_west_pdu, prefix="MY") + inspections(1, pdu=london_pdu, prefix="LN")
    inspections(3, pdu=south_west_pdu, prefix="NO")
    for inspection in mine:
        TeamMemberFactory(inspection=inspection, user=inspector, role=TeamMember.Role.INSPECTOR)

    html = page(client, inspector, "/inspections/")
    assert "Showing 1 to 25 of 28 inspections" in html
    assert not any(reference.startswith("NO-") for reference in listed(html))
    assert 'id="region"' in html  # two regions among their inspections
    assert listed(page(client, inspector, "/inspections/?q=NO")) == []
    assert listed(page(client, inspector, "/inspections/?region=london")) == ["LN-P001-2024"]


def test_who_sees_no_inspection_is_told_so_without_filters(client, analyst, south_west_pdu):
    inspections(2, pdu=south_west_pdu)  # not published: the analyst sees none
    html = page(client, analyst, "/inspections/")
    assert "There are no inspections for you to see yet" in html and "Apply filters" not in html


# Cost


@pytest.mark.parametrize(
    ("persona", "path"),
    [
        ("analyst", "/"),
        ("analyst", "/inspections/?page=2"),
        ("administrator", "/"),
        ("administrator", "/inspections/?year=2024&q=P0"),
        ("director", "/inspections/"),
    ],
)
def test_the_pages_cost_the_same_number_of_queries_for_30_inspections_as_for_60(
    client, request, south_west_pdu, london_pdu, persona, path, django_assert_num_queries
):
    user = request.getfixturevalue(persona)
    # Half published (rated from their publication; live here, with no snapshot), half in fieldwork.
    inspections(15, pdu=south_west_pdu, prefix="SA", status=Inspection.Status.PUBLISHED)
    inspections(15, pdu=london_pdu, prefix="LA")
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    thirty = len(captured)  # now: the next request clears the connection's query log
    assert response.status_code == 200 and listed(response.content.decode())

    # Listed after the first thirty, so that page 1 shows the same mix of published and not.
    inspections(15, pdu=south_west_pdu, prefix="TA", status=Inspection.Status.PUBLISHED)
    inspections(15, pdu=london_pdu, prefix="TB")
    with django_assert_num_queries(thirty):
        assert client.get(path).status_code == 200


def test_only_the_inspections_on_the_page_are_rated(client, administrator, south_west_pdu, monkeypatch):
    from web import views

    rated = []

    def spy(inspections, **kwargs):
        inspections = list(inspections)
        rated.append([i.reference for i in inspections])
        return real(inspections, **kwargs)

    real = views.inspections_ratings_for_display
    monkeypatch.setattr(views, "inspections_ratings_for_display", spy)
    inspections(60, pdu=south_west_pdu)

    html = page(client, administrator, "/inspections/?page=3")
    assert rated == [listed(html)] and len(rated[0]) == 10


def test_a_filter_with_nothing_to_choose_between_is_left_out_and_its_value_ignored(client, analyst, south_west_pdu):
    inspections(3, pdu=south_west_pdu, status=Inspection.Status.PUBLISHED)  # one region, status, year, framework

    html = page(client, analyst, "/inspections/?region=london&status=fieldwork&year=1999&framework=pdu-1066")
    assert len(listed(html)) == 3 and error_summary(html) == []
    assert re.findall(r'<label class="govuk-label" for="([a-z]+)">', html) == ["q"]


def test_the_pages_benchmark_measures_every_page_it_can_reach(south_west_pdu):
    """bench.pages still runs against the schema (its timings are not tested)."""
    from bench.pages import PAGES, measure_database

    inspections(3, pdu=south_west_pdu, status=Inspection.Status.PUBLISHED)
    results, size = measure_database(requests=2, warmup=1)
    assert size == 3
    assert set(results) == {spec.label for spec in PAGES}
    for label in ("analyst's home", "administrator's home", "inspection list"):
        assert results[label]["queries"] > 0 and results[label]["bytes"] > 0, label
    assert not User.objects.filter(email__startswith="bench-pages-").exists()  # rolled back
