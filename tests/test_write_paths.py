"""Every rule that protects data, on every write path: the ORM's bulk `.update()` / `.create()` /
`.delete()` and raw SQL as the application role. (The pages, the admin and the import are tested
in test_casework_views.py, test_admin.py and test_import.py; each refuses before the database.)

Refused means refused by the database, with nothing written.
"""

from __future__ import annotations

import datetime
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from accounts.models import User
from casework import services
from casework.models import Answer, CaseReview, QAComment
from casework.services import AnswerInput
from inspections.locking import inspection_unlock
from inspections.models import (
    Inspection,
    LockEvent,
    OrganisationalJudgement,
    Question,
    Recommendation,
    Standard,
    TeamMember,
)
from ratings.models import RatingOverride

from .factories import (
    CaseReviewFactory,
    InspectionFactory,
    JudgementFactory,
    PDUFactory,
    UserFactory,
    set_publication,
)

APP_ROLE = settings.DATABASE_APP_USER


@contextmanager
def as_application_role():
    """A cursor connected as the service's own role, as an attacker with SQL access would be."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'SET LOCAL ROLE "{APP_ROLE}"')
        yield cursor
        cursor.execute("RESET ROLE")


def refused(match: str):
    """The write inside is refused by the database; its savepoint is rolled back, so nothing is written."""
    return pytest.raises(DatabaseError, match=match)


def question(code: str) -> Question:
    return Question.objects.get(framework__code="pdu-2021", code=code)


@pytest.fixture
def court_case(inspection, inspector):
    review = CaseReviewFactory(inspection=inspection, inspector=inspector, court_report="oral")
    services.case_review_save(
        review=review,
        by=inspector,
        expected_version=1,
        answers={"2.1.1": AnswerInput("no"), "2.2.1": AnswerInput("yes")},
    )
    review.refresh_from_db()
    return review


# An answer always applies to its case ---------------------------------------------------------------------------


def test_orm_update_cannot_remove_the_court_report_under_a_court_work_answer(court_case):
    with refused("2.1.1 would no longer apply"), transaction.atomic():
        CaseReview.objects.filter(pk=court_case.pk).update(court_report="none")
    court_case.refresh_from_db()
    assert court_case.court_report == "oral"
    assert Answer.objects.filter(case_review=court_case, question__code="2.1.1", value="no").exists()


def test_sql_as_the_application_role_cannot_change_the_case_type_under_its_answers(inspection, inspector):
    licence = CaseReviewFactory(inspection=inspection, inspector=inspector, case_type="licence")
    Answer.objects.create(case_review=licence, question=question("C.2"), value="yes")  # pre-release: licence only
    with refused("C.2 would no longer apply"), as_application_role() as cursor:
        cursor.execute("UPDATE casework_casereview SET case_type = 'community' WHERE id = %s", [licence.pk])
    assert CaseReview.objects.get(pk=licence.pk).case_type == "licence"


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("2.1.1", "court report none"),  # court work without a court report
        ("C.2", "community case"),  # pre-release work is asked in licence cases only
        ("1.1.1", "not asked"),  # a standard rated by judgement is never answered case by case
    ],
)
def test_an_answer_to_a_question_not_asked_in_the_case_is_refused_by_orm_and_sql(inspection, code, why):
    review = CaseReviewFactory(inspection=inspection)
    with refused("is not asked in this case"), transaction.atomic():
        Answer.objects.create(case_review=review, question=question(code), value="yes")
    with refused("is not asked in this case"), as_application_role() as cursor:
        cursor.execute(
            "INSERT INTO casework_answer (case_review_id, question_id, value, note, changed_in_version, updated_at)"
            " VALUES (%s, %s, 'yes', '', 1, now())",
            [review.pk, question(code).pk],
        )
    assert not Answer.objects.filter(case_review=review).exists()


def test_an_answer_that_applies_is_accepted_by_sql_too(inspection):
    review = CaseReviewFactory(inspection=inspection, case_type="licence")
    with as_application_role() as cursor:
        cursor.execute(
            "INSERT INTO casework_answer (case_review_id, question_id, value, note, changed_in_version, updated_at)"
            " VALUES (%s, %s, 'yes', '', 1, now())",
            [review.pk, question("C.2").pk],
        )
    assert Answer.objects.filter(case_review=review, question__code="C.2").exists()


def test_the_details_page_asks_before_removing_answers_and_writes_nothing_until_confirmed(
    client, court_case, inspector
):
    client.force_login(inspector)
    url = f"/inspections/{court_case.inspection.reference}/cases/{court_case.case_reference}/details/"
    data = {
        field: getattr(court_case, field)
        for field in CaseReview.ATTRIBUTE_FIELDS
        if getattr(court_case, field) not in (None, "")
    }
    data.update(version=court_case.version, court_report="none", domestic_abuse="no", child_safeguarding="no")
    response = client.post(url, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Remove answers that would no longer apply?" in page and "2.1.1" in page
    court_case.refresh_from_db()
    assert court_case.court_report == "oral" and court_case.version == 2
    assert Answer.objects.filter(case_review=court_case, question__code="2.1.1").exists()

    response = client.post(url, {**data, "confirm_removal": "true"})
    assert response.status_code == 302
    court_case.refresh_from_db()
    assert court_case.court_report == "none"
    assert not Answer.objects.filter(case_review=court_case, question__code="2.1.1").exists()
    removal = Answer.pgh_event_model.objects.get(pgh_obj_id__isnull=False, pgh_label="delete", question__code="2.1.1")
    assert removal.pgh_context.metadata["user"] == inspector.pk
    assert "no longer asked" in removal.pgh_context.metadata["reason"]


# A published inspection is read-only whole ---------------------------------------------------------------------


@pytest.fixture
def published(inspection, inspector, lead_inspector, court_case):
    """A published inspection holding one of every kind of record."""
    QAComment.objects.create(case_review=court_case, text="Check 2.1.1", author=lead_inspector)
    JudgementFactory(inspection=inspection)
    RatingOverride.objects.create(
        inspection=inspection,
        standard=Standard.objects.get(framework=inspection.framework, code="2.2"),
        from_rating="good",
        to_rating="outstanding",
        reason="Panel",
        decided_by=lead_inspector,
    )
    Recommendation.objects.create(inspection=inspection, addressee="pdu", text="Do better", order=1)
    set_publication(inspection, status=Inspection.Status.PUBLISHED, published_on=datetime.date(2024, 9, 1))
    _as_if_logged_in_another_transaction()
    inspection.refresh_from_db()
    return inspection


def _as_if_logged_in_another_transaction() -> None:
    """A test runs in one database transaction, so set-up's lock events would authorise the test's
    own changes; moved to another transaction id (past the append-only trigger, as the superuser
    that runs the tests), they no longer do, as in real life."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("UPDATE inspections_lockevent SET transaction_id = 0")
        cursor.execute("SET LOCAL session_replication_role = origin")


