"""`manage.py ratings` and `manage.py findings`: the shapes scripts rely on, and clear errors."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from ratings.services import inspection_publish

from .factories import InspectionFactory, PDUFactory, set_publication
from .ratings_data import add_cases, answers, judge


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def rated(inspection):
    add_cases(
        inspection,
        10,
        answers={"2.1.1": answers(yes=2, no=8), "2.5.1": answers(yes=5, no=1, not_applicable=3, unanswered=1)},
    )
    judge(inspection, "requires_improvement")
    return inspection


@pytest.mark.django_db
def test_ratings_json_has_the_documented_keys_and_values(rated):
    data = json.loads(run("ratings", rated.reference, "--format", "json"))
    assert {"inspection", "framework", "score", "max_score", "rating", "standards"} <= set(data)
    # 4 × RI (1) + 2.1 Inadequate (0) + four Outstanding case-based standards (3 each).
    assert (data["inspection"], data["framework"], data["score"], data["max_score"], data["rating"]) == (
        rated.reference,
        "pdu-2021",
        16,
        27,
        "Good",
    )
    standards = {s["code"]: s for s in data["standards"]}
    assert list(standards) == ["1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "2.4", "2.5"]
    assert {"code", "name", "rating", "points", "source", "key_questions"} <= set(standards["2.1"])
    assert (standards["1.1"]["name"], standards["1.1"]["rating"], standards["1.1"]["points"]) == (
        "Leadership",
        "Requires improvement",
        1,
    )
    assert standards["1.1"]["source"] == "judgement" and standards["2.1"]["source"] == "case_data"
    assert standards["2.1"]["key_questions"] == [
        {
            "code": "2.1.1",
            "yes": 2,
            "no": 8,
            "not_applicable": 0,
            "relevant": 10,
            "percent": 20.0,
            "rating": "Inadequate",
        }
    ]
    reviewing = {kq["code"]: kq for kq in standards["2.5"]["key_questions"]}
    assert (reviewing["2.5.1"]["relevant"], reviewing["2.5.1"]["not_applicable"], reviewing["2.5.1"]["percent"]) == (
        6,
        3,
        83.3,
    )
    assert any("would make 2.1 Requires improvement" in line for line in standards["2.1"]["explanation"])


@pytest.mark.django_db
def test_an_incomplete_inspection_has_a_null_score_and_rating_and_says_what_is_missing(inspection):
    add_cases(inspection, 2)
    data = json.loads(run("ratings", inspection.reference, "--format", "json"))
    assert data["score"] is None and data["rating"] is None
    assert set(data["missing"]) == {"1.1", "1.2", "1.3", "1.4"}
    assert next(s for s in data["standards"] if s["code"] == "1.1")["rating"] is None


@pytest.mark.django_db
def test_ratings_table_shows_the_score_band_and_explanation(rated):
    text = run("ratings", rated.reference)
    assert f"{rated.reference} (pdu-2021, live): 16/27 Good" in text
    assert "2.1 Court work" in text and "Inadequate" in text
    assert "2.1.1: 20.0% (2 out of 10 relevant cases), Inadequate" in text


@pytest.mark.django_db
def test_ratings_of_an_unknown_reference_is_a_clear_error():
    with pytest.raises(CommandError, match="No inspection has the reference 'XX-NOPE-2024'"):
        run("ratings", "XX-NOPE-2024")


@pytest.mark.django_db
def test_findings_json_for_an_inspection_and_a_region(region, rated):
    other = InspectionFactory(reference="LN-OTH-2024", pdu=PDUFactory(slug="elsewhere"))
    add_cases(other, 4, value="no")
    data = json.loads(run("findings", "--question", "2.5.1", "--inspection", rated.reference, "--format", "json"))
    assert {k: data[k] for k in ("question", "relevant", "yes", "no", "not_applicable", "percent")} == {
        "question": "2.5.1",
        "relevant": 6,
        "yes": 5,
        "no": 1,
        "not_applicable": 3,
        "percent": 83.3,
    }
    data = json.loads(run("findings", "--question", "2.1.1", "--region", region.slug))
    assert (data["relevant"], data["yes"], data["no"]) == (10, 2, 8)


@pytest.mark.django_db
def test_findings_breakdown_and_case_filters(rated):
    data = json.loads(run("findings", "--question", "2.1.1", "--by", "case_type", "--where", "rosh_level=high"))
    assert data["relevant"] == 0 and data["breakdown"] == []
    data = json.loads(run("findings", "--question", "2.1.1", "--by", "case_type", "--where", "case_type=community"))
    assert [(row["value"], row["label"], row["relevant"]) for row in data["breakdown"]] == [
        ("community", "Community sentence", 10)
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--question", "9.9.9"], "no key question or prompt '9.9.9'"),
        (["--question", "2.2.1", "--inspection", "XX-NOPE-2024"], "No inspection has the reference 'XX-NOPE-2024'"),
        (["--question", "2.2.1", "--region", "atlantis"], "No region has the slug 'atlantis'"),
        (["--question", "2.2.1", "--where", "rosh_level=huge"], "not a valid choice"),
    ],
)
def test_findings_errors_are_clear(args, message):
    with pytest.raises(CommandError, match=message):
        run("findings", *args)


@pytest.mark.django_db
def test_a_published_inspection_is_printed_from_its_snapshot(rated, lead_inspector):
    set_publication(rated, status="ratings_panel")
    rated.refresh_from_db()
    inspection_publish(inspection=rated, by=lead_inspector)
    data = json.loads(run("ratings", rated.reference, "--format", "json"))
    assert data["source"] == "snapshot" and data["snapshot"]["kind"] == "published"
    assert data["score"] == 16


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("word", "relevant"), [("yes", 0), ("Y", 0), ("true", 0), ("no", 10), ("n", 10), ("FALSE", 10)]
)
def test_findings_yes_no_filters_take_the_same_words_as_every_other_path(rated, word, relevant):
    # The rated sample's ten cases have no domestic abuse concerns.
    data = json.loads(run("findings", "--question", "2.1.1", "--where", f"domestic_abuse={word}"))
    assert data["relevant"] == relevant


@pytest.mark.django_db
@pytest.mark.parametrize("word", ["1", "0", "maybe"])
def test_findings_refuses_what_the_one_yes_no_parser_refuses(word):
    with pytest.raises(CommandError, match="is not yes or no"):
        run("findings", "--question", "2.1.1", "--where", f"domestic_abuse={word}")
