from celery import shared_task
from django.utils import timezone

from .reminders import reminders_send


@shared_task(acks_late=True)
def send_action_reminders() -> int:
    """Beat runs it at 07:00 Europe/London; running it again the same day sends nothing more."""
    return reminders_send(today=timezone.localdate())