# Each table holding a published inspection's records, with an UPDATE and a DELETE of its rows.
LOCKED_TABLES = [
    ("casework_casereview", "tier = 'A'", "inspection_id = %(i)s"),
    (
        "casework_answer",
        "value = 'yes'",
        "case_review_id IN (SELECT id FROM casework_casereview WHERE inspection_id = %(i)s)",
    ),
    (
        "casework_qacomment",
        "text = 'Rewritten'",
        "case_review_id IN (SELECT id FROM casework_casereview WHERE inspection_id = %(i)s)",
    ),
    ("inspections_organisationaljudgement", "rating = 'outstanding'", "inspection_id = %(i)s"),
    ("ratings_ratingoverride", "reason = 'Rewritten'", "inspection_id = %(i)s"),
    ("inspections_recommendation", "text = 'Rewritten'", "inspection_id = %(i)s"),
    ("inspections_teammember", "role = 'lead_inspector'", "inspection_id = %(i)s"),
]


@pytest.mark.parametrize(("table", "change", "rows"), LOCKED_TABLES)
def test_sql_as_the_application_role_cannot_change_or_delete_a_published_inspections_records(
    published, table, change, rows
):
    where = rows % {"i": published.pk}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), md5(string_agg(t::text, ',' ORDER BY t.id)) FROM {table} t WHERE {where}")
        before = cursor.fetchone()
    assert before[0] > 0
    with refused("published and locked"), as_application_role() as cursor:
        cursor.execute(f"UPDATE {table} SET {change} WHERE {where}")
    with refused("published and locked"), as_application_role() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {where}")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), md5(string_agg(t::text, ',' ORDER BY t.id)) FROM {table} t WHERE {where}")
        assert cursor.fetchone() == before


