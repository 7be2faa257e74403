"""Reads of case reviews for the lists: an inspection's case list and an inspector's own cases.

Each function costs one query whatever the number of cases: the progress of a case
is computed by the database (`with_progress`), never by a query per row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Case, Count, QuerySet, Value, When

from accounts.models import User
from inspections.choices import Progress
from inspections.models import Inspection

from .access import case_reviews_visible_to
from .models import CaseReview
from .states import with_progress

# Cases that count as done for the sample's progress: the inspector has finished with them.
FINISHED = (Progress.SUBMITTED, Progress.MODERATED)


def inspection_case_list(
    *,
    user: User,
    inspection: Inspection,
    inspector: str = "",
    progress: str = "",
    case_type: str = "",
) -> QuerySet[CaseReview]:
    """An inspection's cases as `user` may see them, optionally filtered.

    `inspector` is a user id, or "none" for cases nobody is assigned to.
    """
    reviews = with_progress(
        case_reviews_visible_to(user).filter(inspection=inspection).select_related("inspector")
    ).order_by("case_reference")
    if inspector == "none":
        reviews = reviews.filter(inspector__isnull=True)
    elif inspector:
        reviews = reviews.filter(inspector_id=inspector)
    if progress:
        reviews = reviews.filter(progress=progress)
    if case_type:
        reviews = reviews.filter(case_type=case_type)
    return reviews


@dataclass
class SampleProgress:
    """How far the inspection team has got through a case sample."""

    counts: Counter = field(default_factory=Counter)  # Progress value → number of cases

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def finished(self) -> int:
        return sum(self.counts[p] for p in FINISHED)

    @property
    def awaiting_quality_assurance(self) -> int:
        return self.counts[Progress.SUBMITTED]

    @property
    def by_progress(self) -> list[tuple[str, str, int]]:
        """(value, label, count) for every state with cases, in workflow order."""
        return [(p.value, p.label, self.counts[p]) for p in Progress if self.counts[p]]


def sample_progress(*, user: User, inspection: Inspection) -> SampleProgress:
    rows = (
        with_progress(case_reviews_visible_to(user).filter(inspection=inspection))
        .values("progress")
        .annotate(n=Count("id"))
        .order_by()
    )
    return SampleProgress(counts=Counter({row["progress"]: row["n"] for row in rows}))


@dataclass
class InspectorWork:
    """One inspection's sample, and the share of it assigned to one inspector."""

    sample: SampleProgress = field(default_factory=SampleProgress)
    mine: SampleProgress = field(default_factory=SampleProgress)


def inspector_work(*, user: User, inspections: Iterable[Inspection]) -> dict[int, InspectorWork]:
    """Per inspection id: progress across the sample and across `user`'s own cases, in one query."""
    ids = [i.id for i in inspections]
    rows = (
        with_progress(case_reviews_visible_to(user).filter(inspection_id__in=ids))
        .annotate(mine=Case(When(inspector=user, then=Value(True)), default=Value(False)))
        .values("inspection_id", "progress", "mine")
        .annotate(n=Count("id"))
        .order_by()
    )
    work = {inspection_id: InspectorWork() for inspection_id in ids}
    for row in rows:
        entry = work[row["inspection_id"]]
        entry.sample.counts[row["progress"]] += row["n"]
        if row["mine"]:
            entry.mine.counts[row["progress"]] += row["n"]
    return work


def cases_assigned_to(user: User) -> QuerySet[CaseReview]:
    """The cases `user` is assigned to, on inspections they may see, returned ones first within each inspection."""
    return (
        with_progress(case_reviews_visible_to(user).filter(inspector=user))
        .select_related("inspection")
        .annotate(
            needs_attention=Case(When(status=CaseReview.Status.RETURNED, then=Value(0)), default=Value(1)),
        )
        .order_by("inspection__reference", "needs_attention", "case_reference")
    )
