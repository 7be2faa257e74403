"""The admin: every model renders, published records are read-only, and the database's rules show as form errors."""

import datetime

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from casework.models import Answer, AnswerEvent, CaseReview, QAComment
from inspections.models import (
    Framework,
    Inspection,
    LockEvent,
    OrganisationalJudgement,
    Question,
    Recommendation,
    RegionalFinding,
    RegionalReview,
    TeamMember,
)

from .factories import (
    AnswerFactory,
    CaseReviewFactory,
    InspectionFactory,
    JudgementFactory,
    PDUFactory,
    TeamMemberFactory,
    set_publication,
)

pytestmark = pytest.mark.django_db


def question(code: str) -> Question:
    return Question.objects.get(framework__code="pdu-2021", code=code)


def publish(inspection: Inspection) -> Inspection:
    # A queryset update, as the publishing workflow's own service is not what is under test here.
    set_publication(inspection, status=Inspection.Status.PUBLISHED, published_on=datetime.date(2024, 9, 1))
    inspection.refresh_from_db()
    return inspection


def admin_url(obj, view: str = "change") -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[obj.pk])


@pytest.fixture
def staff(client, administrator):
    client.force_login(administrator)
    return client


@pytest.fixture
def records(inspection, inspector, lead_inspector, director, administrator):
    """One of everything, in an inspection still in fieldwork and in a published one."""
    review = CaseReviewFactory(inspection=inspection, inspector=inspector, case_reference="X100001")
    answer = AnswerFactory(case_review=review, question=question("2.2.1"), value="yes")
    published = InspectionFactory(reference="SW-PUB-2024", pdu=PDUFactory(slug="pub", region=inspection.pdu.region))
    TeamMemberFactory(inspection=published, user=lead_inspector, role=TeamMember.Role.LEAD_INSPECTOR)
    published_review = CaseReviewFactory(inspection=published, inspector=inspector, case_reference="X200001")
    published_answer = AnswerFactory(case_review=published_review, question=question("2.2.1"), value="no")
    published_judgement = JudgementFactory(inspection=published)
    published_recommendation = Recommendation.objects.create(
        inspection=published, addressee="pdu", text="Improve management oversight.", order=1
    )
    comment = QAComment.objects.create(
        case_review=published_review, question=question("2.2.1"), text="Check the evidence.", author=lead_inspector
    )
    publish(published)
    review_round = RegionalReview.objects.create(
        region=inspection.pdu.region, slug="south-west-2024", letter_date=datetime.date(2024, 10, 1), addressee="RPD"
    )
    review_round.inspections.add(published)
    RegionalFinding.objects.create(review=review_round, heading="staff", kind="strength", text="Good.", order=1)
    LockEvent.objects.create(inspection=published, action="unlocked", reason="Typo in 2.3", by=lead_inspector)
    set_publication(published, unlocked_at=None)
    return {
        "review": review,
        "answer": answer,
        "published": published,
        "published_review": published_review,
        "published_answer": published_answer,
        "published_judgement": published_judgement,
        "published_recommendation": published_recommendation,
        "comment": comment,
    }


# The models this project's admin modules register; other apps' admins are checked too when they have rows.
PROJECT_MODELS = {
    "auth.Group",
    "regions.Region",
    "regions.PDU",
    "accounts.User",
    "inspections.Framework",
    "inspections.OverallBand",
    "inspections.Standard",
    "inspections.Question",
    "inspections.Inspection",
    "inspections.LockEvent",
    "inspections.TeamMember",
    "inspections.OrganisationalJudgement",
    "inspections.Recommendation",
    "inspections.RegionalReview",
    "inspections.RegionalFinding",
    "casework.CaseReview",
    "casework.Answer",
    "casework.QAComment",
    "casework.CaseReviewEvent",
    "casework.AnswerEvent",
    "casework.QACommentEvent",
}


def test_every_registered_model_lists_adds_and_shows_a_record_for_the_administrator(staff, records):
    Group.objects.create(name="Reviewers")
    shown = set()
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        response = staff.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        assert response.status_code == 200, opts.label
        if model_admin.has_add_permission(response.wsgi_request):
            response = staff.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
            assert response.status_code == 200, opts.label
        # pghistory's cross-model Events view has no primary key of its own to open.
        obj = model._default_manager.first() if opts.pk.get_internal_type() in {"AutoField", "BigAutoField"} else None
        if obj is not None:
            assert staff.get(admin_url(obj)).status_code == 200, opts.label
            shown.add(opts.label)
    assert shown >= PROJECT_MODELS


