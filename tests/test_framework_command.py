"""`manage.py framework`: the frameworks, and one framework's standards, key questions and prompts."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from inspections.models import Question


def run(*args) -> str:
    out = io.StringIO()
    call_command("framework", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_without_a_code_it_lists_every_framework_with_its_maximum_score():
    rows = {row["code"]: row for row in json.loads(run("--format", "json"))}
    assert {code: row["max_score"] for code, row in rows.items()} == {
        "adult-2018": 30,
        "pdu-2021": 27,
        "youth-2018": 36,
    }
    assert rows["pdu-2021"]["standards_loaded"] == 9


@pytest.mark.django_db
def test_a_framework_lists_its_rules_standards_key_questions_and_prompts():
    data = json.loads(run("pdu-2021", "--format", "json"))
    assert data["rules"]["thresholds"] == {"outstanding": 80.0, "good": 65.0, "requires_improvement": 50.0}
    assert [(b["min_score"], b["max_score"], b["label"]) for b in data["rules"]["bands"]] == [
        (0, 4, "Inadequate"),
        (5, 13, "Requires improvement"),
        (14, 22, "Good"),
        (23, 27, "Outstanding"),
    ]
    standards = {s["code"]: s for s in data["standards"]}
    assert list(standards) == ["1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "2.4", "2.5"]
    assessment = {kq["code"]: kq for kq in standards["2.2"]["key_questions"]}
    assert list(assessment) == ["2.2.1", "2.2.2", "2.2.3"]
    prompts = {p["code"]: p for p in assessment["2.2.3"]["prompts"]}
    assert prompts["2.2.3.e"]["allows_not_applicable"] is True
    assert prompts["2.2.3.a"]["allows_not_applicable"] is False
    assert "children's services" in prompts["2.2.3.e"]["text"]
    assert [p["code"] for p in data["case_wide_prompts"]] == ["C.1", "C.2", "C.3"]
    # Every question of the framework appears exactly once.
    listed = [kq["code"] for s in data["standards"] for kq in s["key_questions"]]
    listed += [p["code"] for s in data["standards"] for kq in s["key_questions"] for p in kq["prompts"]]
    listed += [p["code"] for p in data["case_wide_prompts"]]
    assert sorted(listed) == sorted(Question.objects.filter(framework__code="pdu-2021").values_list("code", flat=True))


@pytest.mark.django_db
def test_the_table_marks_where_not_applicable_is_allowed():
    text = run("pdu-2021")
    assert "Score out of 27 (9 standards): 0–4 Inadequate; 5–13 Requires improvement" in text
    assert "2.2.3.e  Was an enquiry made to children's services about safeguarding? [N/A allowed]" in text
    assert "2.2.3.a  Does assessment clearly identify and analyse any risk of harm to others?\n" in text


@pytest.mark.django_db
def test_an_unknown_framework_is_a_clear_error():
    with pytest.raises(CommandError, match="No framework has the code 'pdu-1999'; known frameworks: adult-2018"):
        run("pdu-1999")
