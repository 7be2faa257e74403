"""Double marking: the agreement statistics, the services' rules, the pages and the demo's sample."""

import datetime
import io
import json
from fractions import Fraction

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from casework import double_marking, services
from casework.agreement import Agreement, cohens_kappa, combined, inspection_agreement, percent_agreement
from casework.models import Answer, AnswerEvent, AnswerResolution, CaseReview, SecondAnswer, SecondReview
from casework.review_selectors import applicable_questions
from casework.services import AnswerInput
from inspections.errors import Refused
from inspections.models import Inspection, Question, TeamMember
from ratings.selectors import inspection_ratings

from .factories import CaseReviewFactory, TeamMemberFactory, UserFactory

YES, NO, NA = "yes", "no", "not_applicable"


# --- The statistics, by hand -------------------------------------------------------------------


def test_agreement_and_kappa_of_a_two_by_two_table_computed_by_hand():
    # 50 pairs: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no.
    # Observed agreement po = 35/50 = 0.7. First marker: 25 yes, 25 no; second: 30 yes, 20 no.
    # Chance agreement pe = (25·30 + 25·20) / 50² = 1250/2500 = 0.5. Kappa = (0.7 − 0.5) / (1 − 0.5) = 0.4.
    table = {(YES, YES): 20, (YES, NO): 5, (NO, YES): 10, (NO, NO): 15}
    assert percent_agreement(table) == 70
    assert cohens_kappa(table) == Fraction(2, 5)
    figures = Agreement(confusion=table).as_dict()
    assert figures == {
        "pairs": 50,
        "agree": 35,
        "percent": 70.0,
        "kappa": 0.4,
        "confusion": {"no|no": 15, "no|yes": 10, "yes|no": 5, "yes|yes": 20},
    }


def test_kappa_with_not_applicable_as_a_third_category():
    # 10 pairs, 8 agree: po = 0.8. Both markers: 5 yes, 4 no, 1 n/a, so pe = (25 + 16 + 1)/100 = 0.42.
    # Kappa = (0.8 − 0.42) / 0.58 = 0.38 / 0.58 = 19/29.
    table = {(YES, YES): 4, (NO, NO): 3, (NA, NA): 1, (YES, NO): 1, (NO, YES): 1}
    assert percent_agreement(table) == 80
    assert cohens_kappa(table) == Fraction(19, 29)


def test_edge_cases_all_agree_one_category_only_and_no_pairs():
    # All agree over two categories: po = 1, pe < 1, so kappa is exactly 1.
    assert cohens_kappa({(YES, YES): 3, (NO, NO): 2}) == 1
    assert percent_agreement({(YES, YES): 3, (NO, NO): 2}) == 100
    # One category only: pe = 1 and kappa is 0/0, not defined (None); agreement is still 100 %.
    assert cohens_kappa({(YES, YES): 7}) is None
    assert percent_agreement({(YES, YES): 7}) == 100
    assert Agreement(confusion={(YES, YES): 7}).as_dict()["kappa"] is None
    # Each marker used one category, never the same: no agreement, and none expected: kappa 0.
    assert cohens_kappa({(YES, NO): 4}) == 0 and percent_agreement({(YES, NO): 4}) == 0
    # No pairs: nothing is defined.
    assert cohens_kappa({}) is None and percent_agreement({}) is None
    assert Agreement(confusion={}).as_dict() == {
        "pairs": 0,
        "agree": 0,
        "percent": None,
        "kappa": None,
        "confusion": {},
    }


def test_the_inspection_overall_pools_every_questions_pairs():
    overall = combined(
        [Agreement(confusion={(YES, YES): 2, (YES, NO): 1}), Agreement(confusion={(YES, YES): 1, (NO, NO): 2})]
    )
    assert overall.confusion == {(YES, YES): 3, (YES, NO): 1, (NO, NO): 2}
    assert overall.pairs == 6 and overall.agree == 5


def violated(refused) -> str:
    """The name of the database rule an IntegrityError reports."""
    return refused.value.__cause__.diag.constraint_name


# --- Set-up ------------------------------------------------------------------------------------


@pytest.fixture
def second_inspector(inspection):
    user = UserFactory(email="second@example.test", role=User.Role.INSPECTOR)
    TeamMemberFactory(inspection=inspection, user=user, role=TeamMember.Role.INSPECTOR)
    return user


def questions_of(review):
    return applicable_questions(
        framework_id=review.inspection.framework_id, case_type=review.case_type, court_report=review.court_report
    )


