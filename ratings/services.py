"""The ratings panel's decisions, snapshots and publication: the writes of the ratings app."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from inspections.access import require_lead
from inspections.choices import Rating
from inspections.errors import Refused
from inspections.models import Inspection, LockEvent, Standard
from inspections.services import ADVANCE_TO, inspection_advance

from . import serialise
from .explain import label
from .models import RatingOverride, RatingsSnapshot
from .selectors import draft_case_counts, inspection_ratings


def _locked_for_update(inspection: Inspection) -> Inspection:
    """Re-read the inspection under a row lock, so a decision and a publication cannot interleave."""
    return Inspection.objects.select_for_update().select_related("framework").get(pk=inspection.pk)


def rating_override_record(
    *, inspection: Inspection, standard: Standard, to_rating: Rating | str, reason: str, by: User
) -> RatingOverride:
    """Record the ratings panel moving a standard's rating; replaces the panel's earlier decision on it.

    `from_rating` is the rating the rules derive at the moment of the decision, so
    the record shows what the panel moved away from.
    """
    if not reason or not reason.strip():
        raise ValidationError("A ratings panel override needs a reason: say why the rating moves.", code="no_reason")
    if to_rating not in Rating.values:
        raise ValidationError(f"{to_rating!r} is not a rating", code="bad_rating")
    to_rating = Rating(to_rating)
    require_lead(inspection=inspection, by=by, action="record a ratings panel decision")
    if standard.rated_by == Standard.RatedBy.JUDGEMENT:
        # The team's judgement is already the panel's call: it is changed on its own page, with its rationale.
        raise Refused(
            f"{standard.code} {standard.title} is rated by the team's judgement: change the judgement "
            "and its rationale instead of recording a ratings panel override",
            code="judgement_standard",
        )
    with transaction.atomic():
        inspection = _locked_for_update(inspection)
        if inspection.is_locked:
            raise Refused(
                f"{inspection.reference} is published and locked: its ratings can no longer be moved", code="locked"
            )
        if standard.framework_id != inspection.framework_id:
            raise ValidationError(
                f"Standard {standard.code} is not part of {inspection.reference}'s framework", code="wrong_framework"
            )
        derived = inspection_ratings(inspection).standard(standard.code).derived_rating
        if derived == to_rating:
            raise ValidationError(
                f"{standard.code} is already {label(derived)} without an override; "
                "remove the panel's override instead if one is recorded",
                code="no_change",
            )
        # Delete then create, so decided_at and decided_by name the latest decision;
        # the history of earlier decisions is kept by pghistory.
        RatingOverride.objects.filter(inspection=inspection, standard=standard).delete()
        return RatingOverride.objects.create(
            inspection=inspection,
            standard=standard,
            from_rating=derived or "",
            to_rating=to_rating,
            reason=reason.strip(),
            decided_by=by,
        )


def rating_override_remove(*, inspection: Inspection, standard: Standard, by: User) -> None:
    """Withdraw the ratings panel's override, so the standard takes its derived rating again."""
    require_lead(inspection=inspection, by=by, action="withdraw a ratings panel decision")
    with transaction.atomic():
        inspection = _locked_for_update(inspection)
        if inspection.is_locked:
            raise Refused(
                f"{inspection.reference} is published and locked: its ratings can no longer be moved", code="locked"
            )
        deleted, _ = RatingOverride.objects.filter(inspection=inspection, standard=standard).delete()
        if not deleted:
            raise Refused(f"{standard.code} has no ratings panel override to remove", code="wrong_state")


def _recorded(row, *, at_field: str, at: datetime.datetime | None):
    """Insert a row of an append-only log, at `at` when given (records entered after the fact).

    `auto_now_add` stamps the time of the insert; a raw save keeps the given time instead,
    and the append-only triggers mean it can be set only now, at the insert.
    """
    if at is None:
        row.save()
    else:
        setattr(row, at_field, at)
        row.save_base(raw=True)
    return row


def _take(*, inspection: Inspection, kind: str, by: User, at: datetime.datetime | None = None) -> RatingsSnapshot:
    result = inspection_ratings(inspection)
    if result.score is None:
        missing = "; ".join(f"{code}: {why}" for code, why in result.missing.items())
        raise Refused(
            f"{inspection.reference} cannot be confirmed or published while standards have no rating ({missing})",
            code="incomplete",
        )
    snapshot = RatingsSnapshot(
        inspection=inspection,
        kind=kind,
        framework_code=result.framework,
        result=serialise.result_to_data(result),
        score=result.score,
        max_score=result.max_score,
        rating=result.rating,
        draft_cases=draft_case_counts([inspection.id]).get(inspection.id, 0),
        created_by=by,
    )
    return _recorded(snapshot, at_field="created_at", at=at)


