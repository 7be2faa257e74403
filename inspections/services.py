"""The writes of the inspections app that are not about locking (see `locking.py`)."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from regions.models import PDU

from .models import Framework, Inspection, reference_validator

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
