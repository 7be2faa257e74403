import pghistory
import pgtrigger
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q

from casework.models import locked_inspection_trigger
from inspections.choices import Rating
from inspections.models import Inspection, Standard


# Tracked: a decision replaced or withdrawn stays in the history with who changed it.
@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class RatingOverride(models.Model):
    """A ratings panel's decision to move a standard's rating, with who and why."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="rating_overrides")
    standard = models.ForeignKey(Standard, on_delete=models.PROTECT, related_name="+")
    from_rating = models.CharField(max_length=32, choices=Rating.choices, blank=True)
    to_rating = models.CharField(max_length=32, choices=Rating.choices)
    reason = models.TextField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["inspection", "standard__order"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "standard"], name="override_unique_per_inspection_standard"),
            models.CheckConstraint(condition=Q(reason__regex=r"\S"), name="override_has_reason"),
            models.CheckConstraint(condition=~Q(from_rating=F("to_rating")), name="override_changes_rating"),
        ]
        # The panel's decisions are part of the published record, like the answers.
        triggers = [locked_inspection_trigger("rating_override_locked", "rec.inspection_id")]

    def __str__(self) -> str:
        return f"{self.inspection.reference} {self.standard.code}: {self.from_rating or '—'} → {self.to_rating}"


class RatingsSnapshot(models.Model):
    """The ratings as they stood when the panel confirmed them or the inspection was published.

    `result` holds the whole result with its inputs (key-question counts,
    judgements, overrides) and the framework's rules at the time, so the
    published rating can be shown and explained without recomputing it.
    """

    class Kind(models.TextChoices):
        PANEL_CONFIRMED = "panel_confirmed", "Confirmed by the ratings panel"
        PUBLISHED = "published", "Published"

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="ratings_snapshots")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    framework_code = models.SlugField()
    result = models.JSONField(encoder=DjangoJSONEncoder)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    max_score = models.PositiveSmallIntegerField()
    rating = models.CharField(max_length=32, choices=Rating.choices, blank=True)
    draft_cases = models.PositiveIntegerField(help_text="Case reviews still in draft or returned when it was taken")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["inspection", "-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(score__isnull=True) & Q(rating="")) | (Q(score__isnull=False) & ~Q(rating="")),
                name="snapshot_score_and_rating_together",
            ),
            models.CheckConstraint(condition=Q(score__lte=F("max_score")), name="snapshot_score_within_max"),
            models.CheckConstraint(
                condition=~Q(kind="published") | Q(score__isnull=False), name="snapshot_published_is_complete"
            ),
        ]
        indexes = [
            # inspection_ratings_for_display: the latest snapshot of a kind for an inspection.
            models.Index(fields=["inspection", "kind", "-created_at"], name="snapshot_latest_by_kind"),
        ]
        triggers = [
            # A snapshot is the record of what was confirmed or published: it never changes.
            pgtrigger.Trigger(
                name="snapshot_is_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
                when=pgtrigger.Before,
                func="""
                    RAISE EXCEPTION 'a ratings snapshot is a record and cannot be changed or deleted'
                        USING ERRCODE = 'check_violation', CONSTRAINT = 'snapshot_append_only';
                """,
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.inspection.reference} ratings {self.get_kind_display().lower()} at {self.created_at:%Y-%m-%d %H:%M}"
        )
