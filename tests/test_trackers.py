"""The recommendation trackers: who keeps and reads the action plan, its history, the overdue flag,
the XLSX and CSV exports, the morning reminders and the tracker page's query count."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from inspections.errors import Refused
from inspections.models import Inspection, Recommendation
from tests.factories import set_publication
from trackers import services
from trackers.export import COLUMNS, tracker_csv, tracker_xlsx
from trackers.models import Action, ProgressNote, RecommendationResponse, ReminderSent
from trackers.reminders import reminders_send
from trackers.selectors import region_tracker
from trackers.tasks import send_action_reminders

TODAY = datetime.date(2026, 11, 26)


@pytest.fixture
def recommendations(inspection, inspector, lead_inspector):
    """Two recommendations of a published inspection in the South West (the region fixture)."""
    made = [
        Recommendation.objects.create(inspection=inspection, addressee="pdu", text="improve risk work", order=1),
        Recommendation.objects.create(inspection=inspection, addressee="hmpps", text="fund more staff", order=2),
    ]
    set_publication(inspection, status=Inspection.Status.PUBLISHED, published_on=datetime.date(2024, 9, 1))
    return made


@pytest.fixture
def recommendation(recommendations):
    return recommendations[0]


def _action(recommendation, director, **values) -> Action:
    defaults = {
        "description": "Audit 20 cases a quarter",
        "owner_name": "Head of PDU",
        "owner_email": "head@probation.example",
        "due_date": TODAY + datetime.timedelta(days=30),
    }
    return services.action_create(recommendation=recommendation, by=director, **{**defaults, **values})


def _page_url(recommendation, name="trackers:recommendation", **extra):
    return reverse(
        name, kwargs={"region": "south-west", "reference": recommendation.inspection.reference, "order": 1, **extra}
    )


# Who keeps and who reads


def test_the_regions_director_keeps_the_plan_and_every_change_is_in_the_history(recommendation, director):
    response = services.response_record(
        recommendation=recommendation, answer="agreed", narrative="The head of PDU leads it.", by=director
    )
    action = _action(recommendation, director)
    services.action_update(action=action, status="in_progress", rag="amber", by=director)
    services.progress_note_add(
        action=action, date=TODAY - datetime.timedelta(days=1), text="First audit done", by=director
    )

    assert (response.answer, response.responded_by) == ("agreed", director)
    action.refresh_from_db()
    assert (action.number, action.status, action.rag) == (1, "in_progress", "amber")
    reasons = [
        event.pgh_context.metadata["reason"]
        for model in (RecommendationResponse, Action, ProgressNote)
        for event in model.pgh_event_models["insert"].objects.filter(pgh_label="insert")
    ]
    assert "SW-TST-2024 recommendation 1: response recorded" in reasons
    assert "SW-TST-2024 recommendation 1: action added" in reasons
    assert "SW-TST-2024 recommendation 1: progress noted on action 1" in reasons
    update = Action.pgh_event_models["update"].objects.get(pgh_label="update")
    assert update.pgh_context.metadata == {
        **update.pgh_context.metadata,
        "user": director.pk,
        "reason": "SW-TST-2024 recommendation 1: action 1 updated",
    }
    assert update.status == "in_progress"


@pytest.mark.parametrize("persona", ["other_director", "analyst", "inspector", "lead_inspector", "administrator"])
def test_nobody_but_the_regions_director_may_change_the_plan(request, recommendation, director, persona):
    someone = request.getfixturevalue(persona)
    with pytest.raises(Refused) as refused:
        services.response_record(recommendation=recommendation, answer="agreed", narrative="Yes", by=someone)
    assert refused.value.code == "not_allowed"
    with pytest.raises(Refused):
        _action(recommendation, someone)
    assert not RecommendationResponse.objects.exists() and not Action.objects.exists()


def test_pages_answer_each_persona(client, recommendation, director, other_director, analyst, inspector):
    _action(recommendation, director)
    tracker = reverse("trackers:tracker", kwargs={"region": "south-west"})
    for user, status in ((director, 200), (inspector, 200), (other_director, 404), (analyst, 404)):
        client.force_login(user)
        assert client.get(tracker).status_code == status, user
        assert client.get(_page_url(recommendation)).status_code == status, user
    client.force_login(inspector)
    page = client.get(_page_url(recommendation)).content.decode()
    assert "Audit 20 cases a quarter" in page and "Add an action" not in page
    assert client.post(_page_url(recommendation, "trackers:action_update", number=1), {}).status_code == 403


def test_the_director_updates_an_action_and_adds_a_note_through_the_pages(client, recommendation, director):
    action = _action(recommendation, director)
    client.force_login(director)
    url = _page_url(recommendation, "trackers:action_update", number=1)
    response = client.post(url, {"action-1-status": "complete", "action-1-rag": "green"})
    assert response.status_code == 302 and response.url.endswith("#action-1")
    action.refresh_from_db()
    assert action.status == "complete"

    note_url = _page_url(recommendation, "trackers:note_add", number=1)
    bad = client.post(note_url, {"note-1-date": "31/02/2025", "note-1-text": "", "note-1-evidence_url": "nope"})
    assert bad.status_code == 200 and "There is a problem" in bad.content.decode()
    assert not ProgressNote.objects.exists()
    client.post(
        note_url,
        {"note-1-date": "01/11/2026", "note-1-text": "Done", "note-1-evidence_url": "https://example.gov.uk/e"},
    )
    note = ProgressNote.objects.get()
    assert (note.date, note.text, note.evidence_url, note.by) == (
        datetime.date(2026, 11, 1),
        "Done",
        "https://example.gov.uk/e",
        director,
    )


def test_the_team_records_the_follow_up_and_closes_and_then_the_plan_is_final(recommendation, director, inspector):
    action = _action(recommendation, director)
    with pytest.raises(Refused) as refused:
        services.recommendation_close(recommendation=recommendation, by=inspector)
    assert refused.value.code == "no_follow_up"
    with pytest.raises(Refused):
        services.follow_up_record(recommendation=recommendation, judgement="met", note="Seen", by=director)
    with pytest.raises(ValidationError):
        services.follow_up_record(recommendation=recommendation, judgement="maybe", note="", by=inspector)

    services.follow_up_record(recommendation=recommendation, judgement="partly_met", note="Half done", by=inspector)
    closed = services.recommendation_close(recommendation=recommendation, by=inspector)
    assert closed.is_closed and closed.closed_by == inspector and closed.follow_up == "partly_met"
    with pytest.raises(Refused) as refused:
        services.action_update(action=action, status="complete", by=director)
    assert refused.value.code == "closed"


def test_the_plan_is_kept_after_publication_although_the_inspection_is_locked(recommendation, director):
    assert recommendation.inspection.__class__.objects.get(pk=recommendation.inspection_id).is_locked
    _action(recommendation, director)
    assert Action.objects.count() == 1


# The tracker


def test_overdue_means_past_its_due_date_and_not_complete_and_comes_first(recommendation, director):
    later = _action(recommendation, director, due_date=TODAY + datetime.timedelta(days=3))
    late = _action(recommendation, director, due_date=TODAY - datetime.timedelta(days=1))
    done = _action(recommendation, director, due_date=TODAY - datetime.timedelta(days=10), status="complete")
    tracker = region_tracker(region=recommendation.inspection.pdu.region, today=TODAY)

    row = tracker.inspections[0].addressees[0].rows[0]
    assert [a.number for a in row.actions] == [late.number, later.number, done.number]
    assert [a.number for a in row.overdue] == [late.number]
    assert [action.number for _, action in tracker.overdue] == [late.number]
    assert [g.addressee for g in tracker.inspections[0].addressees] == ["pdu", "hmpps"]


def test_the_tracker_page_flags_overdue_actions_in_words(client, recommendation, director):
    _action(recommendation, director, due_date=datetime.date(2020, 1, 1))
    client.force_login(director)
    page = client.get(reverse("trackers:tracker", kwargs={"region": "south-west"})).content.decode()
    assert "Overdue actions" in page and ">Overdue</strong>" in page
    assert "Green" in page and "On track" in page  # the RAG definitions


def test_the_tracker_pages_queries_do_not_grow_with_actions(client, recommendations, director):
    client.force_login(director)
    url = reverse("trackers:tracker", kwargs={"region": "south-west"})
    _action(recommendations[0], director)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for recommendation in recommendations:
        for _ in range(4):
            _action(recommendation, director)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)

    page = _page_url(recommendations[0])
    for action in Action.objects.all()[:3]:
        services.progress_note_add(action=action, date=TODAY - datetime.timedelta(days=2), text="x", by=director)
    with CaptureQueriesContext(connection) as notes:
        assert client.get(page).status_code == 200
    _action(recommendations[0], director)
    with CaptureQueriesContext(connection) as more:
        assert client.get(page).status_code == 200
    assert len(more) == len(notes)


# Exports


@pytest.fixture
def exported(recommendation, director):
    services.response_record(recommendation=recommendation, answer="agreed", narrative="-1 risky", by=director)
    action = _action(recommendation, director, due_date=datetime.date(2025, 3, 31), description="@SUM(A1)")
    services.progress_note_add(
        action=action, date=datetime.date(2025, 1, 2), text='=HYPERLINK("http://evil.example","x")', by=director
    )
    _action(recommendation, director, due_date=datetime.date(2027, 1, 31), status="complete")
    return recommendation.inspection.pdu.region


def test_the_xlsx_has_a_frozen_header_drop_downs_real_dates_and_no_formulas(exported):
    workbook = load_workbook(io.BytesIO(tracker_xlsx(region=exported)))
    sheet = workbook.active
    assert sheet.freeze_panes == "A2"
    header = [cell.value for cell in sheet[1]]
    assert header == [c.title for c in COLUMNS]
    rows = [dict(zip(header, (cell.value for cell in row), strict=True)) for row in sheet.iter_rows(min_row=2)]
    # One row per action, and one for the recommendation (to HMPPS) that has none.
    assert [(r["Recommendation"], r["Action"]) for r in rows] == [(1, 1), (1, 2), (2, None)]
    assert rows[0]["Due date"] == datetime.datetime(2025, 3, 31)
    assert sheet.cell(row=2, column=header.index("Due date") + 1).is_date
    assert rows[0]["Overdue"] == "Yes" and rows[1]["Overdue"] == "No"
    assert rows[0]["Progress notes"] == '\'=HYPERLINK("http://evil.example","x") (02/01/2025)'
    assert rows[0]["Action description"] == "'@SUM(A1)"
    assert rows[0]["Response narrative"] == "'-1 risky"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    lists = {str(v.sqref).split(":")[0]: (v.type, v.formula1) for v in sheet.data_validations.dataValidation}
    status, rag = (f"{chr(ord('A') + header.index(name))}2" for name in ("Status", "RAG"))
    assert lists == {status: ("list", '"Not started,In progress,Complete"'), rag: ("list", '"Red,Amber,Green"')}
    assert sheet.column_dimensions["E"].width == 60


def test_a_description_typed_as_a_formula_is_neutralised_in_both_exports(recommendation, director):
    action = _action(recommendation, director)
    services.action_update(action=action, description='=HYPERLINK("http://evil.example","click")', by=director)
    region = recommendation.inspection.pdu.region
    sheet = load_workbook(io.BytesIO(tracker_xlsx(region=region))).active
    header = [cell.value for cell in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("Action description") + 1)
    assert cell.value == '\'=HYPERLINK("http://evil.example","click")' and cell.data_type == "s"

    text = tracker_csv(region=region).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0]["Action description"] == '\'=HYPERLINK("http://evil.example","click")'


def test_the_csv_has_the_same_columns_and_rows(exported):
    raw = tracker_csv(region=exported)
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == [c.title for c in COLUMNS]
    assert len(rows) == 1 + 3
    first = dict(zip(rows[0], rows[1], strict=True))
    assert (first["Due date"], first["Status"], first["Overdue"]) == ("2025-03-31", "Not started", "Yes")
    assert first["Action description"] == "'@SUM(A1)" and first["Response narrative"] == "'-1 risky"
    assert first["Progress notes"] == '\'=HYPERLINK("http://evil.example","x") (02/01/2025)'


def test_the_tracker_page_offers_both_files_to_download(client, exported, director, other_director):
    client.force_login(director)
    response = client.get(reverse("trackers:download", kwargs={"region": "south-west", "fmt": "csv"}))
    assert response["Content-Disposition"].startswith('attachment; filename="south-west-action-plan-')
    assert response.content == tracker_csv(region=exported)
    xlsx = client.get(reverse("trackers:download", kwargs={"region": "south-west", "fmt": "xlsx"}))
    assert load_workbook(io.BytesIO(xlsx.content)).active.max_row == 4
    assert client.get(reverse("trackers:download", kwargs={"region": "south-west", "fmt": "pdf"})).status_code == 404
    client.force_login(other_director)
    assert client.get(reverse("trackers:download", kwargs={"region": "south-west", "fmt": "csv"})).status_code == 404


# Reminders


def test_one_reminder_per_due_action_per_day_however_often_the_task_runs(recommendation, director, settings):
    due = _action(recommendation, director, due_date=TODAY + datetime.timedelta(days=7), owner_email="a@x.example")
    late = _action(recommendation, director, due_date=TODAY - datetime.timedelta(days=40), owner_email="b@x.example")
    _action(recommendation, director, due_date=TODAY + datetime.timedelta(days=8), owner_email="c@x.example")
    _action(recommendation, director, due_date=TODAY - datetime.timedelta(days=1), status="complete")
    mail.outbox.clear()

    assert reminders_send(today=TODAY) == 2
    assert reminders_send(today=TODAY) == 0
    assert sorted(m.to[0] for m in mail.outbox) == ["a@x.example", "b@x.example"]
    assert set(ReminderSent.objects.values_list("action_id", "date")) == {(due.pk, TODAY), (late.pk, TODAY)}
    assert "was due" in next(m.subject for m in mail.outbox if m.to == ["b@x.example"])

    # The next morning: the same two again, and the one now due within 7 days.
    assert reminders_send(today=TODAY + datetime.timedelta(days=1)) == 3
    assert len(mail.outbox) == 5


def test_a_failed_send_leaves_no_record_so_the_retry_sends_it(recommendation, director, monkeypatch):
    _action(recommendation, director, due_date=TODAY)
    mail.outbox.clear()

    def broken(*args, **kwargs):
        raise ConnectionError("SMTP down")

    monkeypatch.setattr("trackers.reminders.send_mail", broken)
    with pytest.raises(ConnectionError):
        reminders_send(today=TODAY)
    assert not ReminderSent.objects.exists()
    monkeypatch.undo()
    assert reminders_send(today=TODAY) == 1 and len(mail.outbox) == 1


def test_the_beat_task_sends_todays_reminders_once(recommendation, director, settings):
    from django.utils import timezone

    _action(recommendation, director, due_date=timezone.localdate())
    mail.outbox.clear()
    send_action_reminders.apply()
    send_action_reminders.apply()
    assert len(mail.outbox) == 1
    schedule = settings.CELERY_BEAT_SCHEDULE["trackers-action-reminders"]
    assert schedule["task"] == "trackers.tasks.send_action_reminders"
    assert (schedule["schedule"].hour, schedule["schedule"].minute) == ({7}, {0})


# The demo


@pytest.mark.django_db
def test_the_demo_holds_the_south_wests_plan_and_a_second_load_adds_nothing():
    from demo.loader import demo_load
    from regions.models import Region

    demo_load()
    counts = (RecommendationResponse.objects.count(), Action.objects.count(), ProgressNote.objects.count())
    assert counts[0] == 33 == Recommendation.objects.filter(inspection__pdu__region__slug="south-west").count()
    assert Action.objects.filter(status="complete").exists()
    tracker = region_tracker(region=Region.objects.get(slug="south-west"), today=TODAY)
    assert tracker.recommendation_count == 33 and tracker.overdue
    second = demo_load()
    assert (RecommendationResponse.objects.count(), Action.objects.count(), ProgressNote.objects.count()) == counts
    assert not second.created["Actions"]