def answer_all(review, value=YES, note=""):
    Answer.objects.bulk_create(
        Answer(case_review=review, question=q, value=value, note=note, updated_by=review.inspector)
        for q in questions_of(review)
    )


def submitted_second_review(review, second, lead, *, differ=()):
    """A submitted second review agreeing with the case's answers except on the codes in `differ`."""
    second_review = double_marking.second_review_assign(review=review, second_inspector=second, by=lead)
    first = {a.question.code: a.value for a in review.answers.select_related("question")}
    answers = {
        code: AnswerInput(value=(NO if value == YES else YES) if code in differ else value)
        for code, value in first.items()
    }
    second_review = double_marking.second_review_save(
        second_review=second_review, by=second, expected_version=1, answers=answers
    )
    return double_marking.second_review_submit(
        second_review=second_review, by=second, expected_version=second_review.version
    )


@pytest.fixture
def review(inspection, inspector):
    review = CaseReviewFactory(inspection=inspection, inspector=inspector, case_reference="X600001")
    answer_all(review, note="FIRST-INSPECTOR-EVIDENCE")
    return review


# --- The services ------------------------------------------------------------------------------


def test_only_the_lead_chooses_cases_and_never_the_cases_own_inspector(
    review, inspector, lead_inspector, second_inspector
):
    with pytest.raises(Refused) as refused:
        double_marking.second_review_assign(review=review, second_inspector=second_inspector, by=inspector)
    assert refused.value.code == "not_lead"
    with pytest.raises(ValidationError, match="choose another inspector"):
        double_marking.second_review_assign(review=review, second_inspector=inspector, by=lead_inspector)
    with pytest.raises(ValidationError, match="team"):
        double_marking.second_review_assign(
            review=review, second_inspector=UserFactory(email="nobody@example.test"), by=lead_inspector
        )
    assert not SecondReview.objects.exists()
    double_marking.second_review_assign(review=review, second_inspector=second_inspector, by=lead_inspector)
    with pytest.raises(Refused) as twice:
        double_marking.second_review_assign(review=review, second_inspector=lead_inspector, by=lead_inspector)
    assert twice.value.code == "wrong_state"


def test_the_database_keeps_one_second_review_per_case_by_another_inspector(
    review, inspector, lead_inspector, second_inspector
):
    with pytest.raises(IntegrityError, match="second_review_other_inspector"), transaction.atomic():
        SecondReview.objects.create(case_review=review, second_inspector=inspector, assigned_by=lead_inspector)
    SecondReview.objects.create(case_review=review, second_inspector=second_inspector, assigned_by=lead_inspector)
    with pytest.raises(IntegrityError, match="second_review_unique_per_case"), transaction.atomic():
        SecondReview.objects.create(case_review=review, second_inspector=lead_inspector, assigned_by=lead_inspector)
    # The case side: the case cannot be handed to its second inspector either.
    with pytest.raises(IntegrityError, match="its second inspector cannot become its inspector"), transaction.atomic():
        CaseReview.objects.filter(pk=review.pk).update(inspector=second_inspector)


def test_a_case_is_not_reassigned_to_its_second_inspector(review, lead_inspector, second_inspector):
    double_marking.second_review_assign(review=review, second_inspector=second_inspector, by=lead_inspector)
    with pytest.raises(ValidationError, match="second inspector"):
        services.case_review_reassign(review=review, to=second_inspector, by=lead_inspector, reason="Leave")
    assert CaseReview.objects.get(pk=review.pk).inspector_id == review.inspector_id


def test_second_answers_obey_the_frameworks_applicability_rule_in_the_database(
    review, lead_inspector, second_inspector
):
    second = SecondReview.objects.create(
        case_review=review, second_inspector=second_inspector, assigned_by=lead_inspector
    )
    court_work = Question.objects.get(framework=review.inspection.framework, code="2.1.1")  # needs a court report
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        SecondAnswer.objects.create(second_review=second, question=court_work, value=YES)
    assert violated(refused) == "answer_applies_to_case"
    no_na = Question.objects.get(framework=review.inspection.framework, code="2.2.1")
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        SecondAnswer.objects.create(second_review=second, question=no_na, value=NA)
    assert violated(refused) == "answer_not_applicable_allowed"
    with pytest.raises(ValidationError, match="not asked"):
        double_marking.second_review_save(
            second_review=second, by=second_inspector, expected_version=1, answers={"2.1.1": AnswerInput(YES)}
        )


