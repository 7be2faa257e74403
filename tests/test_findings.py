"""Findings over any scope: relevant cases, yes, no, not applicable and the percentage, in one query."""

import datetime

import pytest
from django.utils import timezone

from casework.models import Answer, CaseReview
from inspections.models import Question
from ratings.findings import UnknownAttribute, UnknownQuestion, findings, findings_by

from .factories import CaseReviewFactory, InspectionFactory, PDUFactory, RegionFactory


def answer(inspection, code, value, **attributes):
    review = CaseReviewFactory(inspection=inspection, **attributes)
    return Answer.objects.create(
        case_review=review, question=Question.objects.get(framework=inspection.framework, code=code), value=value
    )


@pytest.fixture
def scene(region, other_region):
    """Two South West inspections (2023, 2024) and one in London, with children's services enquiries (2.2.3.e)."""
    somerset = InspectionFactory(
        reference="SW-SOM-2023",
        pdu=PDUFactory(slug="somerset", region=region),
        fieldwork_start=datetime.date(2023, 6, 5),
    )
    dorset = InspectionFactory(
        reference="SW-DOR-2024", pdu=PDUFactory(slug="dorset", region=region), fieldwork_start=datetime.date(2024, 6, 3)
    )
    london = InspectionFactory(reference="LN-CAM-2024", pdu=PDUFactory(slug="camden", region=other_region))
    for value, attrs in [
        ("yes", {"rosh_level": "high", "gender": "female", "ethnicity_group": "black"}),
        ("no", {"rosh_level": "high", "gender": "male", "ethnicity_group": "white"}),
        ("no", {"rosh_level": "low", "gender": "male", "ethnicity_group": "white"}),
        ("not_applicable", {"rosh_level": "low", "gender": "male", "ethnicity_group": "asian"}),
    ]:
        answer(somerset, "2.2.3.e", value, **attrs)
    answer(dorset, "2.2.3.e", "yes", case_type="licence", rosh_level="very_high")
    answer(dorset, "2.2.3.e", "no", case_type="licence", rosh_level="medium")
    answer(london, "2.2.3.e", "yes")
    return {"somerset": somerset, "dorset": dorset, "london": london}


def figures(finding):
    return (finding.relevant, finding.yes, finding.no, finding.not_applicable, finding.percent)


@pytest.mark.django_db
def test_a_region_in_one_query(scene, django_assert_num_queries):
    with django_assert_num_queries(1):
        finding = findings(question_code="2.2.3.e", region="south-west")
    assert figures(finding) == (5, 2, 3, 1, pytest.approx(40.0))
    assert finding.as_dict() == {
        "question": "2.2.3.e",
        "relevant": 5,
        "yes": 2,
        "no": 3,
        "not_applicable": 1,
        "percent": 40.0,
    }


@pytest.mark.django_db
def test_scopes_inspections_pdu_and_dates(scene):
    assert figures(findings(question_code="2.2.3.e", inspections=[scene["somerset"]]))[:4] == (3, 1, 2, 1)
    assert figures(findings(question_code="2.2.3.e", inspections=["SW-DOR-2024", "LN-CAM-2024"]))[:4] == (3, 2, 1, 0)
    assert figures(findings(question_code="2.2.3.e", pdu="dorset"))[:4] == (2, 1, 1, 0)
    assert figures(findings(question_code="2.2.3.e", date_from=datetime.date(2024, 1, 1)))[:4] == (3, 2, 1, 0)
    assert figures(findings(question_code="2.2.3.e", date_to=datetime.date(2023, 12, 31)))[:4] == (3, 1, 2, 1)
    assert figures(findings(question_code="2.2.3.e"))[:4] == (6, 3, 3, 1)


@pytest.mark.django_db
def test_case_attribute_filters(scene):
    assert figures(findings(question_code="2.2.3.e", region="south-west", rosh_level="high"))[:4] == (2, 1, 1, 0)
    assert figures(findings(question_code="2.2.3.e", case_type="licence"))[:4] == (2, 1, 1, 0)
    somerset = [scene["somerset"]]
    assert figures(findings(question_code="2.2.3.e", inspections=somerset, gender="male", ethnicity_group="white"))[
        :4
    ] == (2, 0, 2, 0)


@pytest.mark.django_db
def test_archived_case_reviews_are_left_out(scene):
    CaseReview.objects.filter(inspection=scene["london"]).update(archived_at=timezone.now())
    assert findings(question_code="2.2.3.e").relevant == 5


@pytest.mark.django_db
def test_an_empty_scope_gives_zero_relevant_cases_and_no_percentage(scene):
    finding = findings(question_code="2.2.3.e", region=RegionFactory(slug="wales", name="Wales"))
    assert figures(finding) == (0, 0, 0, 0, None)


@pytest.mark.django_db
def test_an_unknown_question_code_is_an_error_not_a_zero(scene):
    with pytest.raises(UnknownQuestion, match=r"'2\.2\.3\.z'"):
        findings(question_code="2.2.3.z")
    with pytest.raises(UnknownAttribute, match="favourite_colour"):
        findings(question_code="2.2.3.e", favourite_colour="blue")


@pytest.mark.django_db
def test_breakdown_by_a_case_attribute_in_one_group_by(scene, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = findings_by(question_code="2.2.3.e", attribute="ethnicity_group", region="south-west")
    assert [(row.value, row.label, row.finding.relevant, row.finding.yes) for row in rows] == [
        ("asian", "Asian or Asian British", 0, 0),
        ("black", "Black or Black British", 1, 1),
        ("white", "White", 4, 1),
    ]


@pytest.mark.django_db
def test_breakdown_by_region(scene):
    rows = findings_by(question_code="2.2.3.e", attribute="region")
    assert [(row.value, row.finding.relevant) for row in rows] == [("london", 1), ("south-west", 5)]
    with pytest.raises(UnknownAttribute):
        findings_by(question_code="2.2.3.e", attribute="name")
