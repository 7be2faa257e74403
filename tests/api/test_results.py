"""The API's results (api/views_results.py): frameworks, ratings, findings, double marking,
recommendations and actions. The figures are checked against the engines the pages use
(ratings.selectors, ratings.findings, casework.agreement), never against numbers typed here,
except the seed's own (8, 3 and 6 out of 27; 59 of 109).

The world is the demo plus a hidden (fieldwork) and a published London inspection, loaded once
for the module in a transaction rolled back at its end; each test runs in its own savepoint.
"""

from __future__ import annotations

import csv
import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from casework.agreement import inspection_agreement
from inspections.models import Framework, Inspection, Question, Recommendation, Standard
from ratings.findings import findings, findings_by
from ratings.models import RatingOverride
from ratings.selectors import inspection_ratings
from regions.models import Region
from trackers.models import Action

from ..factories import InspectionFactory, PDUFactory, UserFactory, set_publication
from ..ratings_data import add_cases

ANALYST = "analyst@demo.test"
DIRECTOR_SW = "director.southwest@demo.test"
DIRECTOR_LONDON = "director.london@demo.test"
ADMIN = "admin@demo.test"
SW_PUBLISHED = ["SW-BSG-2023", "SW-DOR-2023", "SW-SOM-2023"]
IN_PROGRESS = "SW-CIS-2026"  # the demo's inspection in fieldwork
HIDDEN_LONDON = "LDN-HID-2026"  # fieldwork, with cases and answers
PUBLISHED_LONDON = "LDN-CAM-2024"  # published without a snapshot (rated live), five cases


@pytest.fixture(scope="module")
def results_world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo", stdout=io.StringIO())
        london = Region.objects.get(slug="london")  # the demo's, with its director and no inspection
        hidden = InspectionFactory(
            reference=HIDDEN_LONDON, pdu=PDUFactory(slug="hidden-pdu", name="Hidden PDU", region=london)
        )
        add_cases(hidden, 4, prefix="H")
        published = InspectionFactory(
            reference=PUBLISHED_LONDON,
            pdu=PDUFactory(slug="camden-and-islington", name="Camden and Islington", region=london),
            fieldwork_start=datetime.date(2024, 3, 4),
        )
        add_cases(published, 5, prefix="L")
        set_publication(published, status=Inspection.Status.PUBLISHED, published_on=datetime.date(2024, 9, 2))
        yield
        transaction.set_rollback(True)


@pytest.fixture
def world(results_world, db):
    """The module's world, inside this test's own savepoint."""


def client_for(email: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(email=email))
    return client


def get(email: str, path: str, params: dict | None = None):
    return client_for(email).get(f"/api/v1/{path}", params or {})


def data(email: str, path: str, params: dict | None = None):
    response = get(email, path, params)
    assert response.status_code == 200, response.content
    return json.loads(response.content)


def every_row(email: str, path: str, params: dict | None = None) -> list[dict]:
    """A list's rows, following the cursor pages."""
    client, rows, url, query = client_for(email), [], f"/api/v1/{path}", {**(params or {}), "page_size": 2}
    while url:
        body = json.loads(client.get(url, query).content)
        if isinstance(body, list):
            return body
        rows += body["results"]
        url, query = body["next"], {}
    return rows


