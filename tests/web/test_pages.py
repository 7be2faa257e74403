"""Home, the inspection list and an inspection's page: what each role sees, and what it costs."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from casework.models import CaseReview
from inspections.models import Inspection, Question, TeamMember
from tests.factories import set_publication

from ..factories import (
    AnswerFactory,
    CaseReviewFactory,
    InspectionFactory,
    PDUFactory,
    TeamMemberFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def key_question(code):
    return Question.objects.get(framework__code="pdu-2021", code=code)


def publish(inspection):
    set_publication(inspection, status=Inspection.Status.PUBLISHED, published_on=datetime.date(2024, 9, 1))
    inspection.refresh_from_db()
    return inspection


def page(client, user, path):
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def tags(html):
    """The text of every GOV.UK tag on the page, in order (the phase banner's first)."""
    return [text.strip() for text in re.findall(r'<strong class="govuk-tag[^"]*">([^<]+)</strong>', html)]


@pytest.fixture
def sample(inspection, inspector, lead_inspector):
    """Four cases, one in each state a list distinguishes, and one nobody is assigned to."""
    not_started = CaseReviewFactory(inspection=inspection, case_reference="X000001", inspector=inspector)
    in_progress = CaseReviewFactory(
        inspection=inspection, case_reference="X000002", inspector=inspector, case_type="licence"
    )
    AnswerFactory(case_review=in_progress, question=key_question("2.2.1"), value="yes")
    submitted = CaseReviewFactory(
        inspection=inspection, case_reference="X000003", inspector=lead_inspector, status=CaseReview.Status.SUBMITTED
    )
    returned = CaseReviewFactory(
        inspection=inspection, case_reference="X000004", inspector=inspector, status=CaseReview.Status.RETURNED
    )
    unassigned = CaseReviewFactory(inspection=inspection, case_reference="X000005", inspector=None)
    return {
        "not_started": not_started,
        "in_progress": in_progress,
        "submitted": submitted,
        "returned": returned,
        "unassigned": unassigned,
    }


# Home


def test_an_inspectors_home_lists_their_inspections_and_cases_with_status_tags(client, inspection, inspector, sample):
    other = InspectionFactory(reference="SW-OTH-2024")
    CaseReviewFactory(inspection=other, case_reference="X999999", inspector=inspector)  # not on that team

    html = page(client, inspector, "/")
    assert 'href="/inspections/SW-TST-2024/"' in html
    assert "SW-OTH-2024" not in html and "X999999" not in html
    # Their own cases, linked to the case review, returned first; not the lead's or the unassigned one.
    links = re.findall(r'href="/inspections/SW-TST-2024/cases/(X\d+)/"', html)
    assert links == ["X000004", "X000001", "X000002"]
    assert "X000003" not in html and "X000005" not in html
    assert tags(html)[-3:] == ["Returned", "Not started", "In progress"]
    # Counts of their cases by status, and the progress of the whole sample.
    assert "1 not started" in html and "1 in progress" in html and "1 returned" in html
    assert "1 of 5 submitted or moderated" in html


def test_a_lead_inspectors_home_counts_cases_waiting_for_quality_assurance(client, lead_inspector, sample):
    html = page(client, lead_inspector, "/")
    assert "Lead inspector" in html
    assert "1 waiting for quality assurance" in html
    assert re.findall(r'href="/inspections/SW-TST-2024/cases/(X\d+)/"', html) == ["X000003"]


def test_an_inspector_with_no_team_is_told_so(client, outside_inspector):
    html = page(client, outside_inspector, "/")
    assert "You are not on the team of any inspection yet" in html


def test_a_directors_home_is_their_region_dashboard_with_published_scores_and_work_in_progress_named_only(
    client, region, director, other_director, inspection
):
    publish(inspection)
    InspectionFactory(reference="SW-PLN-2024", pdu=PDUFactory(region=region))  # not published yet
    publish(InspectionFactory(reference="LN-PUB-2024", pdu=PDUFactory(region=other_director.region)))

    client.force_login(director)
    assert client.get("/")["Location"] == "/regions/south-west/"
    html = page(client, director, "/regions/south-west/")
    assert "SW-TST-2024" in html and "LN-PUB-2024" not in html
    # No judgements or answers yet: the score is not a silent zero.
    assert "No score" in html
    # Work in progress is named, without its data.
    assert "Inspections in progress" in html and "SW-PLN-2024, fieldwork" in html
    html = page(client, director, "/inspections/")
    assert "SW-TST-2024" in html and "SW-PLN-2024" not in html and "LN-PUB-2024" not in html

    html = page(client, other_director, "/regions/london/")
    assert "LN-PUB-2024" in html and "SW-TST-2024" not in html


def test_an_analysts_home_shows_every_published_inspection(client, analyst, inspection, other_region):
    publish(inspection)
    publish(InspectionFactory(reference="LN-PUB-2024", pdu=PDUFactory(region=other_region)))
    InspectionFactory(reference="SW-PLN-2024")
    html = page(client, analyst, "/")
    assert "SW-TST-2024" in html and "LN-PUB-2024" in html and "SW-PLN-2024" not in html


def test_an_administrators_home_shows_every_inspection_with_its_status(client, administrator, inspection):
    html = page(client, administrator, "/")
    assert "All inspections" in html and "SW-TST-2024" in html
    assert "Fieldwork" in tags(html)


# The inspection list


def test_the_inspection_list_is_scoped_by_role(client, inspection, inspector, director, outside_inspector):
    assert "SW-TST-2024" in page(client, inspector, "/inspections/")
    assert "SW-TST-2024" not in page(client, outside_inspector, "/inspections/")
    assert "SW-TST-2024" not in page(client, director, "/inspections/")  # not published yet
    publish(inspection)
    assert "SW-TST-2024" in page(client, director, "/inspections/")


# An inspection's page


def test_the_team_sees_every_case_with_its_status_and_the_progress_of_the_sample(client, inspector, sample):
    html = page(client, inspector, "/inspections/SW-TST-2024/")
    assert re.findall(r'href="/inspections/SW-TST-2024/cases/(X\d+)/"', html) == [
        "X000001",
        "X000002",
        "X000003",
        "X000004",
        "X000005",
    ]
    assert tags(html)[-5:] == ["Not started", "In progress", "Submitted", "Returned", "Not started"]
    assert "1 of 5 cases submitted or moderated" in html
    assert "Not assigned" in html
    assert "Licence or post-sentence supervision" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=not_started", ["X000001", "X000005"]),
        ("status=in_progress", ["X000002"]),
        ("status=returned", ["X000004"]),
        ("case_type=licence", ["X000002"]),
        ("inspector=none", ["X000005"]),
        ("inspector={inspector}&status=not_started", ["X000001"]),
        ("inspector={lead}", ["X000003"]),
        ("status=moderated", []),
    ],
)
def test_the_case_list_filters_by_inspector_status_and_case_type(
    client, inspector, lead_inspector, sample, query, expected
):
    query = query.format(inspector=inspector.pk, lead=lead_inspector.pk)
    html = page(client, inspector, f"/inspections/SW-TST-2024/?{query}")
    assert re.findall(r'href="/inspections/SW-TST-2024/cases/(X\d+)/"', html) == expected
    assert f"Showing {len(expected)} of 5 cases" in html
    assert "Clear filters" in html
    if not expected:
        assert "No cases match these filters" in html