def test_only_the_second_inspector_saves_a_stale_save_is_refused_and_submit_needs_every_answer(
    review, inspector, lead_inspector, second_inspector
):
    second = double_marking.second_review_assign(review=review, second_inspector=second_inspector, by=lead_inspector)
    for person in (inspector, lead_inspector):
        with pytest.raises(Refused) as refused:
            double_marking.second_review_save(
                second_review=second, by=person, expected_version=1, answers={"2.2.1": AnswerInput(NO)}
            )
        assert refused.value.code == "not_allowed"
    saved = double_marking.second_review_save(
        second_review=second, by=second_inspector, expected_version=1, answers={"2.2.1": AnswerInput(NO)}
    )
    assert saved.version == 2
    with pytest.raises(Refused) as stale:
        double_marking.second_review_save(
            second_review=second, by=second_inspector, expected_version=1, answers={"2.2.1": AnswerInput(YES)}
        )
    assert stale.value.code == "stale"
    assert SecondAnswer.objects.get(second_review=second).value == NO
    with pytest.raises(ValidationError) as missing:
        double_marking.second_review_submit(second_review=second, by=second_inspector, expected_version=2)
    assert len(missing.value.message_dict) == len(questions_of(review)) - 1
    assert SecondReview.objects.get(pk=second.pk).status == SecondReview.Status.ASSIGNED


def test_resolving_writes_the_final_answer_with_the_reason_in_its_history(
    review, inspector, lead_inspector, second_inspector
):
    submitted_second_review(review, second_inspector, lead_inspector, differ={"2.2.1"})
    question = Question.objects.get(framework=review.inspection.framework, code="2.2.1")
    with pytest.raises(Refused) as refused:
        double_marking.disagreement_resolve(
            review=review, question=question, final_value=NO, reason="Second is right", by=inspector
        )
    assert refused.value.code == "not_lead"
    with pytest.raises(ValidationError):
        double_marking.disagreement_resolve(
            review=review, question=question, final_value=NO, reason=" ", by=lead_inspector
        )
    agreed = Question.objects.get(framework=review.inspection.framework, code="2.2.2")
    with pytest.raises(Refused, match="did not disagree"):
        double_marking.disagreement_resolve(
            review=review, question=agreed, final_value=NO, reason="No", by=lead_inspector
        )

    resolution = double_marking.disagreement_resolve(
        review=review, question=question, final_value=NO, reason="The plan was never reviewed", by=lead_inspector
    )
    answer = Answer.objects.get(case_review=review, question=question)
    assert answer.value == NO and answer.updated_by == lead_inspector
    assert answer.note == "FIRST-INSPECTOR-EVIDENCE"  # the first inspector's evidence is kept
    assert (resolution.first_value, resolution.second_value, resolution.final_value) == (YES, NO, NO)
    event = AnswerEvent.objects.filter(pgh_obj=answer).order_by("-pgh_id").first()
    assert event.value == NO
    assert event.pgh_context.metadata["reason"] == "double marking: The plan was never reviewed"
    assert event.pgh_context.metadata["user"] == lead_inspector.pk
    with pytest.raises(Refused, match="resolved already"):
        double_marking.disagreement_resolve(
            review=review, question=question, final_value=YES, reason="Again", by=lead_inspector
        )
    # The figures stay those of the independent marking: the resolution keeps the first answer.
    assert inspection_agreement(review.inspection).overall.confusion[(YES, NO)] == 1


def test_only_the_cases_own_answers_count_in_the_ratings(review, lead_inspector, second_inspector):
    before = inspection_ratings(review.inspection)
    submitted_second_review(review, second_inspector, lead_inspector, differ={"2.2.1", "2.2.2", "2.2.3"})
    after = inspection_ratings(review.inspection)
    assert after == before
    assert after.standard("2.2").key_questions[0].counts.yes == 1  # the case's own "yes", not the second "no"
    question = Question.objects.get(framework=review.inspection.framework, code="2.2.1")
    double_marking.disagreement_resolve(
        review=review, question=question, final_value=NO, reason="Agreed with the second", by=lead_inspector
    )
    resolved = inspection_ratings(review.inspection).standard("2.2").key_questions[0].counts
    assert (resolved.yes, resolved.no) == (0, 1)


def test_a_published_inspections_second_reviews_are_locked(review, lead_inspector, second_inspector):
    from tests.factories import set_publication

    second = submitted_second_review(review, second_inspector, lead_inspector, differ={"2.2.1"})
    set_publication(review.inspection, status=Inspection.Status.PUBLISHED, published_on=datetime.date(2024, 9, 1))
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        SecondAnswer.objects.filter(second_review=second).update(value=NO)
    assert violated(refused) == "inspection_locked"
    question = Question.objects.get(framework=review.inspection.framework, code="2.2.1")
    with pytest.raises(Refused) as refused:
        double_marking.disagreement_resolve(
            review=review, question=question, final_value=NO, reason="Too late", by=lead_inspector
        )
    assert refused.value.code == "locked"


