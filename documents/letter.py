"""The regional letter's content, built from the database in the seed's structure.

Letterhead and date, addressees and copy list, greeting, the regional observations by
heading, the summary, Annexe one (recommendations by inspected PDU, then addressee) and
Annexe two (each inspection's ratings from its published snapshot). Finding texts pass
through the live-figure resolver (`ratings.figures.resolve_figures`) when it is installed.
"""

from __future__ import annotations

import dataclasses
import importlib

from inspections.choices import Rating
from inspections.models import Addressee, Inspection, Recommendation, RegionalFinding, RegionalReview
from ratings import serialise
from ratings.selectors import latest_snapshots
from trackers.export import printable

from .content import LetterContent, PDURatings, RecommendationGroup, Section, StandardRating

LETTERHEAD = [
    "HM Inspectorate of Probation",
    "1st Floor, Manchester Civil Justice Centre, 1 Bridge Street West, Manchester M3 3FX",
    "enquiries.HMIProb@hmiprobation.gov.uk",
    "www.justiceinspectorates.gov.uk/hmiprobation",
]
DEFAULT_SIGNATORY = ["Justin Russell", "Chief Inspector of Probation"]
ADDRESSEE_ORDER = [Addressee.PDU, Addressee.REGION, Addressee.HMPPS]


def figure_resolver():
    """`ratings.figures.resolve_figures` when that module exists, else None (texts are used as written)."""
    try:
        module = importlib.import_module("ratings.figures")
    except ImportError:
        return None
    return getattr(module, "resolve_figures", None)


def resolve_text(text: str, *, inspection_ids: list[int]) -> str:
    resolve = figure_resolver()
    return resolve(text, inspection_ids=inspection_ids) if resolve is not None else text


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in (text or "").split("\n\n") if p.strip()]


def _lines(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [line.strip() for line in str(value).splitlines() if line.strip()]


def _join(names: list[str]) -> str:
    """'Somerset, Dorset, and Bristol and South Gloucestershire', as the seed lists them."""
    if len(names) <= 1:
        return "".join(names)
    if len(names) == 2:
        return f"{names[0]} and {names[1]}"
    return ", ".join(names[:-1]) + ", and " + names[-1]


def addressee_heading(pdu_name: str, region_name: str, addressee: str) -> str:
    return {
        Addressee.PDU: f"{pdu_name} PDU should:",
        Addressee.REGION: f"{region_name} region should:",
        Addressee.HMPPS: "HM Prison and Probation Service should:",
    }[addressee]


def review_inspections(review: RegionalReview, references: list[str] | None = None) -> list[Inspection]:
    """The review's inspections in the letter's order, the order they were inspected (as the seed lists
    Somerset, Dorset, then Bristol and South Gloucestershire), optionally narrowed. Not the order they
    were linked: Django adds many-to-many links from a set, so that order is not kept."""
    links = RegionalReview.inspections.through.objects.filter(regionalreview=review).order_by(
        "inspection__fieldwork_start", "inspection__reference"
    )
    inspections = [link.inspection for link in links.select_related("inspection__pdu__region", "inspection__framework")]
    if references:
        wanted = set(references)
        inspections = [i for i in inspections if i.reference in wanted]
    return inspections


def _greeting(review: RegionalReview) -> str:
    greeting = getattr(review, "greeting", "") or ""
    if greeting:
        return greeting
    first_name = (review.addressee or "").split(",")[0].split(" ")[0]
    return f"Dear {first_name}," if first_name else "Dear Regional Probation Director,"


def letter_content(*, review: RegionalReview, references: list[str] | None = None) -> LetterContent:
    region = review.region
    inspections = review_inspections(review, references)
    ids = [i.id for i in inspections]
    pdu_names = [i.pdu.name for i in inspections]

    findings = list(RegionalFinding.objects.filter(review=review).order_by("order"))
    sections = []
    for heading in RegionalFinding.Heading:
        of_heading = [f for f in findings if f.heading == heading]
        if not of_heading:
            continue
        by_kind = {kind: [] for kind in RegionalFinding.Kind}
        for finding in of_heading:
            by_kind[finding.kind].append(resolve_text(finding.text, inspection_ids=ids))
        sections.append(
            Section(
                heading=heading.label,
                narrative=by_kind[RegionalFinding.Kind.NARRATIVE],
                strengths=by_kind[RegionalFinding.Kind.STRENGTH],
                improvements=by_kind[RegionalFinding.Kind.IMPROVEMENT],
            )
        )

    recommendations = list(Recommendation.objects.filter(inspection_id__in=ids).order_by("inspection_id", "order"))
    annexe_one = []
    for inspection in inspections:
        for addressee in ADDRESSEE_ORDER:
            texts = [r.text for r in recommendations if r.inspection_id == inspection.id and r.addressee == addressee]
            if texts:
                annexe_one.append(
                    RecommendationGroup(
                        pdu=inspection.pdu.name,
                        addressee=addressee_heading(inspection.pdu.name, region.name, addressee),
                        recommendations=texts,
                    )
                )

    snapshots = latest_snapshots(ids, kind="published")
    annexe_two = []
    for inspection in inspections:
        snapshot = snapshots.get(inspection.id)
        if snapshot is None:
            continue  # not published: no ratings to report
        result = serialise.result_from_data(snapshot.result)
        annexe_two.append(
            PDURatings(
                pdu=inspection.pdu.name,
                inspection=inspection.reference,
                standards=[
                    StandardRating(code=s.code, title=s.title, rating=Rating(s.rating).label if s.rating else "")
                    for s in result.standards
                ],
                score=snapshot.score,
                max_score=snapshot.max_score,
                overall=Rating(snapshot.rating).label if snapshot.rating else "",
            )
        )

    signatory = _lines(getattr(review, "signatory", None)) or DEFAULT_SIGNATORY
    return _printable(
        LetterContent(
            title=f"{region.name} regional letter, {review.letter_date:%B %Y}",
            language="en-GB",
            letterhead=LETTERHEAD,
            date=review.letter_date,
            addressees=_lines(review.addressee),
            copy_to=_lines(getattr(review, "copy_to", None)),
            greeting=_greeting(review),
            introduction=_paragraphs(getattr(review, "introduction", ""))
            or [
                "Many thanks for the cooperation we received from you and your staff during the recent review of "
                f"the Probation Service – {region.name} region.",
                f"We have now completed the inspection of the {_join(pdu_names)} Probation Delivery Units (PDUs) in "
                "your region and would like to take this opportunity to share with you our overall findings and our "
                "key observations and areas for improvement at a regional level.",
            ],
            sections=sections,
            summary=[resolve_text(p, inspection_ids=ids) for p in _paragraphs(review.summary)],
            closing=[
                "Our recommendations from the inspected PDUs are set out in Annexe one. I look forward to receiving "
                "your regional action plan in due course, outlining how you will implement our recommendations. "
                "I wish you and all your staff well in undertaking this work.",
                "Yours sincerely",
            ],
            signatory=signatory,
            annexe_one=annexe_one,
            annexe_two=annexe_two,
        )
    )


def _printable(value):
    """The letter's texts without control characters (trackers.export.printable): python-docx refuses
    them, so one typed into a letter made its DOCX fail, and the PDF's fonts have no glyph for them."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, list):
        return [_printable(item) for item in value]
    if dataclasses.is_dataclass(value):
        return dataclasses.replace(
            value, **{f.name: _printable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        )
    return value