def test_changelists_search_by_case_and_inspection_reference(staff, records):
    response = staff.get(reverse("admin:casework_casereview_changelist"), {"q": "X200001"})
    assert list(response.context["cl"].result_list) == [records["published_review"]]
    response = staff.get(reverse("admin:casework_answer_changelist"), {"q": "SW-TST-2024"})
    assert list(response.context["cl"].result_list) == [records["answer"]]


def test_the_case_review_page_costs_the_same_queries_however_many_answers_it_has(staff, inspection, inspector):
    small = CaseReviewFactory(inspection=inspection, inspector=inspector)
    large = CaseReviewFactory(inspection=inspection, inspector=inspector)
    codes = list(
        Question.objects.filter(
            framework__code="pdu-2021",
            allows_not_applicable=False,
            standard__rated_by="case_data",
            requires_court_report=False,
            case_types=[],
        ).values_list("code")
    )
    for (code,) in codes[:3]:
        AnswerFactory(case_review=small, question=question(code))
    for (code,) in codes[:40]:
        AnswerFactory(case_review=large, question=question(code))
    staff.get(admin_url(small))  # warm the per-process caches (content types, site), whatever ran before
    counts = []
    for review in (small, large):
        with CaptureQueriesContext(connection) as queries:
            assert staff.get(admin_url(review)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_audit_lists_cost_the_same_queries_however_many_events_they_show(staff, inspection, inspector):
    review = CaseReviewFactory(inspection=inspection, inspector=inspector)
    codes = Question.objects.filter(
        framework__code="pdu-2021",
        allows_not_applicable=False,
        standard__rated_by="case_data",
        requires_court_report=False,
        case_types=[],
    ).values_list("code")
    answers = [AnswerFactory(case_review=review, question=question(code)) for (code,) in codes[:30]]
    counts = []
    for shown in (3, 30):
        Answer.objects.filter(pk__in=[a.pk for a in answers[:shown]]).update(value="no")
        with CaptureQueriesContext(connection) as queries:
            response = staff.get(reverse("admin:casework_answerevent_changelist"))
        assert response.status_code == 200
        counts.append(len(queries))
    assert AnswerEvent.objects.count() == 60  # 30 answers written, then 30 changed
    assert counts[0] == counts[1]


@pytest.mark.parametrize(
    "key",
    ["published_review", "published_answer", "published_judgement", "published_recommendation", "comment"],
)
def test_records_of_a_published_inspection_can_be_viewed_but_not_changed_or_deleted(staff, records, key):
    obj = records[key]
    before = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}
    page = staff.get(admin_url(obj))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert staff.post(admin_url(obj), {}).status_code == 403
    assert staff.post(admin_url(obj, "delete"), {"post": "yes"}).status_code == 403
    obj.refresh_from_db()
    assert {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields} == before


def test_a_published_inspection_is_read_only_with_its_team_judgements_and_recommendations(staff, records):
    published = records["published"]
    page = staff.get(admin_url(published))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    for formset in page.context["inline_admin_formsets"]:
        assert not formset.has_add_permission
        assert not formset.has_change_permission
        assert not formset.has_delete_permission
    response = staff.post(admin_url(published), {"status": "fieldwork", "fieldwork_start": "2024-06-03"})
    assert response.status_code == 403
    published.refresh_from_db()
    assert published.status == Inspection.Status.PUBLISHED
    assert staff.post(admin_url(published, "delete"), {"post": "yes"}).status_code == 403
    assert Inspection.objects.filter(pk=published.pk).exists()
    member = published.members.get()
    assert staff.post(admin_url(member, "delete"), {"post": "yes"}).status_code == 403
    assert TeamMember.objects.filter(pk=member.pk).exists()


def test_the_admin_cannot_move_an_inspections_stage_which_needs_the_workflow(staff, inspection):
    """Stages and publication go through the lead's pages (the services); the admin shows them only."""
    data = {"reference": inspection.reference, "pdu": inspection.pdu_id, "framework": inspection.framework_id}
    data |= {"fieldwork_start": "2024-06-03"}
    for prefix in ["members", "judgements", "recommendations"]:
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    for status in ["published", "moderation"]:
        assert staff.post(admin_url(inspection), data | {"status": status}).status_code == 302
        inspection.refresh_from_db()
        assert (inspection.status, inspection.published_on) == (Inspection.Status.FIELDWORK, None)
    assert "status" not in staff.get(admin_url(inspection)).context["adminform"].form.fields


