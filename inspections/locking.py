"""Unlocking a published inspection to correct it, and logging why.

Publishing (and locking again by republishing) lives in `ratings.services`,
because it takes the ratings snapshot; the snapshot taken at publication is
kept whatever happens here.
"""

from __future__ import annotations

import pghistory
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User

from .access import require_lead
from .errors import Refused
from .models import Inspection, LockEvent


def inspection_unlock(*, inspection: Inspection, by: User, reason: str) -> Inspection:
    if not reason.strip():
        raise ValidationError({"reason": "Give a reason for unlocking a published inspection"})
    require_lead(inspection=inspection, by=by, action="unlock it")
    with transaction.atomic(), pghistory.context(user=by.pk, reason=reason.strip()):
        current = Inspection.objects.select_for_update().get(pk=inspection.pk)
        if not current.is_locked:
            raise Refused("This inspection is not locked.", code="wrong_state")
        # The lock event first: the database accepts the change only with it (inspection_publication_guard).
        LockEvent.objects.create(inspection=current, action=LockEvent.Action.UNLOCKED, reason=reason.strip(), by=by)
        current.unlocked_at = timezone.now()
        current.save(update_fields=["unlocked_at", "updated_at"])
    return current


def inspection_relock(*, inspection: Inspection, by: User, reason: str) -> Inspection:
    """Lock again without republishing; ratings.services.inspection_publish also relocks with a new snapshot."""
    require_lead(inspection=inspection, by=by, action="lock it")
    with transaction.atomic():
        current = Inspection.objects.select_for_update().get(pk=inspection.pk)
        if not current.is_open_for_correction:
            raise Refused("This inspection is not unlocked.", code="wrong_state")
        LockEvent.objects.create(
            inspection=current, action=LockEvent.Action.RELOCKED, reason=reason.strip() or "corrections finished", by=by
        )
        current.unlocked_at = None
        current.save(update_fields=["unlocked_at", "updated_at"])
    return current