def test_a_filter_with_a_value_that_does_not_exist_is_an_error_and_filters_nothing(client, inspector, sample):
    html = page(client, inspector, "/inspections/SW-TST-2024/?status=lost&inspector=99999")
    assert "<title>Error: " in html
    assert 'href="#id_status"' in html and 'href="#id_inspector"' in html
    assert len(re.findall(r'href="/inspections/SW-TST-2024/cases/(X\d+)/"', html)) == 5


def test_the_filters_offer_the_team(client, inspector, lead_inspector, sample):
    html = page(client, inspector, "/inspections/SW-TST-2024/")
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]+)</option>', html)
    inspectors = [label for value, label in options if value.isdigit() or value in ("", "none")][:4]
    assert inspectors == ["All inspectors", str(lead_inspector), str(inspector), "Not assigned"]


def test_the_inspection_page_shows_the_live_ratings(client, inspector, inspection, sample):
    html = page(client, inspector, "/inspections/SW-TST-2024/")
    assert "Worked out now from the case reviews" in html
    assert "Incomplete:" in html
    assert "1.1 Leadership has no rating: the team has not recorded a judgement" in html
    # 2.2's one answered key question decides it: 1 of 1 relevant case, Outstanding.
    assert "2.2.1: 100.0% (1 of 1 relevant case)" in html


