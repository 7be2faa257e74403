"""A second demo inspection, still in fieldwork, so that the case review workflow can be tried.

The South West 2023 inspections are published and locked. `SW-CIS-2026` (Cornwall and
Isles of Scilly) is mid-fieldwork: ten sampled cases with their details entered and no
answers yet, most assigned to inspector@demo.test, two to the lead. Cases are only ever
added when missing, never changed, so work done in the browser survives `make run`.
"""

from __future__ import annotations

import datetime

from accounts.models import User
from casework.models import CaseReview
from casework.services import case_review_create
from inspections.models import Framework, Inspection, TeamMember
from regions.models import PDU

REFERENCE = "SW-CIS-2026"
PDU_SLUG = "cornwall-and-isles-of-scilly"
FIELDWORK_START = datetime.date(2026, 11, 9)

# (case reference, case type, court report, RoSH, gender, ethnicity, age band, assigned to the lead?)
CASES = [
    ("X710001", "community", "standard", "medium", "male", "white", "25-34", False),
    ("X710002", "community", "none", "high", "male", "white", "35-49", False),
    ("X710003", "licence", "none", "high", "male", "black", "25-34", False),
    ("X710004", "community", "short_format", "low", "female", "white", "18-24", False),
    ("X710005", "licence", "none", "very_high", "male", "mixed", "35-49", False),
    ("X710006", "unpaid_work", "oral", "low", "male", "white", "50+", False),
    ("X710007", "community", "none", "medium", "female", "asian", "25-34", False),
    ("X710008", "licence", "none", "medium", "male", "white", "18-24", False),
    ("X710009", "community", "standard", "medium", "male", "white", "35-49", True),
    ("X710010", "licence", "none", "high", "female", "white", "50+", True),
]


def load_fieldwork_inspection(*, pdus: dict[str, PDU], framework: Framework, users: dict[str, User], summary) -> None:
    inspector, lead = users["inspector@demo.test"], users["lead@demo.test"]
    inspection, created = Inspection.objects.get_or_create(
        reference=REFERENCE,
        defaults={
            "pdu": pdus[PDU_SLUG],
            "framework": framework,
            "fieldwork_start": FIELDWORK_START,
            "status": Inspection.Status.FIELDWORK,
        },
    )
    if created:
        summary.created["Inspections"] += 1
    for user, role in ((inspector, TeamMember.Role.INSPECTOR), (lead, TeamMember.Role.LEAD_INSPECTOR)):
        _, added = TeamMember.objects.get_or_create(inspection=inspection, user=user, defaults={"role": role})
        summary.created["Team members"] += added
    existing = set(CaseReview.objects.filter(inspection=inspection).values_list("case_reference", flat=True))
    for reference, case_type, court_report, rosh, gender, ethnicity, age_band, to_lead in CASES:
        if reference in existing:
            continue
        case_review_create(
            inspection=inspection,
            case_reference=reference,
            inspector=lead if to_lead else inspector,
            by=lead,
            case_type=case_type,
            court_report=court_report,
            tier="B" if rosh in ("medium", "low") else "C",
            rosh_level=rosh,
            gender=gender,
            ethnicity_group=ethnicity,
            age_band=age_band,
            disability="no",
            practitioner_grade="po" if rosh in ("high", "very_high") else "pso",
            practitioner_months_in_service=30,
            same_practitioner=True,
        )
        summary.created["Case reviews"] += 1