def test_orm_writes_to_a_published_inspections_records_are_refused(published, lead_inspector, analyst):
    review = published.case_reviews.get()
    writes = [
        lambda: CaseReview.objects.filter(inspection=published).update(tier="A"),
        lambda: Answer.objects.filter(case_review=review).update(value="yes"),
        lambda: Answer.objects.filter(case_review=review).delete(),
        lambda: QAComment.objects.create(case_review=review, text="Late comment", author=lead_inspector),
        lambda: QAComment.objects.filter(case_review=review).delete(),
        lambda: OrganisationalJudgement.objects.filter(inspection=published).update(rating="inadequate"),
        lambda: RatingOverride.objects.filter(inspection=published).delete(),
        lambda: Recommendation.objects.create(inspection=published, addressee="region", text="New", order=2),
        lambda: Recommendation.objects.filter(inspection=published).update(text="Rewritten"),
        lambda: TeamMember.objects.create(inspection=published, user=analyst, role="inspector"),
        lambda: TeamMember.objects.filter(inspection=published).delete(),
        lambda: CaseReviewFactory(inspection=published),
    ]
    for write in writes:
        with refused("published and locked"), transaction.atomic():
            write()
    assert TeamMember.objects.filter(inspection=published).count() == 2
    assert Recommendation.objects.get(inspection=published).text == "Do better"
    assert Answer.objects.filter(case_review=review).count() == 2


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ("unlocked_at = now()", "only by a lead"),
        ("status = 'ratings_panel'", "cannot be moved back"),
        ("published_on = '2025-01-01'", "only by a lead"),
        ("pdu_id = %(other_pdu)s", "PDU and framework cannot change"),
        ("fieldwork_start = '2020-01-01'", "published and locked"),
    ],
)
def test_a_published_inspection_cannot_be_unlocked_moved_or_edited_by_orm_or_sql(published, change, match):
    other_pdu = PDUFactory(slug="another-pdu")
    sql_change = change % {"other_pdu": other_pdu.pk}
    with refused(match), as_application_role() as cursor:
        cursor.execute(f"UPDATE inspections_inspection SET {sql_change} WHERE id = %s", [published.pk])
    column, value = (part.strip() for part in sql_change.split("=", 1))
    orm_value = {"now()": timezone.now()}.get(value, value.strip("'"))
    with refused(match), transaction.atomic():
        Inspection.objects.filter(pk=published.pk).update(**{column: orm_value})
    current = Inspection.objects.get(pk=published.pk)
    assert current.is_locked and current.pdu_id == published.pdu_id and current.published_on == published.published_on


def test_a_published_inspection_cannot_be_deleted(published):
    with refused("cannot be deleted"), as_application_role() as cursor:
        cursor.execute("DELETE FROM inspections_inspection WHERE id = %s", [published.pk])
    assert Inspection.objects.filter(pk=published.pk).exists()


def test_unlocking_through_the_service_writes_its_lock_event_in_the_same_transaction(published, lead_inspector):
    inspection_unlock(inspection=published, by=lead_inspector, reason="Correct 2.1.1")
    event = LockEvent.objects.get(inspection=published, action="unlocked")
    assert event.by == lead_inspector and event.reason == "Correct 2.1.1" and event.transaction_id is not None
    # Unlocked: the records can be corrected again, on every path.
    Answer.objects.filter(case_review__inspection=published, question__code="2.1.1").update(value="yes")


def test_a_lock_event_in_another_transaction_does_not_authorise_an_unlock(published, lead_inspector):
    LockEvent.objects.create(inspection=published, action="unlocked", reason="Earlier", by=lead_inspector)
    _as_if_logged_in_another_transaction()
    with refused("only by a lead"), as_application_role() as cursor:
        cursor.execute("UPDATE inspections_inspection SET unlocked_at = now() WHERE id = %s", [published.pk])


def test_the_lock_log_is_append_only_on_every_path(published):
    event = LockEvent.objects.get(inspection=published)
    with refused("append-only"), transaction.atomic():
        LockEvent.objects.filter(pk=event.pk).update(reason="Rewritten")
    with refused("append-only"), transaction.atomic():
        LockEvent.objects.filter(pk=event.pk).delete()
    with refused("permission denied|append-only"), as_application_role() as cursor:
        cursor.execute("DELETE FROM inspections_lockevent WHERE id = %s", [event.pk])
    assert LockEvent.objects.get(pk=event.pk).reason == event.reason


