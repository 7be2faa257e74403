"""The region dashboard and the national view: the engine's numbers, scoping, suppression, CSV and cost.

The figures are checked against the ratings engine and `ratings.findings`, never
against numbers typed here, except the seed letter's own (59 of 109 and so on).
"""

from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from casework.models import CaseReview, CaseReviewEvent
from inspections.models import Inspection, Recommendation
from ratings.findings import findings
from ratings.selectors import inspection_ratings
from ratings.services import ratings_snapshot_take
from trackers.models import Action, RecommendationResponse

from .factories import InspectionFactory, PDUFactory, RegionFactory, UserFactory, set_publication
from .ratings_data import add_cases, judge

SW = "/regions/south-west/"


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=io.StringIO())


def user(email: str) -> User:
    return User.objects.get(email=email)


def signed_in(client, email: str):
    client.force_login(user(email))
    return client


def csv_rows(response) -> list[dict[str, str]]:
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def text_of(response) -> str:
    html = re.sub(r"<svg.*?</svg>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# The numbers ---------------------------------------------------------------------------------


def test_the_directors_dashboard_shows_each_pdus_published_score_and_why(demo, client):
    response = signed_in(client, "director.southwest@demo.test").get(SW)
    assert response.status_code == 200
    text = text_of(response)
    for reference in ("SW-SOM-2023", "SW-DOR-2023", "SW-BSG-2023"):
        inspection = Inspection.objects.get(reference=reference)
        result = inspection_ratings(inspection)
        assert f"{inspection.pdu.name}: {result.score} out of 27, {result.rating.label}." in text
    assert "Dorset: 3 out of 27, Inadequate." in text
    # Why: Dorset's Assessment, its deciding key question and the distance to the next band.
    assert (
        "2.2 Assessment is Inadequate: its lowest key question, 2.2.3, is 34.6% (18 out of 52 relevant cases). "
        "8 more sufficient cases out of 52 would make 2.2 Requires improvement." in text
    )


def test_the_ratings_csv_equals_the_ratings_engine(demo, client):
    rows = csv_rows(signed_in(client, "director.southwest@demo.test").get(SW, {"format": "csv", "table": "ratings"}))
    assert {r["Inspection"] for r in rows} == {"SW-SOM-2023", "SW-DOR-2023", "SW-BSG-2023"}
    for row in rows:
        result = inspection_ratings(Inspection.objects.get(reference=row["Inspection"]))
        assert int(row["Score"]) == result.score
        assert row["Overall rating"] == result.rating.label
        for standard in result.standards:
            assert row[f"{standard.code} {standard.title}"] == standard.rating.label


def test_the_key_question_csv_equals_the_engines_counts(demo, client):
    rows = csv_rows(
        signed_in(client, "director.southwest@demo.test").get(SW, {"format": "csv", "table": "key-questions"})
    )
    assert len(rows) == 3 * 13
    for row in rows:
        standard = inspection_ratings(Inspection.objects.get(reference=row["Inspection"])).standard(row["Standard"])
        kq = next(k for k in standard.key_questions if k.code == row["Key question"])
        assert (int(row["Sufficient"]), int(row["Relevant cases"])) == (kq.counts.yes, kq.counts.relevant)
        assert row["Percentage"] == f"{kq.counts.percent:f}"


@pytest.mark.parametrize(
    ("question", "answer", "count", "relevant"),
    [("2.2.3.e", "no", 59, 109), ("2.2.3.d", "no", 35, 108), ("C.1", "yes", 48, 152), ("2.4.2.a", "yes", 82, 157)],
)
def test_the_findings_are_the_seed_letters_and_the_findings_engines(demo, client, question, answer, count, relevant):
    rows = csv_rows(signed_in(client, "director.southwest@demo.test").get(SW, {"format": "csv", "table": "findings"}))
    region = next(r for r in rows if r["Question"] == question and r["Scope"] == "South West (region)")
    assert (int(region["Cases"]), int(region["Relevant cases"])) == (count, relevant)
    engine = findings(question_code=question, region="south-west")
    assert (getattr(engine, answer), engine.relevant) == (count, relevant)
    for pdu_row in (r for r in rows if r["Question"] == question and r["Scope"] in ("Dorset", "Somerset")):
        finding = findings(question_code=question, inspections=[f"SW-{pdu_row['Scope'][:3].upper()}-2023"])
        assert int(pdu_row["Cases"]) == getattr(finding, answer)


def test_small_groups_are_suppressed_on_the_page_and_as_c_in_the_csv(demo, client):
    client = signed_in(client, "director.southwest@demo.test")
    rows = csv_rows(client.get(SW, {"format": "csv", "table": "disproportionality"}))
    by_group = {(r["Characteristic"], r["Group"]): r for r in rows}
    # The South West's 157 cases: 11 women, 12 Black people on probation, 131 White (demo plan).
    counts = {
        label: CaseReview.objects.filter(inspection__pdu__region__slug="south-west", **{field: value}).count()
        for label, field, value in (("Female", "gender", "female"), ("White", "ethnicity_group", "white"))
    }
    for characteristic, group, field, value in (
        ("Gender", "Female", "gender", "female"),
        ("Ethnicity group", "White", "ethnicity_group", "white"),
        ("Ethnicity group", "Asian or Asian British", "ethnicity_group", "asian"),
        ("Ethnicity group", "Mixed or multiple ethnic groups", "ethnicity_group", "mixed"),
    ):
        cases = CaseReview.objects.filter(
            inspection__reference__in=["SW-SOM-2023", "SW-DOR-2023", "SW-BSG-2023"], **{field: value}
        ).count()
        row = by_group[(characteristic, group)]
        if cases < 10:
            assert row["Region: cases"] == "[c]" and row["Region: key questions sufficient"] == "[c]"
        else:
            assert int(row["Region: cases"]) == cases
    assert counts["White"] >= 10
    assert any(r["Region: cases"] == "[c]" for r in rows)
    assert "fewer than 10" in text_of(client.get(SW))


@override_settings(DASHBOARD_SMALL_NUMBER_THRESHOLD=200)
def test_the_small_number_threshold_is_a_setting(demo, client):
    rows = csv_rows(
        signed_in(client, "director.southwest@demo.test").get(SW, {"format": "csv", "table": "disproportionality"})
    )
    assert rows and all(r["Region: cases"] == "[c]" for r in rows)
    assert "fewer than 200" in text_of(client.get(SW))


def test_disproportionality_percentages_are_the_key_question_answers_of_the_group(demo, client):
    rows = csv_rows(
        signed_in(client, "director.southwest@demo.test").get(SW, {"format": "csv", "table": "disproportionality"})
    )
    white = next(r for r in rows if r["Group"] == "White")
    from casework.models import Answer

    answers = Answer.objects.filter(
        case_review__inspection__pdu__region__slug="south-west",
        case_review__inspection__status="published",
        case_review__ethnicity_group="white",
        question__kind="key_question",
    )
    yes, relevant = answers.filter(value="yes").count(), answers.filter(value__in=["yes", "no"]).count()
    assert white["Region: key questions sufficient"] == f"{round(yes * 100 / relevant, 1)}"


# Who sees what -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        SW,
        SW + "?format=csv&table=findings",
        SW + "?format=csv&table=disproportionality",
        SW + "?date_from=2023-01-01&format=csv&table=ratings",
        SW + "cases/?question=2.2.3.e&answer=no",
        "/national/",
        "/national/?format=csv&table=regions",
        "/national/cases/?question=2.2.3.e&answer=no",
    ],
)
def test_another_regions_director_sees_none_of_it(demo, client, address):
    response = signed_in(client, "director.london@demo.test").get(address)
    assert response.status_code == 404
    assert b"Dorset" not in response.content


