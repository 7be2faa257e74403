"""The ratings as plain data and as a text table, for scripts and people. Pure."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from . import rules
from .explain import explain_inspection, label


def _percent(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def key_question_data(kq: rules.KeyQuestionResult) -> dict[str, Any]:
    return {
        "code": kq.code,
        "yes": kq.counts.yes,
        "no": kq.counts.no,
        "not_applicable": kq.counts.not_applicable,
        "relevant": kq.counts.relevant,
        "percent": _percent(kq.percent),
        "rating": label(kq.rating),
    }


def ratings_report(
    *, reference: str, result: rules.InspectionResult, draft_cases: int, snapshot: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Everything a script needs: the figures, where each rating came from, and the explanation.

    `snapshot` describes the stored snapshot the result was read from (kind,
    taken_at, taken_by), or is None for live ratings.
    """
    explanation = explain_inspection(result, draft_cases=draft_cases)
    by_code = {s.code: s for s in explanation.standards}
    return {
        "inspection": reference,
        "framework": result.framework,
        "score": result.score,
        "max_score": result.max_score,
        "rating": label(result.rating),
        "source": "live" if snapshot is None else "snapshot",
        "snapshot": snapshot,
        "draft_cases": draft_cases,
        "missing": dict(result.missing),
        "explanation": [explanation.summary, *explanation.lines],
        "standards": [
            {
                "code": s.code,
                "name": s.title,
                "rating": label(s.rating),
                "points": s.points,
                "source": s.source,
                "derived_rating": label(s.derived_rating),
                "deciding_key_question": s.deciding_key_question,
                "missing": s.missing,
                "override": None
                if s.override is None
                else {
                    "from_rating": label(s.override.from_rating),
                    "to_rating": label(s.override.to_rating),
                    "reason": s.override.reason,
                    "by": s.override.by,
                    "at": s.override.at,
                },
                "key_questions": [key_question_data(kq) for kq in s.key_questions],
                "explanation": by_code[s.code].text.splitlines(),
            }
            for s in result.standards
        ],
    }


def ratings_table(report: dict[str, Any]) -> str:
    """The report for people: the headline, one row per standard, then the explanation."""
    score = (
        f"{report['score']}/{report['max_score']} {report['rating']}" if report["score"] is not None else "incomplete"
    )
    if report["snapshot"]:
        where = (
            f"from the {report['snapshot']['kind'].replace('_', ' ')} snapshot of {report['snapshot']['taken_at'][:10]}"
        )
    else:
        where = "live"
    lines = [f"{report['inspection']} ({report['framework']}, {where}): {score}", ""]
    name_width = max(len(f"{s['code']} {s['name']}") for s in report["standards"]) if report["standards"] else 10
    lines.append(f"{'Standard':<{name_width}}  {'Rating':<20}  {'Points':>6}  Source")
    for s in report["standards"]:
        points = "" if s["points"] is None else str(s["points"])
        lines.append(
            f"{s['code'] + ' ' + s['name']:<{name_width}}  {s['rating'] or '—':<20}  {points:>6}  {s['source']}"
        )
    lines += ["", *report["explanation"]]
    for s in report["standards"]:
        lines += ["", *s["explanation"]]
    return "\n".join(lines)
