"""A case's state (`inspections.choices.Progress`) computed by the database, for lists and single cases alike.

The SQL twin of `inspections.choices.progress_of`: one rule, so a case reads the same on
home, the inspection page, the case page and the ratings text.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Case, Exists, F, OuterRef, QuerySet, Value, When

from inspections.choices import Progress

from .models import Answer, CaseReview


def with_progress(reviews: QuerySet[CaseReview]) -> QuerySet[CaseReview]:
    """Annotate `progress` (a `Progress` value) and its `progress_label`, so pages can show and filter on it in SQL."""
    return reviews.annotate(
        progress=Case(
            When(archived_at__isnull=False, then=Value(Progress.ARCHIVED.value)),
            When(
                status=CaseReview.Status.DRAFT,
                then=Case(
                    When(
                        Exists(Answer.objects.filter(case_review=OuterRef("pk"))),
                        then=Value(Progress.IN_PROGRESS.value),
                    ),
                    default=Value(Progress.NOT_STARTED.value),
                ),
            ),
            default=F("status"),
            output_field=models.CharField(),
        )
    ).annotate(
        progress_label=Case(
            *(When(progress=p.value, then=Value(p.label)) for p in Progress),
            output_field=models.CharField(),
        )
    )