def test_a_director_opens_their_own_region_and_sees_counts_without_cases(demo, client):
    client = signed_in(client, "director.southwest@demo.test")
    page = client.get(SW).content.decode()
    assert "/cases/?" not in page
    assert client.get(SW + "cases/?question=2.2.3.e&answer=no").status_code == 404


def test_an_analyst_sees_every_region_and_the_national_view_but_no_cases(demo, client):
    client = signed_in(client, "analyst@demo.test")
    for address in (SW, "/regions/london/", "/national/"):
        response = client.get(address)
        assert response.status_code == 200
        assert "/cases/?" not in response.content.decode()
    assert client.get(SW + "cases/?question=2.2.3.e&answer=no").status_code == 404


def test_an_inspector_follows_a_count_to_the_cases_behind_it(demo, client):
    client = signed_in(client, "inspector@demo.test")
    page = client.get(SW).content.decode()
    link = re.search(r'href="(/regions/south-west/cases/\?[^"]*pdu=dorset[^"]*question=2.2.3.e[^"]*)"', page)
    assert link, "the Dorset children's services count links to its cases"
    response = client.get(link.group(1).replace("&amp;", "&"))
    assert response.status_code == 200
    expected = CaseReview.objects.filter(
        inspection__reference="SW-DOR-2023", answers__question__code="2.2.3.e", answers__value="no"
    )
    text = text_of(response)
    assert f"{expected.count()} cases" in text
    assert all(case.case_reference in text for case in expected)