# The application role owns nothing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE casework_answer",
        "TRUNCATE casework_answer CASCADE",
        "ALTER TABLE casework_answer DISABLE TRIGGER ALL",
        "ALTER TABLE casework_answer DISABLE TRIGGER USER",
        "ALTER TABLE inspections_inspection ADD COLUMN backdoor text",
        "DO $$ BEGIN EXECUTE (SELECT format('DROP TRIGGER %I ON casework_answer', tgname) FROM pg_trigger"
        " WHERE tgname LIKE 'pgtrigger_answer_locked_%'); END $$",
        "DROP TABLE casework_answerevent",
        "UPDATE casework_answerevent SET value = 'yes'",
        "DELETE FROM casework_answerevent",
        "UPDATE casework_casereviewevent SET status = 'draft'",
        "DELETE FROM accounts_userevent",
        "DELETE FROM django_migrations",
        "CREATE OR REPLACE FUNCTION _pgtrigger_should_ignore(trigger_name NAME) RETURNS BOOLEAN"
        " AS 'SELECT true' LANGUAGE sql",
    ],
)
def test_the_application_role_cannot_truncate_alter_disable_triggers_or_rewrite_history(court_case, statement):
    with refused("permission denied|must be owner|must be the owner"), as_application_role() as cursor:
        cursor.execute(statement)
    assert Answer.objects.filter(case_review=court_case).count() == 2
    assert Answer.pgh_event_model.objects.filter(case_review=court_case.pk).count() == 2


def test_the_application_role_owns_nothing_and_may_only_add_history(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner"
            " WHERE r.rolname = %s AND c.relnamespace = 'public'::regnamespace",
            [APP_ROLE],
        )
        assert cursor.fetchone() == (0,)
        cursor.execute(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls FROM pg_roles WHERE rolname = %s", [APP_ROLE]
        )
        assert cursor.fetchone() == (False, False, False, False)
        cursor.execute(
            "SELECT has_table_privilege(%s, 'casework_answerevent', 'INSERT'),"
            " has_table_privilege(%s, 'casework_answerevent', 'UPDATE'),"
            " has_table_privilege(%s, 'casework_answerevent', 'DELETE'),"
            " has_table_privilege(%s, 'casework_answer', 'TRUNCATE')",
            [APP_ROLE] * 4,
        )
        assert cursor.fetchone() == (True, False, False, False)


def test_pgtrigger_ignore_set_by_the_application_role_switches_no_rule_off(published):
    with refused("published and locked"), as_application_role() as cursor:
        cursor.execute("SELECT set_config('pgtrigger.ignore', %s, true)", ["{" + _trigger_name("answer_locked") + "}"])
        cursor.execute(
            "UPDATE casework_answer SET value = 'yes' WHERE case_review_id IN "
            "(SELECT id FROM casework_casereview WHERE inspection_id = %s)",
            [published.pk],
        )