# --- The pages ---------------------------------------------------------------------------------


def second_review_url(review):
    return reverse(
        "casework:second_review",
        kwargs={"reference": review.inspection.reference, "case_reference": review.case_reference},
    )


def test_the_second_inspector_never_sees_the_first_inspectors_answers(
    client, review, inspector, lead_inspector, second_inspector
):
    double_marking.second_review_assign(review=review, second_inspector=second_inspector, by=lead_inspector)
    client.force_login(second_inspector)
    page = client.get(second_review_url(review))
    assert page.status_code == 200
    html = page.content.decode()
    assert "FIRST-INSPECTOR-EVIDENCE" not in html
    assert " checked" not in html  # every case answer is "yes": none of it is shown pre-selected
    assert 'name="answer-2.2.1"' in html
    # Nobody else opens the second review, the first inspector and the lead included.
    for person in (inspector, lead_inspector):
        client.force_login(person)
        assert client.get(second_review_url(review)).status_code == 404


def test_the_cases_own_pages_stay_closed_to_its_second_inspector_until_they_submit(
    client, review, lead_inspector, second_inspector
):
    double_marking.second_review_assign(review=review, second_inspector=second_inspector, by=lead_inspector)
    case_url = reverse(
        "casework:case_review",
        kwargs={"reference": review.inspection.reference, "case_reference": review.case_reference},
    )
    client.force_login(second_inspector)
    closed = client.get(case_url)
    assert closed.status_code == 403
    assert "FIRST-INSPECTOR-EVIDENCE" not in closed.content.decode()
    submitted_answers = {q.code: AnswerInput(NO) for q in questions_of(review)}
    second = SecondReview.objects.get()
    second = double_marking.second_review_save(
        second_review=second, by=second_inspector, expected_version=1, answers=submitted_answers
    )
    double_marking.second_review_submit(second_review=second, by=second_inspector, expected_version=2)
    assert client.get(case_url).status_code == 200


def test_the_second_inspector_answers_and_submits_on_the_page(client, review, lead_inspector, second_inspector):
    double_marking.second_review_assign(review=review, second_inspector=second_inspector, by=lead_inspector)
    client.force_login(second_inspector)
    data = {"version": 1, "submit": ""}
    data.update({f"answer-{q.code}": NO for q in questions_of(review)})
    data["answer-2.2.1"] = ""
    incomplete = client.post(second_review_url(review), data)
    assert incomplete.status_code == 400
    assert "Answer 2.2.1" in incomplete.content.decode()
    assert SecondAnswer.objects.count() == len(questions_of(review)) - 1  # the rest was saved
    data.update({"answer-2.2.1": NO, "version": 2})
    assert client.post(second_review_url(review), data).status_code == 302
    assert SecondReview.objects.get().status == SecondReview.Status.SUBMITTED
    assert set(SecondAnswer.objects.values_list("value", flat=True)) == {NO}


def test_the_lead_chooses_cases_on_the_inspection(
    client, inspection, review, inspector, lead_inspector, second_inspector
):
    other = CaseReviewFactory(inspection=inspection, inspector=inspector, case_reference="X600002")
    url = reverse("casework:double_marking", kwargs={"reference": inspection.reference})
    client.force_login(lead_inspector)
    assert client.get(url).status_code == 200
    refused = client.post(
        url, {"cases": [review.case_reference, other.case_reference], "second_inspector": inspector.pk}
    )
    assert refused.status_code == 400 and not SecondReview.objects.exists()  # all or nothing
    done = client.post(
        url, {"cases": [review.case_reference, other.case_reference], "second_inspector": second_inspector.pk}
    )
    assert done.status_code == 302
    assert set(SecondReview.objects.values_list("case_review__case_reference", "second_inspector")) == {
        (review.case_reference, second_inspector.pk),
        (other.case_reference, second_inspector.pk),
    }