def test_an_inspector_not_on_the_team_sees_the_count_but_not_the_references(demo, client):
    outsider = UserFactory(email="outsider@test.example", role=User.Role.INSPECTOR)
    client.force_login(outsider)
    response = client.get(SW + "cases/", {"question": "2.2.3.e", "answer": "no", "pdu": "dorset"})
    assert response.status_code == 200
    text = text_of(response)
    hidden = CaseReview.objects.filter(
        inspection__reference="SW-DOR-2023", answers__question__code="2.2.3.e", answers__value="no"
    )
    assert f"{hidden.count()} of these cases are not listed" in text
    assert not any(case.case_reference in text for case in hidden)


def test_a_region_without_published_inspections_is_not_a_dead_end(demo, client):
    response = signed_in(client, "director.london@demo.test").get("/regions/london/")
    assert response.status_code == 200
    text = text_of(response)
    assert "No inspection in London has been published in this view yet." in text
    assert "Lambeth" in text
    assert "National" in text  # the national figures to compare with


def test_a_directors_home_is_their_region_dashboard(demo, client):
    response = signed_in(client, "director.southwest@demo.test").get("/")
    assert response.status_code == 302 and response["Location"] == SW


# Filters and bad input -----------------------------------------------------------------------


def test_the_filters_are_in_the_address_and_narrow_the_view(demo, client):
    client = signed_in(client, "director.southwest@demo.test")
    none = client.get(SW, {"date_from": "2024-01-01"})
    assert "No inspection in South West has been published in this view yet." in text_of(none)
    licence = csv_rows(client.get(SW, {"case_type": "licence", "format": "csv", "table": "findings"}))
    region = next(r for r in licence if r["Question"] == "2.4.2.a" and r["Scope"] == "South West (region)")
    engine = findings(question_code="2.4.2.a", region="south-west", case_type="licence")
    assert int(region["Relevant cases"]) == engine.relevant
    assert "date_from=2024-01-01" in none.content.decode()  # CSV links keep the filters


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date_from": "2023-13-45"}, "Enter the start of the date range as a real date"),
        ({"date_from": "2024-01-01", "date_to": "2023-01-01"}, "must be the same as or after its start"),
        ({"rosh_level": "extreme"}, "Choose a RoSH level from the list"),
        ({"case_type": "<script>"}, "Choose a case type from the list"),
    ],
)
def test_bad_filters_say_what_is_wrong_and_show_no_figures(demo, client, params, message):
    client = signed_in(client, "inspector@demo.test")
    response = client.get(SW, params)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "Dorset: 3 out of 27" not in text_of(response)
    assert client.get(SW, {**params, "format": "csv", "table": "ratings"}).status_code == 400


def test_an_unknown_table_is_a_clear_400(demo, client):
    response = signed_in(client, "inspector@demo.test").get(SW, {"format": "csv", "table": "nope"})
    assert response.status_code == 400
    assert b"Use one of" in response.content


def test_bad_drill_down_parameters_are_a_400_with_the_reason(demo, client):
    client = signed_in(client, "inspector@demo.test")
    response = client.get(SW + "cases/", {"characteristic": "religion", "group": "x"})
    assert response.status_code == 400
    assert "The characteristic must be one of" in response.content.decode()


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(demo, client):
    action = Action.objects.filter(response__recommendation__inspection__reference="SW-DOR-2023").exclude(
        status="complete"
    )[0]
    Action.objects.filter(pk=action.pk).update(description='=HYPERLINK("http://evil")', owner_name="+44 1234")
    rows = csv_rows(
        signed_in(client, "director.southwest@demo.test").get(SW, {"format": "csv", "table": "open-actions"})
    )
    row = next(r for r in rows if r["Description"].startswith("'="))
    assert row["Owner"] == "'+44 1234"


# Cost ----------------------------------------------------------------------------------------


def _published_region(slug: str, pdus: int, cases: int) -> None:
    region = RegionFactory(slug=slug, name=slug.title())
    lead = UserFactory(email=f"admin-{slug}@test.example", role=User.Role.ADMINISTRATOR)
    for n in range(pdus):
        pdu = PDUFactory(slug=f"{slug}-{n}", region=region)
        for year in (2022, 2023):
            inspection = InspectionFactory(
                reference=f"Q{slug[:1].upper()}-P{n:02d}-{year}", pdu=pdu, fieldwork_start=datetime.date(year, 3, 1)
            )
            add_cases(inspection, cases, prefix=f"{n}{year}")
            judge(inspection)
            recommendation = Recommendation.objects.create(
                inspection=inspection, addressee="pdu", text="Improve risk work", order=1
            )
            response = RecommendationResponse.objects.create(recommendation=recommendation, answer="agreed")
            Action.objects.create(
                response=response,
                number=1,
                description="Audit cases",
                owner_name="Head of PDU",
                owner_email="head@test.example",
                due_date=datetime.date(2024, 1, 1),
            )
            set_publication(inspection, status=Inspection.Status.PUBLISHED, published_on=datetime.date(year, 9, 1))
            ratings_snapshot_take(inspection=inspection, kind="published", by=lead)


