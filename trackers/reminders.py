"""The morning reminders: owners of actions due within 7 days or overdue, at most one email per action per day.

Whatever the number of workers, beat restarts or task retries: each email is sent only by the
transaction that inserted its `ReminderSent(action, date)` row (INSERT … ON CONFLICT DO NOTHING).
A second run finds the row and sends nothing; a failed send rolls the row back, so a retry sends it.
"""

from __future__ import annotations

import datetime

from django.core.mail import send_mail
from django.db import connection, transaction
from django.urls import reverse

from .models import Action, ReminderSent
from .selectors import actions_to_remind

INSERT_ONCE = f"""
    INSERT INTO {ReminderSent._meta.db_table} (action_id, date, sent_at) VALUES (%s, %s, now())
    ON CONFLICT (action_id, date) DO NOTHING RETURNING id
"""


def _claim(action: Action, today: datetime.date) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(INSERT_ONCE, [action.pk, today])
        return cursor.fetchone() is not None


def _email(action: Action, today: datetime.date) -> tuple[str, str]:
    recommendation = action.response.recommendation
    inspection = recommendation.inspection
    when = "was due" if action.due_date < today else "is due"
    where = reverse(
        "trackers:recommendation",
        kwargs={"region": inspection.pdu.region.slug, "reference": inspection.reference, "order": recommendation.order},
    )
    subject = f"Action {when} {action.due_date:%-d %B %Y}: {inspection.reference} recommendation {recommendation.order}"
    body = (
        f"Dear {action.owner_name},\n\n"
        f"You own action {action.number} of {inspection.reference} ({inspection.pdu.name}), "
        f"recommendation {recommendation.order}. It {when} on {action.due_date:%-d %B %Y} and is "
        f"{action.get_status_display().lower()}.\n\n"
        f"The action: {action.description}\n\n"
        f"Please record its progress in the action plan: {where}\n\n"
        "HM Inspectorate of Probation\n"
    )
    return subject, body


def reminders_send(*, today: datetime.date) -> int:
    """Send today's reminders not yet sent; returns how many were sent."""
    sent = 0
    for action in actions_to_remind(today):
        with transaction.atomic():
            if not _claim(action, today):
                continue
            subject, body = _email(action, today)
            send_mail(subject, body, None, [action.owner_email])
        sent += 1
    return sent
