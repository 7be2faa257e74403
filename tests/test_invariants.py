"""Invariants the database itself enforces, whatever the write path."""

import pytest
from django.db import IntegrityError, transaction
from django.db.utils import InternalError

from casework.models import Answer
from inspections.models import Question

from .factories import AnswerFactory, CaseReviewFactory, InspectionFactory, set_publication


def question(code):
    return Question.objects.get(framework__code="pdu-2021", code=code)


@pytest.mark.django_db
def test_a_second_answer_to_the_same_question_is_refused():
    review = CaseReviewFactory()
    AnswerFactory(case_review=review, question=question("2.2.1"))
    with pytest.raises(IntegrityError, match="answer_unique_per_case_question"), transaction.atomic():
        AnswerFactory(case_review=review, question=question("2.2.1"), value="no")
    assert Answer.objects.filter(case_review=review).count() == 1


@pytest.mark.django_db
def test_a_duplicate_case_reference_in_one_inspection_is_refused_but_allowed_in_another():
    review = CaseReviewFactory(case_reference="X100001")
    with pytest.raises(IntegrityError, match="case_review_unique_reference_per_inspection"), transaction.atomic():
        CaseReviewFactory(inspection=review.inspection, case_reference="X100001")
    CaseReviewFactory(inspection=InspectionFactory(), case_reference="X100001")


@pytest.mark.django_db
@pytest.mark.parametrize("write", ["create", "bulk_update", "queryset_update"])
def test_not_applicable_where_the_framework_forbids_it_is_refused_on_every_write_path(write):
    review = CaseReviewFactory()
    key_question = question("2.2.1")
    assert not key_question.allows_not_applicable
    with pytest.raises((IntegrityError, InternalError), match="not applicable"), transaction.atomic():
        if write == "create":
            Answer.objects.create(case_review=review, question=key_question, value="not_applicable")
        else:
            answer = AnswerFactory(case_review=review, question=key_question, value="yes")
            if write == "bulk_update":
                answer.value = "not_applicable"
                Answer.objects.bulk_update([answer], ["value"])
            else:
                Answer.objects.filter(pk=answer.pk).update(value="not_applicable")
    assert Answer.objects.filter(case_review=review, value="not_applicable").count() == 0


@pytest.mark.django_db
def test_not_applicable_is_accepted_where_the_question_is_asked_only_in_relevant_cases():
    answer = AnswerFactory(question=question("2.2.3.e"), value="not_applicable")
    assert answer.pk


@pytest.mark.django_db
def test_a_question_from_another_framework_is_refused():
    from inspections.models import Framework

    other = Framework.objects.get(code="adult-2018")
    foreign = Question.objects.create(framework=other, kind="prompt", code="X.1", text="Foreign", order=1)
    with pytest.raises((IntegrityError, InternalError), match="framework"), transaction.atomic():
        AnswerFactory(question=foreign)


@pytest.mark.django_db
def test_organisational_judgements_of_a_locked_inspection_are_refused_and_changes_are_audited():
    import datetime

    from inspections.models import OrganisationalJudgement

    from .factories import JudgementFactory

    judgement = JudgementFactory(rating="good")
    OrganisationalJudgement.objects.filter(pk=judgement.pk).update(rating="inadequate")
    assert list(judgement.events.order_by("pgh_id").values_list("rating", flat=True)) == ["good", "inadequate"]
    inspection = judgement.inspection
    set_publication(inspection, status="published", published_on=datetime.date(2024, 9, 1))
    with pytest.raises((IntegrityError, InternalError), match="locked"), transaction.atomic():
        OrganisationalJudgement.objects.filter(pk=judgement.pk).update(rating="good")
    assert OrganisationalJudgement.objects.get(pk=judgement.pk).rating == "inadequate"


@pytest.mark.django_db
def test_inspection_status_and_team_changes_are_kept_in_the_history():

    from .factories import TeamMemberFactory

    member = TeamMemberFactory(role="inspector")
    set_publication(member.inspection, status="moderation")
    member.role = "lead_inspector"
    member.save()
    assert list(member.inspection.events.order_by("pgh_id").values_list("status", flat=True)) == [
        "fieldwork",
        "moderation",
    ]
    assert list(member.events.order_by("pgh_id").values_list("role", flat=True)) == ["inspector", "lead_inspector"]


@pytest.mark.django_db
def test_role_changes_are_kept_in_the_history_without_the_password():
    from accounts.models import User

    from .factories import UserFactory

    user = UserFactory(role=User.Role.INSPECTOR)
    User.objects.filter(pk=user.pk).update(role=User.Role.LEAD_INSPECTOR)
    events = list(user.events.order_by("pgh_id").values("role"))
    assert events == [{"role": "inspector"}, {"role": "lead_inspector"}]
    assert "password" not in {f.name for f in user.events.model._meta.fields}