def test_a_lead_can_add_cases_but_an_inspector_cannot(client, inspector, lead_inspector, sample):
    assert "Add a case to the sample" in page(client, lead_inspector, "/inspections/SW-TST-2024/")
    assert "Add a case to the sample" not in page(client, inspector, "/inspections/SW-TST-2024/")


def test_a_director_of_the_region_sees_the_published_ratings_but_no_cases(client, inspection, director, sample):
    publish(inspection)
    html = page(client, director, "/inspections/SW-TST-2024/")
    assert "Ratings" in html and "2.2 Assessment" in html
    assert "X00000" not in html
    assert "Cases" not in re.findall(r'<h2 class="govuk-heading-m"[^>]*>([^<]+)</h2>', html)


def test_an_analyst_sees_ratings_only(client, inspection, analyst, sample):
    publish(inspection)
    html = page(client, analyst, "/inspections/SW-TST-2024/")
    assert "2.2 Assessment" in html and "X00000" not in html


@pytest.mark.parametrize(
    "persona", ["other_director", "director", "outside_inspector"], ids=["other region", "unpublished", "not on team"]
)
def test_who_may_not_see_an_inspection_gets_404(client, inspection, persona, request):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/inspections/SW-TST-2024/").status_code == 404


def test_an_other_regions_director_gets_404_even_once_it_is_published(client, inspection, other_director):
    publish(inspection)
    client.force_login(other_director)
    assert client.get("/inspections/SW-TST-2024/").status_code == 404


def test_an_unknown_reference_is_404(client, inspector):
    client.force_login(inspector)
    assert client.get("/inspections/XX-NOPE-2024/").status_code == 404


def test_an_archived_case_is_not_listed(client, inspector, sample):
    sample["unassigned"].archived_at = datetime.datetime(2024, 7, 1, tzinfo=datetime.UTC)
    sample["unassigned"].save()
    html = page(client, inspector, "/inspections/SW-TST-2024/")
    assert "X000005" not in html
    assert "1 of 4 cases submitted or moderated" in html


# Query counts: fixed, whatever the size of the sample.


def add_cases(inspection, inspectors, n, start):
    for i in range(n):
        review = CaseReviewFactory(
            inspection=inspection,
            case_reference=f"Q{start + i:06d}",
            inspector=inspectors[i % len(inspectors)],
            status=[CaseReview.Status.DRAFT, CaseReview.Status.SUBMITTED, CaseReview.Status.MODERATED][i % 3],
        )
        AnswerFactory(case_review=review, question=key_question("2.2.1"), value="yes" if i % 2 else "no")


def count_queries(client, path):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "path",
    ["/", "/inspections/", "/inspections/SW-TST-2024/", "/inspections/SW-TST-2024/?status=in_progress"],
)
def test_pages_cost_the_same_number_of_queries_for_3_cases_as_for_30(
    client, inspection, inspector, lead_inspector, path, django_assert_num_queries
):
    extra = UserFactory(email="third@example.test", role=User.Role.INSPECTOR)
    TeamMemberFactory(inspection=inspection, user=extra, role=TeamMember.Role.INSPECTOR)
    team = [inspector, lead_inspector, extra]
    add_cases(inspection, team, 3, start=0)
    client.force_login(inspector)
    few = count_queries(client, path)

    add_cases(inspection, team, 27, start=100)
    with django_assert_num_queries(few):
        client.get(path)