def _trigger_name(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE %s", [f"pgtrigger_{name}_%"])
        return cursor.fetchone()[0]


# The trigger helpers never open a subtransaction -----------------------------------------------------------------


def test_no_trigger_function_opens_a_subtransaction_per_row(db):
    """An EXCEPTION block costs a subtransaction per call: bulk writes then slow down row after row."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.proname FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace"
            " AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'plpgsql')"
            " AND p.prosrc ~* 'EXCEPTION\\s+WHEN'"
        )
        assert cursor.fetchall() == []
        cursor.execute(
            "SELECT count(*) FROM pg_proc WHERE proname IN ('_pgtrigger_should_ignore', '_pgh_attach_context')"
        )
        assert cursor.fetchone() == (2,)


def test_history_still_records_who_with_the_fast_helpers(inspection, inspector):
    review = CaseReviewFactory(inspection=inspection, inspector=inspector)
    services.case_review_save(review=review, by=inspector, expected_version=1, answers={"2.2.1": AnswerInput("no")})
    event = Answer.pgh_event_model.objects.get(case_review=review.pk)
    assert event.pgh_context.metadata["user"] == inspector.pk


# Every delete is in the history -----------------------------------------------------------------------------------


def test_deletes_of_every_audited_record_are_in_the_history_with_who_and_why(inspection, inspector, lead_inspector):
    import pghistory

    review = CaseReviewFactory(inspection=inspection, inspector=inspector)
    services.case_review_save(review=review, by=inspector, expected_version=1, answers={"2.2.1": AnswerInput("no")})
    comment = QAComment.objects.create(case_review=review, text="Check", author=lead_inspector)
    judgement = JudgementFactory(inspection=inspection)
    recommendation = Recommendation.objects.create(inspection=inspection, addressee="pdu", text="Do", order=1)
    colleague = UserFactory(email="leaver@example.test", role=User.Role.INSPECTOR)
    member = TeamMember.objects.create(inspection=inspection, user=colleague, role="inspector")
    records = [(r, r.pk) for r in (comment, judgement, recommendation, member, review, colleague)]
    with pghistory.context(user=lead_inspector.pk, reason="Removed in a test"):
        for record, pk in records:
            type(record).objects.filter(pk=pk).delete()
    for record, pk in records:
        deleted = record.pgh_event_model.objects.get(pgh_obj_id=pk, pgh_label="delete")
        assert deleted.pgh_context.metadata == {"user": lead_inspector.pk, "reason": "Removed in a test"}
    # The case review's answers went with it, each on record.
    assert Answer.pgh_event_model.objects.filter(case_review=review.pk, pgh_label="delete").count() == 1


# History completeness: one event per write, on every audited model and path -----------------------------------


def _audited_rows(inspection, lead_inspector):
    """One fresh row of every audited model, with an update to make to it (field, value)."""
    from inspections.models import RegionalFinding, RegionalReview

    review = CaseReviewFactory(inspection=inspection, inspector=lead_inspector)
    user = UserFactory(email="audited@example.test", role=User.Role.ANALYST)
    regional = RegionalReview.objects.create(
        region=inspection.pdu.region, slug="audited", letter_date=datetime.date(2024, 9, 1), addressee="RPD"
    )
    return [
        (user, "role", "inspector"),
        (InspectionFactory(reference="SW-AUD-2024", pdu=inspection.pdu), "fieldwork_start", "2024-07-01"),
        (TeamMember.objects.create(inspection=inspection, user=user, role="inspector"), "role", "lead_inspector"),
        (JudgementFactory(inspection=inspection), "rating", "inadequate"),
        (Recommendation.objects.create(inspection=inspection, addressee="pdu", text="A", order=1), "text", "B"),
        # Dependants before what they depend on, so no cascade deletes a row before its own turn.
        (
            RegionalFinding.objects.create(review=regional, heading="staff", kind="strength", text="A", order=1),
            "text",
            "B",
        ),
        (regional, "summary", "Summary"),
        (Answer.objects.create(case_review=review, question=question("2.2.1"), value="yes"), "value", "no"),
        (QAComment.objects.create(case_review=review, text="Check", author=lead_inspector), "text", "Checked"),
        (
            RatingOverride.objects.create(
                inspection=inspection,
                standard=Standard.objects.get(framework=inspection.framework, code="2.3"),
                to_rating="good",
                reason="Panel",
                decided_by=lead_inspector,
            ),
            "reason",
            "Panel, again",
        ),
        (review, "tier", "A"),
    ]


@pytest.mark.parametrize("path", ["orm", "sql as the application role"])
def test_every_write_to_every_audited_model_is_one_history_event(inspection, lead_inspector, path):
    rows = _audited_rows(inspection, lead_inspector)
    for obj, field, value in rows:
        model, pk = type(obj), obj.pk
        if path == "orm":
            model.objects.filter(pk=pk).update(**{field: value})
            if model is not User:  # its dependants (team, case reviews) hold it: deleted below, last
                model.objects.filter(pk=pk).delete()
        else:
            column = model._meta.get_field(field).column
            with as_application_role() as cursor:
                cursor.execute(f"UPDATE {model._meta.db_table} SET {column} = %s WHERE id = %s", [value, pk])
                if model not in (User, Inspection, CaseReview):  # held by rows created here (PROTECT)
                    cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE id = %s", [pk])
    for obj, _field, _value in rows:
        labels = list(
            obj.pgh_event_model.objects.filter(pgh_obj_id=obj.pk).order_by("pgh_id").values_list("pgh_label", flat=True)
        )
        deleted = not type(obj).objects.filter(pk=obj.pk).exists()
        assert labels == ["insert", "update", *(["delete"] if deleted else [])], type(obj).__name__
