from django.conf import settings
from django.db import models
from django.db.models import F, Q

from inspections.choices import Rating
from inspections.models import Inspection, Standard


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

    def __str__(self) -> str:
        return f"{self.inspection.reference} {self.standard.code}: {self.from_rating or '—'} → {self.to_rating}"
