"""The South West's action plan against the 2023 recommendations: a response to each, a few actions, some notes.

Loaded only for a recommendation that has no response yet, so what people change in the browser
survives `make run`, and a second run writes nothing. The dates are fixed: some actions were
complete in 2024, some were due in 2025 and are still open (overdue), the rest fall due in 2027.
"""

from __future__ import annotations

import datetime

import pghistory

from accounts.models import User
from inspections.models import Addressee, Recommendation, Standard
from trackers.models import Action, ProgressNote, RecommendationResponse

from . import plan as demo_plan

DIRECTOR_EMAIL = "director.southwest@demo.test"
INTRANET = "https://intranet.probation.example/south-west/action-plan"

# The standard a recommendation concerns, from the first of these words found in its text.
STANDARD_WORDS = (
    ("court", "2.1"),
    ("assess", "2.2"),
    ("plan", "2.3"),
    ("risk of harm", "2.2"),
    ("staff", "1.2"),
    ("workload", "1.2"),
    ("training", "1.2"),
    ("interventions", "1.3"),
    ("services", "1.3"),
    ("oversight", "1.1"),
    ("leader", "1.1"),
    ("accommodation", "1.4"),
)

ACTIONS = (
    "Brief every team on the recommendation and the findings behind it at the next all-staff meeting, "
    "and record who attended.",
    "Audit 20 cases a quarter against the recommendation and report the results to the senior leadership team.",
    "Review the delivery plan against the recommendation, agree the changes with partners and publish it.",
)


def _owner(recommendation: Recommendation) -> tuple[str, str]:
    pdu = recommendation.inspection.pdu
    if recommendation.addressee == Addressee.PDU:
        return f"Head of {pdu.name} PDU", f"head.{pdu.slug}@probation.example"
    if recommendation.addressee == Addressee.REGION:
        return "Head of Performance and Quality, South West", "quality.south-west@probation.example"
    return "Regional lead for national programmes, South West", "programmes.south-west@probation.example"


def _narrative(recommendation: Recommendation) -> str:
    pdu = recommendation.inspection.pdu
    if recommendation.addressee == Addressee.PDU:
        return (
            f"The head of {pdu.name} PDU leads this work and reports its progress to the regional "
            "senior leadership team each quarter."
        )
    if recommendation.addressee == Addressee.REGION:
        return "The regional director's team leads this work across the nine PDUs and reports on it each quarter."
    return "The region contributes to HMPPS's national response and acts locally where it can, as below."


def _standard(recommendation: Recommendation, standards: dict[str, Standard]) -> Standard | None:
    text = recommendation.text.lower()
    return next((standards[code] for word, code in STANDARD_WORDS if word in text), None)


def _actions(index: int) -> list[dict]:
    """The demo's actions for the `index`th recommendation: complete, then overdue or open, then future."""
    first = {
        "status": Action.Status.COMPLETE,
        "rag": Action.Rag.GREEN,
        "due_date": datetime.date(2024, 3, 31),
        "notes": [
            (datetime.date(2024, 2, 12), "Briefings held in every team; 94 per cent of staff attended.", "briefings"),
            (datetime.date(2024, 3, 28), "The last catch-up session was held for staff on leave.", ""),
        ],
    }
    if index % 3 == 0:  # still open long after it was due
        second = {
            "status": Action.Status.IN_PROGRESS,
            "rag": Action.Rag.RED,
            "due_date": datetime.date(2025, 9, 30),
            "notes": [(datetime.date(2025, 7, 15), "First audit done; the second is delayed by vacancies.", "audit")],
        }
    else:
        second = {
            "status": Action.Status.IN_PROGRESS,
            "rag": Action.Rag.AMBER if index % 3 == 1 else Action.Rag.GREEN,
            "due_date": datetime.date(2027, 3, 31),
            "notes": [(datetime.date(2025, 10, 1), "Two quarterly audits done and reported.", "")],
        }
    actions = [first, second]
    if index % 2 == 0:
        actions.append(
            {
                "status": Action.Status.NOT_STARTED,
                "rag": Action.Rag.GREEN,
                "due_date": datetime.date(2027, 9, 30),
                "notes": [],
            }
        )
    return actions


def load_trackers(*, summary) -> None:
    """Responses, actions and notes for every South West 2023 recommendation that has no response yet."""
    director = User.objects.get(email=DIRECTOR_EMAIL)
    references = [spec.reference for spec in demo_plan.INSPECTIONS]
    recommendations = (
        Recommendation.objects.filter(inspection__reference__in=references, response__isnull=True)
        .select_related("inspection__pdu", "inspection__framework")
        .order_by("inspection__reference", "order")
    )
    with pghistory.context(user=director.pk, source="load_demo", reason="the South West's action plan"):
        for index, recommendation in enumerate(recommendations):
            standards = {s.code: s for s in recommendation.inspection.framework.standards.all()}
            response = RecommendationResponse.objects.create(
                recommendation=recommendation,
                answer=RecommendationResponse.Answer.PARTLY_AGREED
                if index % 8 == 7
                else RecommendationResponse.Answer.AGREED,
                narrative=_narrative(recommendation),
                standard=_standard(recommendation, standards),
                responded_by=director,
                responded_at=datetime.datetime(2023, 10, 20, 12, 0, tzinfo=demo_plan.PUBLISHED_AT.tzinfo),
            )
            summary.created["Recommendation responses"] += 1
            owner_name, owner_email = _owner(recommendation)
            for number, (description, spec) in enumerate(zip(ACTIONS, _actions(index), strict=False), start=1):
                action = Action.objects.create(
                    response=response,
                    number=number,
                    description=description,
                    owner_name=owner_name,
                    owner_email=owner_email,
                    due_date=spec["due_date"],
                    status=spec["status"],
                    rag=spec["rag"],
                )
                summary.created["Actions"] += 1
                for date, text, evidence in spec["notes"]:
                    ProgressNote.objects.create(
                        action=action,
                        date=date,
                        text=text,
                        evidence_url=f"{INTRANET}/{recommendation.inspection.reference.lower()}/{evidence}"
                        if evidence
                        else "",
                        by=director,
                    )
                    summary.created["Progress notes"] += 1
