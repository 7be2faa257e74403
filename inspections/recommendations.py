"""Writing an inspection's recommendations: add, edit, reorder and delete, by its lead.

Recommendations lock with their inspection: once it is published (and not unlocked with
a reason) every change is refused here with code "locked", and the database trigger
`recommendation_locked` refuses it on every other path. Each write is in the history,
with who and why.
"""

from __future__ import annotations

import pghistory
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from accounts.models import User

from .access import require_lead
from .errors import Refused
from .models import Addressee, Inspection, Recommendation


def _checked(*, addressee: str, text: str) -> str:
    errors: dict[str, list[str]] = {}
    text = (text or "").strip()
    if addressee not in Addressee.values:
        errors["addressee"] = ["Choose who the recommendation is for: the PDU, the region or HMPPS"]
    if not text:
        errors["text"] = ["Enter the recommendation"]
    if errors:
        raise ValidationError(errors)
    return text


def _open(inspection: Inspection) -> Inspection:
    """The inspection under a row lock, refused when it is published and locked."""
    current = Inspection.objects.select_for_update().get(pk=inspection.pk)
    if current.is_locked:
        raise Refused(
            f"{current.reference} is published and locked: its recommendations cannot change "
            "unless its lead unlocks it with a reason",
            code="locked",
        )
    return current


def recommendation_create(*, inspection: Inspection, addressee: str, text: str, by: User) -> Recommendation:
    """A new recommendation, numbered after the inspection's last."""
    require_lead(inspection=inspection, by=by, action="write its recommendations")
    text = _checked(addressee=addressee, text=text)
    with transaction.atomic():
        current = _open(inspection)
        order = (Recommendation.objects.filter(inspection=current).aggregate(m=Max("order"))["m"] or 0) + 1
        with pghistory.context(user=by.pk, reason=f"recommendation {order} of {current.reference} added"):
            return Recommendation.objects.create(inspection=current, addressee=addressee, text=text, order=order)


def recommendation_update(*, recommendation: Recommendation, addressee: str, text: str, by: User) -> Recommendation:
    require_lead(inspection=recommendation.inspection, by=by, action="change its recommendations")
    text = _checked(addressee=addressee, text=text)
    with transaction.atomic():
        current = _open(recommendation.inspection)
        recommendation = Recommendation.objects.select_for_update().get(pk=recommendation.pk)
        recommendation.addressee, recommendation.text = addressee, text
        with pghistory.context(
            user=by.pk, reason=f"recommendation {recommendation.order} of {current.reference} changed"
        ):
            recommendation.save(update_fields=["addressee", "text"])
    return recommendation


def recommendation_delete(*, recommendation: Recommendation, by: User) -> None:
    """Remove a recommendation; the ones after it move up, so the numbers stay 1, 2, 3…"""
    require_lead(inspection=recommendation.inspection, by=by, action="delete its recommendations")
    with transaction.atomic():
        current = _open(recommendation.inspection)
        recommendation = Recommendation.objects.select_for_update().get(pk=recommendation.pk)
        with pghistory.context(
            user=by.pk, reason=f"recommendation {recommendation.order} of {current.reference} deleted"
        ):
            removed = recommendation.order
            recommendation.delete()
            for later in Recommendation.objects.filter(inspection=current, order__gt=removed).order_by("order"):
                later.order -= 1
                later.save(update_fields=["order"])


def recommendation_move(*, recommendation: Recommendation, up: bool, by: User) -> Recommendation:
    """Swap a recommendation with the one before it (`up`) or after it; at either end nothing changes."""
    require_lead(inspection=recommendation.inspection, by=by, action="reorder its recommendations")
    with transaction.atomic():
        current = _open(recommendation.inspection)
        mine = list(Recommendation.objects.select_for_update().filter(inspection=current).order_by("order"))
        index = next(i for i, r in enumerate(mine) if r.pk == recommendation.pk)
        other_index = index - 1 if up else index + 1
        if not 0 <= other_index < len(mine):
            return mine[index]
        a, b = mine[index], mine[other_index]
        with pghistory.context(
            user=by.pk, reason=f"recommendation {a.order} of {current.reference} moved {'up' if up else 'down'}"
        ):
            spare = max(r.order for r in mine) + 1
            a_order, b_order = a.order, b.order
            a.order = spare
            a.save(update_fields=["order"])
            b.order = a_order
            b.save(update_fields=["order"])
            a.order = b_order
            a.save(update_fields=["order"])
        return a