def _queries(client, address: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(address).status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_the_dashboards_query_count_does_not_grow_with_the_data(client):
    _published_region("small", pdus=1, cases=2)
    staff = UserFactory(email="staff@test.example", role=User.Role.LEAD_INSPECTOR)
    client.force_login(staff)
    small = {a: _queries(client, a) for a in ("/regions/small/", "/national/")}
    _published_region("large", pdus=5, cases=12)
    large = {a: _queries(client, a) for a in ("/regions/large/", "/national/")}
    assert large["/regions/large/"] == small["/regions/small/"]
    assert large["/national/"] == small["/national/"]


@override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}})
def test_cached_figures_follow_a_correction_of_a_published_inspection_at_once(demo, client):
    from casework.models import Answer
    from inspections.locking import inspection_unlock

    client = signed_in(client, "director.southwest@demo.test")

    def children_services_no() -> int:
        rows = csv_rows(client.get(SW, {"format": "csv", "table": "findings"}))
        return int(next(r for r in rows if r["Question"] == "2.2.3.e" and r["Scope"] == "Dorset")["Cases"])

    before = children_services_no()
    assert children_services_no() == before  # from the cache
    inspection = Inspection.objects.get(reference="SW-DOR-2023")
    inspection_unlock(inspection=inspection, by=user("lead@demo.test"), reason="Correcting an answer")
    assert children_services_no() == before  # cached again under the new version
    answer = Answer.objects.filter(case_review__inspection=inspection, question__code="2.2.3.e", value="no").first()
    Answer.objects.filter(pk=answer.pk).update(value="yes")
    assert children_services_no() == before - 1


def test_the_cache_version_ignores_fieldwork_saves_and_moves_with_publication_and_corrections(demo):
    from casework.models import Answer
    from dashboards.cache import data_version
    from inspections.locking import inspection_unlock

    version = data_version()
    in_progress = CaseReview.objects.exclude(inspection__status="published").first()
    assert in_progress is not None, "the demo has fieldwork in progress (SW-CIS-2026)"
    events = CaseReviewEvent.objects.count()
    CaseReview.objects.filter(pk=in_progress.pk).update(tier="A" if in_progress.tier != "A" else "B")
    assert CaseReviewEvent.objects.count() == events + 1  # recorded in the history…
    assert data_version() == version  # …but no published figure can have moved
    inspection = Inspection.objects.get(reference="SW-SOM-2023")
    inspection_unlock(inspection=inspection, by=user("lead@demo.test"), reason="Correcting an answer")
    unlocked = data_version()
    assert unlocked != version
    Answer.objects.filter(pk=Answer.objects.filter(case_review__inspection=inspection, value="no").first().pk).update(
        value="yes"
    )
    assert data_version() != unlocked


# Charts --------------------------------------------------------------------------------------


def test_every_chart_is_in_the_page_itself_with_a_name_and_a_written_summary(demo, client):
    page = signed_in(client, "director.southwest@demo.test").get(SW).content.decode()
    charts = re.findall(r"<svg class=\"app-chart\".*?</svg>", page, flags=re.S)
    assert len(charts) >= 6  # one per PDU's key questions, findings, trends, action plan, disproportionality
    for chart in charts:
        assert 'role="img"' in chart and "<title" in chart and "<desc" in chart
        assert re.search(r"<desc[^>]*>[^<]{20,}</desc>", chart), "a written summary, not an empty description"


def test_the_same_charts_render_in_a_pdf(demo):
    import pypdf
    from weasyprint import HTML

    from dashboards.filters import Filters
    from dashboards.region import RegionDashboard
    from regions.models import Region

    dashboard = RegionDashboard(
        region=Region.objects.get(slug="south-west"),
        filters=Filters(),
        threshold=10,
        drill=None,
        today=datetime.date(2024, 1, 1),
    )
    dorset = next(part for part in dashboard.key_questions.parts if part.title.startswith("Dorset"))
    pdf = HTML(string=f"<html><body>{dorset.charts[0]}</body></html>").write_pdf()
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert "2.2.3 (decides): 34.6% (18/52)" in text
    assert "65%" in text  # the thresholds are labelled in words, not by colour
