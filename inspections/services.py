"""The writes of the inspections app that are not about locking (see `locking.py`)."""

from __future__ import annotations

import datetime

import pghistory
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import User
from regions.models import PDU

from .access import require_lead
from .choices import Rating
from .errors import Refused
from .models import Framework, Inspection, OrganisationalJudgement, Standard, reference_validator

DEFAULT_FRAMEWORK = "pdu-2021"


def inspection_create(
    *,
    reference: str,
    pdu: PDU | str,
    fieldwork_start: datetime.date,
    framework: Framework | str = DEFAULT_FRAMEWORK,
) -> Inspection:
    """Plan a new inspection of a PDU. `pdu` may be given by slug and `framework` by code.

    Every problem is reported at once, by field, in a ValidationError; nothing is written
    unless the whole input is good.
    """
    errors: dict[str, list[str]] = {}
    reference = reference.strip()
    try:
        reference_validator(reference)
    except ValidationError as error:
        errors.setdefault("reference", []).extend(error.messages)
    else:
        if Inspection.objects.filter(reference=reference).exists():
            errors.setdefault("reference", []).append(f"An inspection with the reference {reference} already exists")
    if isinstance(pdu, str):
        found = PDU.objects.filter(slug=pdu).first()
        if found is None:
            errors.setdefault("pdu", []).append(f"There is no PDU with the slug {pdu!r}")
        pdu = found
    if isinstance(framework, str):
        found = Framework.objects.filter(code=framework).first()
        if found is None:
            known = ", ".join(Framework.objects.values_list("code", flat=True))
            errors.setdefault("framework", []).append(f"There is no framework {framework!r}; known: {known}")
        framework = found
    if not isinstance(fieldwork_start, datetime.date):
        errors.setdefault("fieldwork_start", []).append("Give the fieldwork start as a date")
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            return Inspection.objects.create(
                reference=reference, pdu=pdu, framework=framework, fieldwork_start=fieldwork_start
            )
    except IntegrityError as error:
        # Two requests for the same new reference at once: the unique constraint decides.
        if Inspection.objects.filter(reference=reference).exists():
            raise ValidationError(
                {"reference": [f"An inspection with the reference {reference} already exists"]}
            ) from error
        raise


def _for_update(inspection: Inspection) -> Inspection:
    """Re-read the inspection under a row lock, so a change cannot interleave with publishing."""
    return Inspection.objects.select_for_update().get(pk=inspection.pk)


def organisational_judgement_record(
    *, inspection: Inspection, standard: Standard, rating: Rating | str, rationale: str, by: User
) -> OrganisationalJudgement:
    """Record (or replace) the team's rating of a domain one standard, with the rationale behind it.

    Only standards the framework rates by judgement take one: a case-based
    standard's rating comes from the case data, and the ratings panel moves it
    with an override instead.
    """
    require_lead(inspection=inspection, by=by, action="record the team's judgements")
    errors: dict[str, list[str]] = {}
    rationale = (rationale or "").strip()
    if rating not in Rating.values:
        errors.setdefault("rating", []).append("Choose a rating: Outstanding, Good, Requires improvement or Inadequate")
    if not rationale:
        errors.setdefault("rationale", []).append("Give the rationale for the rating, linked to the evidence")
    if standard.framework_id != inspection.framework_id:
        errors.setdefault("standard", []).append(
            f"Standard {standard.code} is not part of {inspection.reference}'s framework"
        )
    elif standard.rated_by != Standard.RatedBy.JUDGEMENT:
        errors.setdefault("standard", []).append(
            f"{standard.code} {standard.title} is rated from the case data, not by judgement: "
            "ask the ratings panel to move its rating instead"
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), pghistory.context(user=by.pk, reason=f"judgement on {standard.code} recorded"):
        current = _for_update(inspection)
        if current.is_locked:
            raise Refused(
                f"{current.reference} is published and locked: unlock it with a reason before changing a judgement",
                code="locked",
            )
        judgement, _ = OrganisationalJudgement.objects.update_or_create(
            inspection=current,
            standard=standard,
            defaults={"rating": Rating(rating), "rationale": rationale, "recorded_by": by},
        )
    return judgement


# Publishing, the last step, takes the ratings snapshot: see ratings.services.inspection_publish.
ADVANCE_TO = {
    Inspection.Status.PLANNED: Inspection.Status.FIELDWORK,
    Inspection.Status.FIELDWORK: Inspection.Status.MODERATION,
    Inspection.Status.MODERATION: Inspection.Status.RATINGS_PANEL,
}


def inspection_advance(*, inspection: Inspection, by: User, expected_status: str | None = None) -> Inspection:
    """Move an inspection one step forward: planned → fieldwork → moderation → ratings panel.

    `expected_status` is the status the user saw: when it has moved on since (a
    second click, another lead), nothing changes, so a step is never skipped.
    """
    require_lead(inspection=inspection, by=by, action="move it to its next stage")
    with transaction.atomic(), pghistory.context(user=by.pk):
        current = _for_update(inspection)
        if expected_status is not None and current.status != expected_status:
            raise Refused(
                f"{current.reference} has already moved to {current.get_status_display().lower()}: nothing was changed",
                code="stale",
            )
        following = ADVANCE_TO.get(current.status)
        if following is None:
            if current.status == Inspection.Status.RATINGS_PANEL:
                message = f"{current.reference} is at the ratings panel: its next step is publication"
            else:
                message = f"{current.reference} is published: it has no further stage"
            raise Refused(message, code="wrong_state")
        current.status = following
        current.save(update_fields=["status", "updated_at"])
    inspection.status = current.status
    return current