def csv_rows(email: str, path: str, params: dict | None = None) -> list[dict[str, str]]:
    response = get(email, path, {**(params or {}), "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(content.decode())))


def as_csv(value) -> str:
    """A JSON value as the CSV writes it (times as instants: the CSV writes them in local time)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return instant(str(value))


def instant(text: str) -> str:
    """An ISO 8601 time as its UTC instant, so that 10:00+01:00 and 09:00Z compare equal; other text as it is."""
    if len(text) >= 20 and text[4] == "-" and text[10] == "T":
        try:
            return datetime.datetime.fromisoformat(text).astimezone(datetime.UTC).isoformat()
        except ValueError:
            return text
    return text


def queries(email: str, path: str, params: dict | None = None) -> int:
    client = client_for(email)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/api/v1/{path}", params or {})
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(captured)


def references(rows: list[dict]) -> set[str]:
    return {row["inspection"] for row in rows}


# Frameworks ----------------------------------------------------------------------------------


def test_a_framework_has_its_rules_standards_key_questions_and_prompts(world):
    body = data(ANALYST, "frameworks/pdu-2021/")
    framework = Framework.objects.get(code="pdu-2021")
    rules = body["rules"]
    assert rules["thresholds"] == {"outstanding": "80.00", "good": "65.00", "requires_improvement": "50.00"}
    assert rules["points"] == {"outstanding": 3, "good": 2, "requires_improvement": 1, "inadequate": 0}
    assert rules["standard_count"] == framework.standard_count == 9
    assert rules["max_score"] == 27
    assert rules["bands"] == list(framework.bands.order_by("min_score").values("rating", "min_score", "max_score"))
    assert [s["code"] for s in body["standards"]] == list(
        Standard.objects.filter(framework=framework).order_by("order").values_list("code", flat=True)
    )
    assessment = next(s for s in body["standards"] if s["code"] == "2.2")
    kq = next(k for k in assessment["key_questions"] if k["code"] == "2.2.3")
    prompt = next(p for p in kq["prompts"] if p["code"] == "2.2.3.e")
    question = Question.objects.get(framework=framework, code="2.2.3.e")
    assert prompt["text"] == question.text
    assert prompt["allows_not_applicable"] == question.allows_not_applicable
    assert next(s for s in body["standards"] if s["code"] == "1.1")["key_questions"] == []


def test_the_frameworks_list_costs_the_same_few_queries_whatever_the_frameworks(world):
    # Six for the frameworks, bands, standards, key questions, prompts and case-wide prompts; the
    # rest are the session's.
    assert queries(ANALYST, "frameworks/") <= 12
    assert get(ANALYST, "frameworks/no-such-framework/").status_code == 404


def test_the_frameworks_csv_is_the_json_questions(world):
    body = data(ANALYST, "frameworks/")
    lines = csv_rows(ANALYST, "frameworks/")
    expected = []
    for framework in body:
        for standard in framework["standards"]:
            for kq in standard["key_questions"]:
                expected.append((framework["code"], standard["code"], kq["code"], "key_question"))
                expected += [(framework["code"], standard["code"], p["code"], "prompt") for p in kq["prompts"]]
        expected += [(framework["code"], "", q["code"], "prompt") for q in framework["case_wide_prompts"]]
    assert [(r["framework"], r["standard"], r["code"], r["kind"]) for r in lines if r["code"]] == expected


# Ratings -------------------------------------------------------------------------------------


def test_ratings_equal_the_engine_and_the_seed(world):
    rows = {row["inspection"]: row for row in every_row(ANALYST, "ratings/")}
    for reference, score in (("SW-SOM-2023", 8), ("SW-DOR-2023", 3), ("SW-BSG-2023", 6)):
        row = rows[reference]
        result = inspection_ratings(Inspection.objects.get(reference=reference))
        assert (row["score"], row["max_score"]) == (result.score, result.max_score) == (score, 27)
        assert row["rating"] == result.rating
        assert row["is_live"] is False and row["snapshot_taken_at"]
        for standard, engine in zip(row["standards"], result.standards, strict=True):
            assert (standard["code"], standard["rating"], standard["points"], standard["source"]) == (
                engine.code,
                engine.rating,
                engine.points,
                engine.source,
            )
            assert standard["deciding_key_question"] == engine.deciding_key_question
            assert [
                (k["code"], k["yes"], k["no"], k["not_applicable"], k["relevant"]) for k in standard["key_questions"]
            ] == [
                (k.code, k.counts.yes, k.counts.no, k.counts.not_applicable, k.counts.relevant)
                for k in engine.key_questions
            ]
    assert data(ANALYST, "ratings/SW-DOR-2023/") == rows["SW-DOR-2023"]


def test_ratings_are_scoped_like_the_pages(world):
    analyst = references(every_row(ANALYST, "ratings/"))
    assert set(SW_PUBLISHED) | {PUBLISHED_LONDON} == analyst
    assert IN_PROGRESS not in analyst and HIDDEN_LONDON not in analyst
    assert get(ANALYST, f"ratings/{IN_PROGRESS}/").status_code == 404
    assert references(every_row(DIRECTOR_LONDON, "ratings/")) == {PUBLISHED_LONDON}
    assert get(DIRECTOR_LONDON, "ratings/SW-SOM-2023/").status_code == 404
    assert references(every_row(DIRECTOR_SW, "ratings/", {"pdu": "dorset"})) == {"SW-DOR-2023"}
    # Administrators see work in progress, computed live; incomplete ratings have no score.
    hidden = data(ADMIN, f"ratings/{HIDDEN_LONDON}/")
    assert hidden["is_live"] is True and hidden["snapshot_taken_at"] is None
    assert hidden["score"] is None and hidden["rating"] is None


def test_an_override_shows_its_ratings_and_reason_but_not_who_decided(world):
    inspection = Inspection.objects.get(reference=HIDDEN_LONDON)
    panellist = UserFactory(email="panel@example.test", first_name="Zebedee", last_name="Quartermain")
    RatingOverride.objects.create(
        inspection=inspection,
        standard=Standard.objects.get(framework=inspection.framework, code="2.2"),
        from_rating="outstanding",
        to_rating="good",
        reason="The panel weighed the interviews.",
        decided_by=panellist,
    )
    response = get(ADMIN, f"ratings/{HIDDEN_LONDON}/")
    standard = next(s for s in json.loads(response.content)["standards"] if s["code"] == "2.2")
    assert standard["override"] == {
        "from_rating": "outstanding",
        "to_rating": "good",
        "reason": "The panel weighed the interviews.",
    }
    assert standard["source"] == "override" and standard["rating"] == "good"
    assert b"Quartermain" not in response.content and b"panel@example.test" not in response.content


def test_the_ratings_csv_equals_the_json(world):
    rows = every_row(ADMIN, "ratings/")
    expected = []
    for row in rows:
        for s in row["standards"]:
            o = s["override"] or {}
            for kq in s["key_questions"] or [None]:
                expected.append(
                    [as_csv(row[c]) for c in ("inspection", "score", "rating", "is_live", "snapshot_taken_at")]
                    + [as_csv(s[c]) for c in ("code", "rating", "points", "source")]
                    + [as_csv(o.get("to_rating"))]
                    + [as_csv(kq and kq[c]) for c in ("code", "yes", "no", "relevant", "percent")]
                )
    lines = csv_rows(ADMIN, "ratings/")
    assert [
        [instant(r[c]) for c in ("inspection", "score", "rating", "is_live", "snapshot_taken_at")]
        + [r[f"standard_{c}"] for c in ("code", "rating", "points", "source")]
        + [r["override_to_rating"]]
        + [r[f"key_question_{c}"] for c in ("code", "yes", "no", "relevant", "percent")]
        for r in lines
    ] == expected


def test_ratings_cost_the_same_queries_for_more_inspections(world):
    # Both pages hold snapshots and live ratings (each kind has its own few queries).
    first = data(ADMIN, "ratings/", {"page_size": 4})["results"]
    assert {row["is_live"] for row in first} == {True, False}
    assert len(every_row(ADMIN, "ratings/")) > 4
    assert queries(ADMIN, "ratings/", {"page_size": 4}) == queries(ADMIN, "ratings/", {"page_size": 100})


# Findings ------------------------------------------------------------------------------------


def visible_published(region: str | None = None):
    inspections = Inspection.objects.filter(status=Inspection.Status.PUBLISHED)
    return list(inspections.filter(pdu__region__slug=region) if region else inspections)


def test_the_seed_finding_59_of_109_in_the_south_west(world):
    [row] = data(ANALYST, "findings/", {"question": "2.2.3.e", "region": "south-west"})
    engine = findings(question_code="2.2.3.e", inspections=visible_published("south-west"))
    assert (row["relevant"], row["no"]) == (engine.relevant, engine.no) == (109, 59)
    assert row["yes"] == engine.yes and row["percent"] == float(engine.percent)
    assert row["suppressed"] is False and row["by"] is None


def test_findings_by_an_attribute_equal_the_engine(world):
    for by in ("pdu", "gender", "inspection"):
        rows = data(ANALYST, "findings/", {"question": "2.2.3.e", "region": "south-west", "by": by})
        engine = findings_by(question_code="2.2.3.e", attribute=by, inspections=visible_published("south-west"))
        assert [(r["group"], r["relevant"], r["no"]) for r in rows if not r["suppressed"]] == [
            (str(e.value), e.finding.relevant, e.finding.no) for e in engine if e.finding.relevant >= 10
        ]


def test_findings_take_inspections_repeated_or_comma_separated_and_case_attributes(world):
    two = ["SW-SOM-2023", "SW-DOR-2023"]
    engine = findings(question_code="2.2.3.e", inspections=two, gender="male")
    comma = data(ANALYST, "findings/", {"question": "2.2.3.e", "inspection": ",".join(two), "gender": "male"})
    repeated = client_for(ANALYST).get(
        "/api/v1/findings/", {"question": "2.2.3.e", "inspection": two, "gender": "male"}
    )
    assert comma == json.loads(repeated.content)
    assert (comma[0]["relevant"], comma[0]["no"]) == (engine.relevant, engine.no)


def test_findings_never_count_unpublished_cases_or_another_region(world):
    # 2.2.1 is answered in the hidden London inspection, so counting it would show.
    everything = findings(question_code="2.2.1")
    published = findings(question_code="2.2.1", inspections=visible_published())
    assert everything.relevant > published.relevant
    [row] = data(ANALYST, "findings/", {"question": "2.2.1"})
    assert row["relevant"] == published.relevant
    # Naming the hidden inspection adds nothing: it is outside the scope before any filter.
    [hidden] = data(ANALYST, "findings/", {"question": "2.2.1", "inspection": HIDDEN_LONDON})
    assert hidden["suppressed"] is True and hidden["relevant"] is None
    london = data(DIRECTOR_LONDON, "findings/", {"question": "2.2.1", "by": "inspection"})
    assert {r["group"] for r in london} == {PUBLISHED_LONDON}
    assert {r["group"] for r in data(DIRECTOR_LONDON, "findings/", {"question": "2.2.1", "by": "region"})} == {"london"}
    [south_west] = data(DIRECTOR_LONDON, "findings/", {"question": "2.2.3.e", "region": "south-west"})
    assert south_west["suppressed"] is True
    analyst_regions = {r["group"] for r in data(ANALYST, "findings/", {"question": "2.2.1", "by": "inspection"})}
    assert IN_PROGRESS not in analyst_regions and HIDDEN_LONDON not in analyst_regions


def test_small_numbers_are_suppressed_in_json_and_csv(world):
    # The published London inspection has five cases: fewer than the threshold of ten.
    params = {"question": "2.2.1", "inspection": PUBLISHED_LONDON}
    [row] = data(ANALYST, "findings/", params)
    assert row["suppressed"] is True
    assert [row[c] for c in ("relevant", "yes", "no", "not_applicable", "percent")] == [None] * 5
    [line] = csv_rows(ANALYST, "findings/", params)
    assert [line[c] for c in ("relevant", "yes", "no", "not_applicable", "percent")] == ["[c]"] * 5
    assert line["suppressed"] == "true"
    with override_settings(DASHBOARD_SMALL_NUMBER_THRESHOLD=20):
        rows = data(ANALYST, "findings/", {"question": "2.2.3.e", "region": "south-west", "by": "gender"})
    by_group = {r["group"]: r for r in rows}
    assert by_group["female"]["suppressed"] is True and by_group["female"]["no"] is None  # 18 relevant
    assert by_group["male"]["suppressed"] is False and by_group["male"]["relevant"] >= 20


def test_the_findings_csv_equals_the_json(world):
    params = {"question": "2.2.3.e", "by": "pdu"}
    rows = data(ANALYST, "findings/", params)
    assert [[as_csv(v) for v in row.values()] for row in rows] == [
        list(line.values()) for line in csv_rows(ANALYST, "findings/", params)
    ]


@pytest.mark.parametrize(
    ("params", "parameter", "words"),
    [
        ({}, "question", "required"),
        ({"question": "9.9.9"}, "question", "9.9.9"),
        ({"question": "2.2.3.e", "framework": "youth-2018"}, "question", "youth-2018"),
        ({"question": "2.2.3.e", "by": "shoe_size"}, "by", "ethnicity_group"),
        ({"question": "2.2.3.e", "gender": "unknown-value"}, "gender", "unknown-value"),
    ],
)
def test_bad_findings_requests_are_400s_naming_the_parameter(world, params, parameter, words):
    response = get(ANALYST, "findings/", params)
    assert response.status_code == 400
    body = json.loads(response.content)
    assert set(body) == {"status", "code", "message", "errors"} and body["status"] == 400
    assert list(body["errors"]) == [parameter]
    assert words in body["message"]


def test_findings_cost_a_few_queries_whatever_the_breakdown(world):
    assert queries(ANALYST, "findings/", {"question": "2.2.3.e", "by": "inspection"}) == queries(
        ANALYST, "findings/", {"question": "2.2.3.e", "by": "pdu", "region": "south-west"}
    )


# Double marking ------------------------------------------------------------------------------


def test_double_marking_equals_the_agreement_engine(world):
    rows = {row["inspection"]: row for row in every_row(ANALYST, "double-marking/")}
    assert set(rows) == set(SW_PUBLISHED)  # the inspections with second reviews
    for reference in SW_PUBLISHED:
        agreement = inspection_agreement(Inspection.objects.get(reference=reference))
        row = rows[reference]
        assert row["cases"] == agreement.cases
        assert row["overall"] == agreement.overall.as_dict()
        assert [q["code"] for q in row["questions"]] == [q.code for q in agreement.questions]
        assert [{k: q[k] for k in ("pairs", "agree", "percent", "kappa")} for q in row["questions"]] == [
            {k: q.as_dict()[k] for k in ("pairs", "agree", "percent", "kappa")} for q in agreement.questions
        ]
    assert data(ANALYST, "double-marking/SW-SOM-2023/") == rows["SW-SOM-2023"]
    assert get(DIRECTOR_LONDON, "double-marking/SW-SOM-2023/").status_code == 404
    assert every_row(DIRECTOR_LONDON, "double-marking/") == []


def test_the_double_marking_csv_equals_the_json(world):
    rows = every_row(ANALYST, "double-marking/")
    expected = []
    for row in rows:
        for q in [*row["questions"], {**row["overall"], "code": "overall"}]:
            expected.append(
                [row["inspection"], q["code"], *(as_csv(q[c]) for c in ("pairs", "agree", "percent", "kappa"))]
            )
    lines = csv_rows(ANALYST, "double-marking/")
    assert [
        [r["inspection"], r["question"], r["pairs"], r["agree"], r["percent"], r["kappa"]] for r in lines
    ] == expected


def test_double_marking_costs_the_same_queries_for_more_inspections(world):
    assert queries(ANALYST, "double-marking/", {"page_size": 1}) == queries(ANALYST, "double-marking/")


# Recommendations and actions -----------------------------------------------------------------


def test_recommendations_carry_the_regions_response_and_actions_without_owner_emails(world):
    rows = every_row(ANALYST, "recommendations/")
    published = Recommendation.objects.filter(inspection__status=Inspection.Status.PUBLISHED)
    assert len(rows) == published.count() > 0
    today = timezone.localdate()
    for row in rows:
        recommendation = published.get(inspection__reference=row["inspection"], order=row["order"])
        assert row["text"] == recommendation.text
        actions = list(Action.objects.filter(response__recommendation=recommendation).order_by("number"))
        assert [(a["number"], a["status"], a["overdue"]) for a in row["actions"]] == [
            (a.number, a.status, a.is_overdue(today)) for a in actions
        ]
        assert row["overdue_actions"] == sum(a.is_overdue(today) for a in actions)
    response = get(ANALYST, "recommendations/", {"page_size": 500})
    assert all(email.encode() not in response.content for email in Action.objects.values_list("owner_email", flat=True))
    assert b"owner_email" not in response.content


def test_recommendations_and_actions_filter_and_scope(world):
    overdue = every_row(ANALYST, "recommendations/", {"overdue": "true"})
    assert overdue and all(r["overdue_actions"] > 0 for r in overdue)
    assert every_row(DIRECTOR_LONDON, "recommendations/", {"region": "south-west"}) == []
    assert references(every_row(ANALYST, "recommendations/", {"pdu": "dorset"})) == {"SW-DOR-2023"}
    actions = every_row(ANALYST, "actions/", {"overdue": "true"})
    today = timezone.localdate()
    assert actions and all(a["overdue"] for a in actions)
    assert len(actions) == sum(a.is_overdue(today) for a in Action.objects.all())
    complete = every_row(ANALYST, "actions/", {"status": "complete", "inspection": "SW-SOM-2023"})
    assert complete and {(a["status"], a["inspection"]) for a in complete} == {("complete", "SW-SOM-2023")}
    latest = max(a.updated_at for a in Action.objects.all())
    assert len(every_row(ANALYST, "actions/", {"updated_since": latest.isoformat()})) >= 1
    assert every_row(ANALYST, "actions/", {"updated_since": "2999-01-01T00:00:00Z"}) == []
    assert every_row(DIRECTOR_LONDON, "actions/") == []


def test_the_recommendations_and_actions_csv_equal_the_json(world):
    for path in ("recommendations/", "actions/"):
        rows = every_row(ANALYST, path)
        lines = csv_rows(ANALYST, path)
        assert [{c: as_csv(v) for c, v in row.items() if c != "actions"} for row in rows] == [
            {c: instant(v) for c, v in line.items()} for line in lines
        ]


def test_recommendations_and_actions_cost_the_same_queries_for_more_rows(world):
    for path in ("recommendations/", "actions/"):
        assert queries(ANALYST, path, {"page_size": 1}) == queries(ANALYST, path, {"page_size": 500})


def test_a_nul_in_any_repeated_inspection_is_not_sent_to_the_database(world):
    # Refused before the view (400), or left out of the scope by it (200): never a server error.
    response = client_for(ANALYST).get(
        "/api/v1/findings/", {"question": "2.2.3.e", "inspection": ["A\x00B", "SW-SOM-2023"]}
    )
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        [row] = json.loads(response.content)
        assert row["relevant"] == findings(question_code="2.2.3.e", inspections=["SW-SOM-2023"]).relevant
