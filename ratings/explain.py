"""Why each standard has its rating, in plain sentences. Pure: a result in, text out.

Inspectors, ratings panels and regional directors read this next to the
ratings (web pages, the `ratings` command's table), so it names the counts
behind each percentage, the key question that decided, the thresholds, and how
far the standard is from the next band up.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from inspections.choices import RATING_ORDER, RatedBy, Rating, Rounding, Source

from . import rules


def label(rating: Rating | str | None) -> str | None:
    return Rating(rating).label if rating else None


def _number(value: Decimal) -> str:
    """80.00 → "80", 64.50 → "64.5": thresholds as people write them."""
    return f"{value.normalize():f}"


def _cases(n: int, word: str = "case") -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def counts_text(counts: rules.Counts) -> str:
    """ "62.3% (33 out of 53 relevant cases; 4 not applicable)"."""
    details = []
    if counts.relevant:
        head = f"{counts.percent}%"
        details.append(f"{counts.yes} out of {_cases(counts.relevant, 'relevant case')}")
    else:
        head = "no relevant cases"
    if counts.not_applicable:
        details.append(f"{counts.not_applicable} not applicable")
    return head + (f" ({'; '.join(details)})" if details else "")


def band_range(rating: Rating, r: rules.RatingRules) -> str:
    """The percentages a band covers, e.g. "50% to under 65%"."""
    position = RATING_ORDER.index(rating)
    low = r.threshold(rating)
    higher = RATING_ORDER[position - 1] if position > 0 else None
    high = r.threshold(higher) if higher is not None else None
    if low is None:
        return f"under {_number(high)}%"
    if high is None:
        return f"{_number(low)}% or more"
    return f"{_number(low)}% to under {_number(high)}%"


def thresholds_text(r: rules.RatingRules) -> str:
    bands = ", ".join(f"{Rating(rating).label} {band_range(rating, r)}" for rating in RATING_ORDER)
    if r.rounding == Rounding.WHOLE_PERCENT:
        how = "each percentage is rounded to a whole per cent, half up, before it is compared"
    else:
        how = "the exact percentage is compared, without rounding"
    return f"Thresholds: {bands}; {how}."


def next_band_text(code: str, next_band: rules.StandardNextBand) -> str:
    """ "3 more sufficient cases out of 52 would make 2.2 Requires improvement." """
    target = Rating(next_band.rating).label
    first, *others = next_band.steps
    first_text = f"{_cases(first.more_sufficient, 'more sufficient case')} out of {first.relevant}"
    if not others:
        return f"{first_text} would make {code} {target}."
    parts = [f"{first_text} in {first.key_question}"]
    parts += [f"{step.more_sufficient} more out of {step.relevant} in {step.key_question}" for step in others]
    return f"{', '.join(parts[:-1])} and {parts[-1]} would make {code} {target}."


@dataclass(frozen=True)
class KeyQuestionExplanation:
    code: str
    decides: bool
    text: str


@dataclass(frozen=True)
class StandardExplanation:
    code: str
    title: str
    summary: str
    key_questions: list[KeyQuestionExplanation]
    lines: list[str]  # the sentences after the key questions

    @property
    def text(self) -> str:
        return "\n".join([self.summary, *(kq.text for kq in self.key_questions), *self.lines])


def _points(n: int) -> str:
    return f"{n} point" if n == 1 else f"{n} points"


def explain_standard(
    standard: rules.StandardResult, r: rules.RatingRules, *, draft_cases: int = 0
) -> StandardExplanation:
    name = f"{standard.code} {standard.title}"
    if standard.rating is None:
        summary = f"{name}: no rating yet, {standard.missing}."
    else:
        how = Source(standard.source).label
        summary = f"{name}: {label(standard.rating)} ({_points(standard.points)}), {how}."

    key_questions = []
    lines = []
    if standard.rated_by == RatedBy.CASE_DATA:
        for kq in standard.key_questions:
            decides = kq.code == standard.deciding_key_question
            text = f"  {kq.code}: {counts_text(kq.counts)}"
            if kq.rating is not None:
                text += f", {label(kq.rating)}"
            if decides:
                text += " (lowest: decides)"
            key_questions.append(KeyQuestionExplanation(code=kq.code, decides=decides, text=text))
        if standard.deciding_key_question is not None:
            deciding = next(kq for kq in standard.key_questions if kq.code == standard.deciding_key_question)
            rated = [kq for kq in standard.key_questions if kq.rating is not None]
            which = "The lowest key question decides" if len(rated) > 1 else "Its one rated key question decides"
            lines.append(
                f"{which}: {deciding.code} at {deciding.percent}% is "
                f"{label(deciding.rating)} ({band_range(deciding.rating, r)})."
            )
            lines.append(thresholds_text(r))
            if standard.next_band is not None:
                lines.append(next_band_text(standard.code, standard.next_band))
            else:
                lines.append(f"{standard.code} is in the top band.")
        if draft_cases:
            lines.append(
                f"These counts include the answers of {_cases(draft_cases, 'case review')} not yet submitted "
                "(in progress or returned), so they may change."
            )
    elif (
        standard.rated_by == RatedBy.JUDGEMENT
        and standard.derived_rating is not None
        and standard.source == Source.OVERRIDE
    ):
        lines.append(f"The inspection team's judgement was {label(standard.derived_rating)}.")

    if standard.override is not None:
        o = standard.override
        moved_from = f"from {label(o.from_rating)} " if o.from_rating else ""
        who = ", ".join(part for part in (o.by, o.at[:10]) if part)
        lines.append(
            f"The ratings panel moved {standard.code} {moved_from}to {label(o.to_rating)}: {o.reason.strip()}"
            + (f" ({who})" if who else "")
        )
        if standard.derived_rating != o.from_rating:
            now = label(standard.derived_rating) or "no rating"
            lines.append(f"Since that decision the underlying rating has become {now}.")
    return StandardExplanation(
        code=standard.code, title=standard.title, summary=summary, key_questions=key_questions, lines=lines
    )


@dataclass(frozen=True)
class InspectionExplanation:
    summary: str
    lines: list[str]
    standards: list[StandardExplanation]

    @property
    def text(self) -> str:
        return "\n".join([self.summary, *self.lines, *(s.text for s in self.standards)])


def explain_inspection(result: rules.InspectionResult, *, draft_cases: int = 0) -> InspectionExplanation:
    r = result.rules
    if r is None:
        raise rules.RulesError("the result does not carry the rules it was computed with")
    lines = []
    if result.score is None:
        missing = "; ".join(f"{code} ({why})" for code, why in result.missing.items())
        summary = f"No score yet: {len(result.missing)} of {len(result.standards)} standards have no rating: {missing}."
    else:
        band = r.band_for_rating(result.rating)
        summary = f"Score {result.score}/{result.max_score}: {label(result.rating)}"
        if band is not None:
            summary += f" ({band.min_score} to {band.max_score} points)"
        summary += "."
        up = rules.next_band_up(result.rating)
        up_band = r.band_for_rating(up) if up is not None else None
        if up_band is not None:
            more = _points(up_band.min_score - result.score)
            lines.append(f"{Rating(up).label} needs {_points(up_band.min_score)}: {more} more.")
    if draft_cases:
        lines.append(
            f"{_cases(draft_cases, 'case review')} {'is' if draft_cases == 1 else 'are'} not yet submitted "
            "(not started, in progress or returned); "
            "their answers are counted, so the ratings may change."
        )
    return InspectionExplanation(
        summary=summary,
        lines=lines,
        standards=[explain_standard(s, r, draft_cases=draft_cases) for s in result.standards],
    )
