"""The content model of the regional letter: one structure, rendered as DOCX and as PDF.

Built from the database by `documents.letter.letter_content` (figures resolved, ratings
from the published snapshots); the renderers only lay it out, so both formats always say
the same thing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Section:
    """A heading of the regional observations (Leadership, Staff, …) with its paragraphs and bullets."""

    heading: str
    narrative: list[str] = field(default_factory=list)
    strengths: list[str] = field(default_factory=list)
    improvements: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RecommendationGroup:
    """Annexe one: one inspected PDU's recommendations to one addressee (the PDU, the region, HMPPS)."""

    pdu: str
    addressee: str
    recommendations: list[str]


@dataclass(frozen=True)
class StandardRating:
    code: str
    title: str
    rating: str  # the rating's label, e.g. "Requires improvement"


@dataclass(frozen=True)
class PDURatings:
    """Annexe two: one PDU's ratings from its published snapshot."""

    pdu: str
    inspection: str
    standards: list[StandardRating]
    score: int | None
    max_score: int
    overall: str


@dataclass(frozen=True)
class LetterContent:
    title: str  # the document's title, e.g. "South West regional letter, August 2023"
    language: str  # "en-GB"
    letterhead: list[str]  # the inspectorate's name and address lines
    date: datetime.date
    addressees: list[str]
    copy_to: list[str]
    greeting: str  # "Dear Angela,"
    introduction: list[str]
    sections: list[Section]
    summary: list[str]
    closing: list[str]
    signatory: list[str]  # name, then title lines
    annexe_one: list[RecommendationGroup]
    annexe_two: list[PDURatings]