def ratings_snapshot_take(*, inspection: Inspection, kind: RatingsSnapshot.Kind | str, by: User) -> RatingsSnapshot:
    """Store the ratings as they stand, with their inputs and the framework's rules.

    The panel confirms at the ratings panel stage; a published snapshot is taken
    by `inspection_publish` (or after a correction to an unlocked, published
    inspection) and is what published ratings are read from.
    """
    kind = RatingsSnapshot.Kind(kind)
    require_lead(inspection=inspection, by=by, action="confirm or publish its ratings")
    with transaction.atomic():
        inspection = _locked_for_update(inspection)
        if kind == RatingsSnapshot.Kind.PANEL_CONFIRMED and inspection.status != Inspection.Status.RATINGS_PANEL:
            raise Refused(
                f"{inspection.reference} is at {inspection.get_status_display().lower()}, not the ratings panel: "
                "the panel cannot confirm its ratings now",
                code="wrong_state",
            )
        if kind == RatingsSnapshot.Kind.PUBLISHED and not inspection.is_published:
            raise Refused(
                f"{inspection.reference} is not published: publish it with inspection_publish", code="wrong_state"
            )
        return _take(inspection=inspection, kind=kind, by=by)


def inspection_move_on(
    *, inspection: Inspection, by: User, expected_status: str | None = None, unfinished_confirmed: bool = False
) -> Inspection:
    """Move an inspection to its next stage (`inspections.services.inspection_advance`).

    Moving to moderation while case reviews are not yet submitted (not started, in progress
    or returned) is refused (code "unfinished_cases", saying how many) unless the lead has
    confirmed it: their answers would then be moderated, and rated, half-written.
    """
    current = expected_status or inspection.status
    if ADVANCE_TO.get(current) == Inspection.Status.MODERATION and not unfinished_confirmed:
        unfinished = draft_case_counts([inspection.id]).get(inspection.id, 0)
        if unfinished:
            cases = f"{unfinished} case review{'s' if unfinished != 1 else ''}"
            raise Refused(
                f"{inspection.reference} has {cases} not yet submitted "
                "(not started, in progress or returned): confirm that it moves to moderation anyway",
                code="unfinished_cases",
            )
    return inspection_advance(inspection=inspection, by=by, expected_status=expected_status)


def inspection_publish(
    *,
    inspection: Inspection,
    by: User,
    published_on: datetime.date | None = None,
    at: datetime.datetime | None = None,
) -> RatingsSnapshot:
    """Publish an inspection: status, date, lock and the published ratings snapshot, all or nothing.

    An inspection at the ratings panel is published; a published inspection that
    a lead unlocked for a correction is republished: locked again, with a new
    published snapshot (its publication date stays unless `published_on` is
    given). Either way every standard must be rated and no case review may still
    be in draft: a published rating must rest on finished case reviews and must
    never be a partial score. `at` dates the snapshot and the lock event of a
    publication recorded after the fact (the demo's 2023 inspections); now by default.
    """
    require_lead(inspection=inspection, by=by, action="publish it")
    with transaction.atomic():
        locked = _locked_for_update(inspection)
        republishing = locked.is_open_for_correction
        if locked.is_locked:
            raise Refused(f"{locked.reference} is already published and locked", code="locked")
        if locked.status != Inspection.Status.RATINGS_PANEL and not republishing:
            raise Refused(
                f"{locked.reference} is at {locked.get_status_display().lower()}: "
                "only an inspection at the ratings panel can be published",
                code="wrong_state",
            )
        drafts = draft_case_counts([locked.id]).get(locked.id, 0)
        if drafts:
            raise Refused(
                f"{locked.reference} has {drafts} case review{'s' if drafts != 1 else ''} not yet submitted "
                "(not started, in progress or returned): submit or archive them before publishing",
                code="incomplete",
            )
        snapshot = _take(inspection=locked, kind=RatingsSnapshot.Kind.PUBLISHED, by=by, at=at)
        # The lock event first: the database accepts the change only with it (inspection_publication_guard).
        lock_event = LockEvent(
            inspection=locked,
            action=LockEvent.Action.REPUBLISHED if republishing else LockEvent.Action.PUBLISHED,
            reason="Republished after corrections, with a new published ratings snapshot"
            if republishing
            else "Published with the ratings panel's confirmed ratings",
            by=by,
        )
        _recorded(lock_event, at_field="at", at=at)
        locked.status = Inspection.Status.PUBLISHED
        locked.published_on = published_on or locked.published_on or timezone.localdate()
        locked.unlocked_at = None
        locked.save(update_fields=["status", "published_on", "unlocked_at", "updated_at"])
    inspection.status, inspection.published_on, inspection.unlocked_at = (
        locked.status,
        locked.published_on,
        locked.unlocked_at,
    )
    return snapshot