def test_nothing_can_be_added_to_a_published_inspection_from_the_admin(staff, records, inspector):
    published = records["published"]
    response = staff.post(
        reverse("admin:casework_casereview_add"),
        {
            "inspection": published.pk,
            "case_reference": "X200099",
            "case_type": "community",
            "court_report": "none",
            "mappa_category": "none",
            "mappa_level": "none",
            "status": "draft",
            "answers-TOTAL_FORMS": "0",
            "answers-INITIAL_FORMS": "0",
            "qa_comments-TOTAL_FORMS": "0",
            "qa_comments-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "SW-PUB-2024 is published and locked" in str(response.context["adminform"].form.errors["inspection"])
    assert not CaseReview.objects.filter(case_reference="X200099").exists()
    response = staff.post(
        reverse("admin:inspections_recommendation_add"),
        {"inspection": published.pk, "addressee": "region", "text": "Another", "order": 2},
    )
    assert response.status_code == 200
    assert published.recommendations.count() == 1


def test_case_reviews_and_answers_are_never_deleted_only_archived(staff, records):
    review, answer = records["review"], records["answer"]
    assert staff.post(admin_url(review, "delete"), {"post": "yes"}).status_code == 403
    assert staff.post(admin_url(answer, "delete"), {"post": "yes"}).status_code == 403
    response = staff.post(
        reverse("admin:casework_casereview_changelist"),
        {"action": "archive", "_selected_action": [review.pk, records["published_review"].pk]},
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.archived_at is not None
    assert review.version == 2
    assert Answer.objects.filter(pk=answer.pk).exists()
    # The published one is left alone, and the administrator is told why.
    records["published_review"].refresh_from_db()
    assert records["published_review"].archived_at is None
    staff.post(reverse("admin:casework_casereview_changelist"), {"action": "restore", "_selected_action": [review.pk]})
    review.refresh_from_db()
    assert review.archived_at is None


def test_not_applicable_where_the_question_forbids_it_is_a_form_error_not_a_server_error(staff, records):
    answer = records["answer"]
    response = staff.post(
        admin_url(answer),
        {"case_review": answer.case_review_id, "question": answer.question_id, "value": "not_applicable", "note": ""},
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "“Not applicable” is not allowed" in str(errors["value"])
    answer.refresh_from_db()
    assert answer.value == "yes"

    review = CaseReviewFactory(inspection=answer.case_review.inspection)
    response = staff.post(
        reverse("admin:casework_answer_add"),
        {"case_review": review.pk, "question": question("2.3.1").pk, "value": "not_applicable"},
    )
    assert response.status_code == 200
    assert not Answer.objects.filter(case_review=review).exists()


def test_not_applicable_in_the_case_reviews_answer_rows_is_a_form_error_too(staff, records):
    review, answer = records["review"], records["answer"]
    data = {
        "inspection": review.inspection_id,
        "case_reference": review.case_reference,
        "case_type": review.case_type,
        "court_report": review.court_report,
        "tier": review.tier,
        "rosh_level": review.rosh_level,
        "mappa_category": "none",
        "mappa_level": "none",
        "gender": review.gender,
        "ethnicity_group": review.ethnicity_group,
        "age_band": review.age_band,
        "disability": review.disability,
        "inspector": review.inspector_id,
        "status": review.status,
        "answers-TOTAL_FORMS": "1",
        "answers-INITIAL_FORMS": "1",
        "answers-0-id": answer.pk,
        "answers-0-case_review": review.pk,
        "answers-0-value": "not_applicable",
        "answers-0-note": "",
        "qa_comments-TOTAL_FORMS": "0",
        "qa_comments-INITIAL_FORMS": "0",
    }
    response = staff.post(admin_url(review), data)
    assert response.status_code == 200
    assert "is not allowed" in str(response.context["inline_admin_formsets"][0].formset.errors)
    answer.refresh_from_db()
    assert answer.value == "yes"

    data["answers-0-value"] = "no"
    data["answers-0-note"] = "No enquiry to children's services."
    assert staff.post(admin_url(review), data).status_code == 302
    answer.refresh_from_db()
    review.refresh_from_db()
    assert (answer.value, answer.changed_in_version, review.version) == ("no", 2, 2)


def test_an_admin_edit_moves_the_version_on_and_is_audited_with_who_and_why(staff, records, administrator):
    answer = records["answer"]
    response = staff.post(
        admin_url(answer),
        {"case_review": answer.case_review_id, "question": answer.question_id, "value": "no", "note": "Corrected"},
    )
    assert response.status_code == 302
    answer.refresh_from_db()
    review = answer.case_review
    review.refresh_from_db()
    assert (answer.value, answer.updated_by, answer.changed_in_version) == ("no", administrator, 2)
    assert (review.version, review.updated_by) == (2, administrator)
    event = AnswerEvent.objects.filter(pgh_obj=answer).latest("pgh_id")
    assert event.value == "no"
    assert event.pgh_context.metadata["user"] == administrator.pk
    assert event.pgh_context.metadata["reason"] == "changed in the admin"

    history = staff.get(reverse("admin:casework_answerevent_changelist"), {"case_review": review.pk})
    assert history.status_code == 200
    rows = list(history.context["cl"].result_list)
    assert {row.case_review_id for row in rows} == {review.pk}
    assert "admin@example.test" in history.content.decode()


def test_an_unchanged_save_writes_nothing(staff, records):
    answer = records["answer"]
    events = AnswerEvent.objects.count()
    staff.post(
        admin_url(answer),
        {"case_review": answer.case_review_id, "question": answer.question_id, "value": "yes", "note": ""},
    )
    answer.case_review.refresh_from_db()
    assert answer.case_review.version == 1
    assert AnswerEvent.objects.count() == events


def test_a_framework_in_use_is_read_only(staff, records):
    framework = Framework.objects.get(code="pdu-2021")
    page = staff.get(admin_url(framework))
    assert not page.context["has_change_permission"]
    response = staff.post(admin_url(framework), {"title": "Changed"})
    assert response.status_code == 403
    framework.refresh_from_db()
    assert framework.title != "Changed"
    unused = Framework.objects.get(code="youth-2018")
    assert staff.get(admin_url(unused)).context["has_change_permission"]


def test_a_judgement_must_be_for_a_judgement_standard_of_the_inspections_framework(staff, inspection, lead_inspector):
    from inspections.models import Standard

    case_data_standard = Standard.objects.get(framework=inspection.framework, code="2.2")
    response = staff.post(
        reverse("admin:inspections_organisationaljudgement_add"),
        {"inspection": inspection.pk, "standard": case_data_standard.pk, "rating": "good", "rationale": "x"},
    )
    assert response.status_code == 200
    assert not OrganisationalJudgement.objects.filter(inspection=inspection).exists()


def test_staff_accounts_are_created_by_email_and_a_director_needs_a_region(staff, region):
    add = reverse("admin:accounts_user_add")
    base = {
        "first_name": "Ada",
        "last_name": "Director",
        "usable_password": "true",
        "password1": "A-long-enough-passphrase-1",
        "password2": "A-long-enough-passphrase-1",
    }
    response = staff.post(add, {**base, "email": "Ada@Example.TEST", "role": "regional_director"})
    assert response.status_code == 200
    assert "must be given the region" in str(response.context["adminform"].form.errors["region"])
    assert not User.objects.filter(email__iexact="ada@example.test").exists()

    response = staff.post(add, {**base, "email": "Ada@Example.TEST", "role": "regional_director", "region": region.pk})
    assert response.status_code == 302
    user = User.objects.get(email="ada@example.test")
    assert (user.role, user.region) == (User.Role.REGIONAL_DIRECTOR, region)
    assert user.check_password("A-long-enough-passphrase-1")

    response = staff.post(add, {**base, "email": "ADA@example.test", "role": "analyst"})
    assert response.status_code == 200
    assert User.objects.filter(email__iexact="ada@example.test").count() == 1


def test_people_who_are_not_staff_are_kept_out_of_the_admin(client, inspector):
    client.force_login(inspector)
    response = client.get(reverse("admin:casework_casereview_changelist"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_the_unlock_log_cannot_be_edited(staff, records):
    event = LockEvent.objects.get(action="unlocked")
    assert staff.post(admin_url(event), {"reason": "rewritten"}).status_code == 403
    assert staff.post(admin_url(event, "delete"), {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.reason == "Typo in 2.3"


# The admin goes through the services ---------------------------------------------------------------------------


def page_data(response, **changes) -> dict:
    """What the admin page would post back unchanged (the form and its inline rows), with `changes`."""
    from django.forms import CheckboxInput, NullBooleanSelect

    forms_ = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms_ += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms_:
        for name in form.fields:
            bound = form[name]
            value = bound.value()
            if isinstance(bound.field.widget, NullBooleanSelect):
                data[bound.html_name] = {True: "true", False: "false"}.get(value, "unknown")
            elif isinstance(bound.field.widget, CheckboxInput):
                if value:
                    data[bound.html_name] = "on"
            elif value is not None:
                data[bound.html_name] = value
    return data | changes


def shown_messages(response) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in response.context["messages"]]


def test_changing_the_court_report_in_the_admin_removes_answers_that_stop_applying_through_the_service(
    staff, inspection, inspector, administrator
):
    from inspections.choices import Rating
    from ratings.selectors import inspection_ratings

    review = CaseReviewFactory(inspection=inspection, inspector=inspector, court_report="oral")
    AnswerFactory(case_review=review, question=question("2.1.1"), value="yes")
    AnswerFactory(case_review=review, question=question("2.2.1"), value="yes")
    assert inspection_ratings(inspection).standard("2.1").rating == Rating.OUTSTANDING

    data = page_data(staff.get(admin_url(review)), court_report="none")
    response = staff.post(admin_url(review), data, follow=True)

    assert response.status_code == 200
    review.refresh_from_db()
    assert (review.court_report, review.version, review.updated_by) == ("none", 2, administrator)
    assert set(review.answers.values_list("question__code", flat=True)) == {"2.2.1"}
    # 2.1.1 no longer counts towards standard 2.1: it has no relevant cases left.
    standard = inspection_ratings(inspection).standard("2.1")
    assert standard.rating is None and standard.key_questions[0].counts.relevant == 0
    removal = AnswerEvent.objects.get(pgh_label="delete", case_review=review)
    assert removal.question.code == "2.1.1" and removal.value == "yes"
    assert (removal.pgh_context.metadata["user"], removal.pgh_context.metadata["reason"]) == (
        administrator.pk,
        "changed in the admin",
    )
    assert (
        "warning",
        "The answers to 2.1.1 were removed: they are not asked in a case with these details. "
        "The case's history keeps them.",
    ) in shown_messages(response)


def test_status_and_version_cannot_be_changed_in_the_admin(staff, records):
    review = records["review"]
    page = staff.get(admin_url(review))
    form = page.context["adminform"].form
    assert "status" not in form.fields and "version" not in form.fields
    assert {"inspection", "case_reference", "inspector"}.isdisjoint(form.fields)
    staff.post(admin_url(review), page_data(page, status="moderated", version="9", tier="A"))
    review.refresh_from_db()
    assert (review.status, review.version, review.tier) == ("draft", 2, "A")


def test_a_stale_admin_edit_is_refused_with_a_message_and_writes_nothing(staff, records, inspector):
    from casework import services

    review = records["review"]
    page = staff.get(admin_url(review))
    services.case_review_save(
        review=review, by=inspector, expected_version=1, answers={"2.2.2": services.AnswerInput("no")}
    )
    response = staff.post(admin_url(review), page_data(page, tier="D"), follow=True)
    assert (
        "error",
        "This case review was changed by someone else while you were editing it. Nothing you entered has been saved.",
    ) in shown_messages(response)
    review.refresh_from_db()
    assert (review.tier, review.version) != ("D", 3) and review.version == 2


def test_a_mappa_category_without_a_level_is_a_form_error_in_the_admin(staff, records):
    review = records["review"]
    response = staff.post(admin_url(review), page_data(staff.get(admin_url(review)), mappa_category="2"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["mappa_level"] == ["A MAPPA case needs its MAPPA level."]
    review.refresh_from_db()
    assert (review.mappa_category, review.version) == ("none", 1)


def test_a_case_added_in_the_admin_is_created_by_the_service_with_who_and_why(staff, inspection, administrator):
    from casework.models import CaseReviewEvent

    response = staff.post(
        reverse("admin:casework_casereview_add"),
        {
            "inspection": inspection.pk,
            "case_reference": "X300001",
            "case_type": "licence",
            "court_report": "none",
            "mappa_category": "none",
            "mappa_level": "none",
            "same_practitioner": "unknown",
            "answers-TOTAL_FORMS": "0",
            "answers-INITIAL_FORMS": "0",
            "qa_comments-TOTAL_FORMS": "0",
            "qa_comments-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    review = CaseReview.objects.get(inspection=inspection, case_reference="X300001")
    assert (review.case_type, review.status, review.updated_by) == ("licence", "draft", administrator)
    event = CaseReviewEvent.objects.get(pgh_obj=review, pgh_label="insert")
    assert (event.pgh_context.metadata["user"], event.pgh_context.metadata["reason"]) == (
        administrator.pk,
        "case added to the sample",
    )


def test_archiving_and_restoring_in_the_admin_go_through_the_services(staff, records, administrator):
    from casework.models import CaseReviewEvent

    review, published_review = records["review"], records["published_review"]
    changelist = reverse("admin:casework_casereview_changelist")
    response = staff.post(
        changelist, {"action": "archive", "_selected_action": [review.pk, published_review.pk]}, follow=True
    )
    review.refresh_from_db()
    assert review.archived_at is not None and review.updated_by == administrator
    event = CaseReviewEvent.objects.filter(pgh_obj=review).latest("pgh_id")
    assert (event.pgh_context.metadata["user"], event.pgh_context.metadata["reason"]) == (
        administrator.pk,
        "archived in the admin",
    )
    published_review.refresh_from_db()
    assert published_review.archived_at is None
    errors = [text for level, text in shown_messages(response) if level == "error"]
    assert errors == [
        "Left as it was: SW-PUB-2024 is published and locked, so X200001 cannot be archived: "
        "a lead must unlock it, with a reason, first."
    ]
    # Archived, the case is read-only until it is restored.
    assert not staff.get(admin_url(review)).context["has_change_permission"]
    staff.post(changelist, {"action": "restore", "_selected_action": [review.pk]})
    review.refresh_from_db()
    assert review.archived_at is None and review.version == 3


def test_the_archive_and_restore_services_need_the_lead_and_a_reason(records, inspector, lead_inspector):
    from casework import services
    from inspections.errors import Refused

    review = records["review"]
    with pytest.raises(Refused) as refused:
        services.case_review_archive(review=review, by=inspector, reason="Duplicate")
    assert refused.value.code == "not_lead"
    with pytest.raises(ValidationError, match="reason"):
        services.case_review_archive(review=review, by=lead_inspector, reason=" ")
    archived = services.case_review_archive(review=review, by=lead_inspector, reason="Duplicate of X100002")
    with pytest.raises(Refused) as refused:
        services.case_review_archive(review=review, by=lead_inspector, reason="Again")
    assert refused.value.code == "wrong_state"
    restored = services.case_review_restore(review=review, by=lead_inspector, reason="Not a duplicate after all")
    assert (archived.version, restored.version, restored.archived_at) == (2, 3, None)
    with pytest.raises(Refused) as refused:
        services.case_review_archive(review=records["published_review"], by=lead_inspector, reason="Late")
    assert refused.value.code == "locked"


def test_an_answer_added_in_the_admin_goes_through_the_service(staff, records, administrator):
    review = records["review"]
    add = reverse("admin:casework_answer_add")
    response = staff.post(
        add, {"case_review": review.pk, "question": question("2.1.1").pk, "value": "yes"}, follow=True
    )
    assert ("error", "2.1.1 is not asked in a case of this type") in shown_messages(response)
    assert not Answer.objects.filter(case_review=review, question__code="2.1.1").exists()
    response = staff.post(add, {"case_review": review.pk, "question": question("2.2.2").pk, "value": "no"})
    assert response.status_code == 302
    answer = Answer.objects.get(case_review=review, question__code="2.2.2")
    review.refresh_from_db()
    assert (answer.value, answer.changed_in_version, answer.updated_by, review.version) == ("no", 2, administrator, 2)


def test_the_admin_offers_no_delete_that_would_be_refused(staff, records):
    from inspections.models import Inspection as InspectionModel

    published = records["published"]
    set_publication(published, unlocked_at=datetime.datetime(2024, 10, 1, tzinfo=datetime.UTC))
    published.refresh_from_db()
    assert published.is_open_for_correction
    # Unlocked to correct it, a published inspection and its records are changeable but never deleted.
    for obj in [
        published,
        published.members.first(),
        records["published_judgement"],
        records["published_recommendation"],
    ]:
        page = staff.get(admin_url(obj))
        assert page.context["has_change_permission"] and not page.context["has_delete_permission"], obj
        assert staff.post(admin_url(obj, "delete"), {"post": "yes"}).status_code == 403
    for model in (InspectionModel, TeamMember, OrganisationalJudgement, Recommendation, Framework, Question):
        opts = model._meta
        changelist = staff.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        action_form = changelist.context["action_form"]
        assert action_form is None or "delete_selected" not in dict(action_form.fields["action"].choices), opts.label
    for model in (CaseReview, Answer, QAComment):
        assert not admin.site._registry[model].has_delete_permission(changelist.wsgi_request)
    assert InspectionModel.objects.filter(pk=published.pk).exists()