def test_the_moderation_page_shows_agreement_and_resolves_a_disagreement(
    client, review, inspector, lead_inspector, second_inspector, director
):
    submitted_second_review(review, second_inspector, lead_inspector, differ={"2.2.1"})
    url = reverse("casework:moderation", kwargs={"reference": review.inspection.reference})
    client.force_login(inspector)
    html = client.get(url).content.decode()
    assert "Double marking agreement" in html and "Case X600001: 2.2.1" in html
    assert "Resolve 2.2.1" not in html  # only the lead resolves
    client.force_login(director)
    assert client.get(url).status_code == 404

    client.force_login(lead_inspector)
    resolve = reverse(
        "casework:resolve", kwargs={"reference": review.inspection.reference, "case_reference": review.case_reference}
    )
    missing_reason = client.post(resolve, {"question": "2.2.1", "final_value": NO, "reason": ""})
    assert missing_reason.status_code == 400
    assert "Give a reason for the final answer" in missing_reason.content.decode()
    assert not AnswerResolution.objects.exists()
    assert (
        client.post(resolve, {"question": "2.2.1", "final_value": NO, "reason": "Plan not reviewed"}).status_code == 302
    )
    assert Answer.objects.get(case_review=review, question__code="2.2.1").value == NO
    assert "Plan not reviewed" in client.get(url).content.decode()


def test_the_moderation_pages_queries_do_not_grow_with_cases(
    client, inspection, inspector, lead_inspector, second_inspector
):
    url = reverse("casework:moderation", kwargs={"reference": inspection.reference})
    client.force_login(lead_inspector)

    def add_cases(start, count):
        for n in range(start, start + count):
            review = CaseReviewFactory(inspection=inspection, inspector=inspector, case_reference=f"X7000{n:02d}")
            answer_all(review)
            submitted_second_review(review, second_inspector, lead_inspector, differ={"2.2.1", "2.3.1"})

    add_cases(0, 1)
    client.get(url)
    with CaptureQueriesContext(connection) as one_case:
        assert client.get(url).status_code == 200
    add_cases(1, 4)
    with CaptureQueriesContext(connection) as five_cases:
        page = client.get(url)
    assert page.status_code == 200 and page.content.decode().count("Resolve 2.2.1 for") == 5
    assert len(five_cases) == len(one_case), [q["sql"] for q in five_cases]


def test_the_agreement_command_prints_json_per_question_and_overall(review, lead_inspector, second_inspector):
    submitted_second_review(review, second_inspector, lead_inspector, differ={"2.2.1"})
    out = io.StringIO()
    call_command("agreement", review.inspection.reference, "--format", "json", stdout=out)
    report = json.loads(out.getvalue())
    pairs = len(questions_of(review))
    assert report["cases"] == 1
    assert report["questions"]["2.2.1"] == {
        "pairs": 1,
        "agree": 0,
        "percent": 0.0,
        "kappa": 0.0,
        "confusion": {"yes|no": 1},
    }
    # Every other question: one "yes|yes" pair, one category only, so kappa is not defined.
    assert report["questions"]["2.2.2"] == {
        "pairs": 1,
        "agree": 1,
        "percent": 100.0,
        "kappa": None,
        "confusion": {"yes|yes": 1},
    }
    overall = report["overall"]
    assert overall["pairs"] == pairs and overall["agree"] == pairs - 1
    assert overall["confusion"] == {"yes|no": 1, "yes|yes": pairs - 1}
    assert overall["percent"] == round(100 * (pairs - 1) / pairs, 1)
    table = io.StringIO()
    call_command("agreement", review.inspection.reference, "--format", "table", stdout=table)
    assert "Overall" in table.getvalue() and "yes|no 1" in table.getvalue()


# --- The demo ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_demo_has_a_double_marked_sample_on_each_published_inspection_with_realistic_agreement():
    call_command("load_demo", stdout=io.StringIO())
    for reference in ["SW-SOM-2023", "SW-DOR-2023", "SW-BSG-2023"]:
        inspection = Inspection.objects.get(reference=reference)
        seconds = SecondReview.objects.filter(case_review__inspection=inspection)
        assert seconds.count() == 6
        assert set(seconds.values_list("status", flat=True)) == {SecondReview.Status.SUBMITTED}
        agreement = inspection_agreement(inspection)
        assert agreement.cases == 6
        assert 80 <= agreement.overall.percent <= 90, (reference, float(agreement.overall.percent))
        assert 0.5 < agreement.overall.kappa < 0.9
        # Every disagreement resolved, keeping the first answer: the seed's ratings are untouched.
        disagreements = agreement.overall.pairs - agreement.overall.agree
        resolutions = AnswerResolution.objects.filter(second_review__case_review__inspection=inspection)
        assert resolutions.count() == disagreements > 0
        assert not resolutions.exclude(final_value=F("first_value")).exists()
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "nothing to change" in out.getvalue()
