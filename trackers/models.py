"""The action plan a region keeps against each recommendation, and the inspectorate's follow-up.

Not locked with the inspection: the plan is written and maintained after publication. Every
row is in the history (who, why); actions and notes are never deleted by the service.
"""

import datetime

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q

from inspections.models import Recommendation, Standard
from inspections.triggers import audited


def _valid(field: str, choices: type[models.TextChoices], *, blank: bool = False) -> Q:
    allowed = Q(**{f"{field}__in": choices.values})
    return allowed | Q(**{field: ""}) if blank else allowed


# The vocabularies, at module level so that the models' constraints can name them.
class Answer(models.TextChoices):
    AGREED = "agreed", "Agreed"
    PARTLY_AGREED = "partly_agreed", "Partly agreed"
    NOT_AGREED = "not_agreed", "Not agreed"


class Judgement(models.TextChoices):
    MET = "met", "Met"
    PARTLY_MET = "partly_met", "Partly met"
    NOT_MET = "not_met", "Not met"


class ActionStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETE = "complete", "Complete"


class Rag(models.TextChoices):
    RED = "red", "Red"
    AMBER = "amber", "Amber"
    GREEN = "green", "Green"


@pghistory.track(*audited())
class RecommendationResponse(models.Model):
    """The region's response to one recommendation and, at follow-up, the inspectorate's judgement."""

    Answer = Answer
    Judgement = Judgement

    recommendation = models.OneToOneField(Recommendation, on_delete=models.PROTECT, related_name="response")
    # Blank until the region responds: inspectors may follow up a recommendation never answered.
    answer = models.CharField(max_length=20, choices=Answer.choices, blank=True)
    narrative = models.TextField(blank=True)
    standard = models.ForeignKey(Standard, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    follow_up = models.CharField(max_length=20, choices=Judgement.choices, blank=True)
    follow_up_note = models.TextField(blank=True)
    follow_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    follow_up_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["recommendation"]
        constraints = [
            models.CheckConstraint(condition=_valid("answer", Answer, blank=True), name="response_answer_valid"),
            models.CheckConstraint(
                condition=_valid("follow_up", Judgement, blank=True), name="response_follow_up_valid"
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True, closed_by__isnull=True)
                | (Q(closed_at__isnull=False, closed_by__isnull=False) & ~Q(follow_up="")),
                name="response_closed_after_follow_up",
            ),
        ]

    def __str__(self) -> str:
        return f"Response to {self.recommendation}"

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


# What each RAG rating means, shown beside the ratings wherever they are chosen or read.
RAG_DEFINITIONS = {
    "green": "On track to be complete by the due date.",
    "amber": "At risk of missing the due date: needs attention.",
    "red": "Overdue, or blocked: cannot go on without help.",
}


@pghistory.track(*audited())
class Action(models.Model):
    """A SMART action the region takes towards a recommendation."""

    Status = ActionStatus
    Rag = Rag

    response = models.ForeignKey(RecommendationResponse, on_delete=models.PROTECT, related_name="actions")
    # The action's number within its recommendation, as it appears in addresses and the tracker.
    number = models.PositiveSmallIntegerField()
    description = models.TextField(help_text="Specific, measurable, achievable, relevant and time-bound")
    owner_name = models.CharField(max_length=200)
    owner_email = models.EmailField()
    due_date = models.DateField()
    status = models.CharField(max_length=20, choices=ActionStatus.choices, default=ActionStatus.NOT_STARTED)
    rag = models.CharField("RAG rating", max_length=10, choices=Rag.choices, default=Rag.GREEN)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["response", "number"]
        constraints = [
            models.UniqueConstraint(fields=["response", "number"], name="action_unique_number_per_response"),
            models.CheckConstraint(condition=_valid("status", ActionStatus), name="action_status_valid"),
            models.CheckConstraint(condition=_valid("rag", Rag), name="action_rag_valid"),
            models.CheckConstraint(condition=Q(description__regex=r"\S"), name="action_has_description"),
            models.CheckConstraint(condition=Q(owner_name__regex=r"\S"), name="action_has_owner"),
        ]
        # The reminders' daily query: actions not complete, due on or before a date.
        indexes = [models.Index(fields=["status", "due_date"], name="action_status_due_idx")]

    def __str__(self) -> str:
        return f"Action {self.number}: {self.description[:60]}"

    def is_overdue(self, today: datetime.date) -> bool:
        return self.status != ActionStatus.COMPLETE and self.due_date < today

    @property
    def rag_definition(self) -> str:
        return RAG_DEFINITIONS[self.rag]


@pghistory.track(*audited())
class ProgressNote(models.Model):
    action = models.ForeignKey(Action, on_delete=models.PROTECT, related_name="notes")
    date = models.DateField()
    text = models.TextField()
    evidence_url = models.URLField("Evidence link", max_length=500, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["action", "date", "created_at"]
        constraints = [models.CheckConstraint(condition=Q(text__regex=r"\S"), name="progress_note_has_text")]

    def __str__(self) -> str:
        return f"{self.date:%d %B %Y}: {self.text[:60]}"


class ReminderSent(models.Model):
    """One reminder email per action per day: the row is inserted before the email is sent."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="reminders")
    date = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date"]
        constraints = [models.UniqueConstraint(fields=["action", "date"], name="reminder_once_per_action_per_day")]

    def __str__(self) -> str:
        return f"Reminder for {self.action} on {self.date}"
