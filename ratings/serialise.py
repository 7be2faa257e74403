"""Rating results to and from plain JSON data, for snapshots.

A snapshot stores everything the rules produced and everything they were given
(counts, judgements, overrides, thresholds, points, band table), and reading it
back rebuilds the same objects without running the rules again: a published
rating stays what it was even if the rules' code changes later.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from inspections.choices import Rating

from . import rules

FORMAT_VERSION = 1


def _rating(value: str | None) -> Rating | None:
    return Rating(value) if value else None


def rules_to_data(r: rules.RatingRules) -> dict[str, Any]:
    return {
        "framework": r.framework,
        "thresholds": {str(rating): str(value) for rating, value in r.thresholds.items()},
        "rounding": r.rounding,
        "points": {str(rating): value for rating, value in r.points.items()},
        "bands": [{"rating": str(b.rating), "min_score": b.min_score, "max_score": b.max_score} for b in r.bands],
        "standard_count": r.standard_count,
    }


def rules_from_data(data: dict[str, Any]) -> rules.RatingRules:
    return rules.RatingRules(
        framework=data["framework"],
        thresholds={Rating(k): Decimal(v) for k, v in data["thresholds"].items()},
        rounding=data["rounding"],
        points={Rating(k): v for k, v in data["points"].items()},
        bands=[
            rules.Band(rating=Rating(b["rating"]), min_score=b["min_score"], max_score=b["max_score"])
            for b in data["bands"]
        ],
        standard_count=data["standard_count"],
    )


def _key_question_to_data(kq: rules.KeyQuestionResult) -> dict[str, Any]:
    return {
        "code": kq.code,
        "yes": kq.counts.yes,
        "no": kq.counts.no,
        "not_applicable": kq.counts.not_applicable,
        "rating": kq.rating,
        "next_band": None
        if kq.next_band is None
        else {
            "rating": kq.next_band.rating,
            "more_sufficient": kq.next_band.more_sufficient,
            "relevant": kq.next_band.relevant,
        },
    }


def _key_question_from_data(data: dict[str, Any]) -> rules.KeyQuestionResult:
    next_band = data["next_band"]
    return rules.KeyQuestionResult(
        code=data["code"],
        counts=rules.Counts(yes=data["yes"], no=data["no"], not_applicable=data["not_applicable"]),
        rating=_rating(data["rating"]),
        next_band=None if next_band is None else rules.NextBand(**{**next_band, "rating": Rating(next_band["rating"])}),
    )


def _override_to_data(o: rules.Override | None) -> dict[str, Any] | None:
    if o is None:
        return None
    return {"to_rating": o.to_rating, "from_rating": o.from_rating, "reason": o.reason, "by": o.by, "at": o.at}


def _override_from_data(data: dict[str, Any] | None) -> rules.Override | None:
    if data is None:
        return None
    return rules.Override(
        to_rating=Rating(data["to_rating"]),
        from_rating=_rating(data["from_rating"]),
        reason=data["reason"],
        by=data["by"],
        at=data["at"],
    )


def _standard_to_data(s: rules.StandardResult) -> dict[str, Any]:
    return {
        "code": s.code,
        "title": s.title,
        "rated_by": s.rated_by,
        "derived_rating": s.derived_rating,
        "rating": s.rating,
        "points": s.points,
        "source": s.source,
        "key_questions": [_key_question_to_data(kq) for kq in s.key_questions],
        "deciding_key_question": s.deciding_key_question,
        "override": _override_to_data(s.override),
        "missing": s.missing,
        "next_band": None
        if s.next_band is None
        else {
            "rating": s.next_band.rating,
            "steps": [
                {"key_question": step.key_question, "more_sufficient": step.more_sufficient, "relevant": step.relevant}
                for step in s.next_band.steps
            ],
        },
    }


def _standard_from_data(data: dict[str, Any]) -> rules.StandardResult:
    next_band = data["next_band"]
    return rules.StandardResult(
        code=data["code"],
        title=data["title"],
        rated_by=data["rated_by"],
        derived_rating=_rating(data["derived_rating"]),
        rating=_rating(data["rating"]),
        points=data["points"],
        source=data["source"],
        key_questions=[_key_question_from_data(kq) for kq in data["key_questions"]],
        deciding_key_question=data["deciding_key_question"],
        override=_override_from_data(data["override"]),
        missing=data["missing"],
        next_band=None
        if next_band is None
        else rules.StandardNextBand(
            rating=Rating(next_band["rating"]), steps=[rules.Step(**step) for step in next_band["steps"]]
        ),
    )


def result_to_data(result: rules.InspectionResult) -> dict[str, Any]:
    return {
        "format": FORMAT_VERSION,
        "framework": result.framework,
        "rules": rules_to_data(result.rules) if result.rules is not None else None,
        "score": result.score,
        "max_score": result.max_score,
        "rating": result.rating,
        "missing": dict(result.missing),
        "standards": [_standard_to_data(s) for s in result.standards],
    }


def result_from_data(data: dict[str, Any]) -> rules.InspectionResult:
    if data.get("format") != FORMAT_VERSION:
        raise rules.RulesError(f"unknown snapshot format {data.get('format')!r}")
    return rules.InspectionResult(
        framework=data["framework"],
        standards=[_standard_from_data(s) for s in data["standards"]],
        score=data["score"],
        max_score=data["max_score"],
        rating=_rating(data["rating"]),
        missing=data["missing"],
        rules=rules_from_data(data["rules"]) if data["rules"] is not None else None,
    )
