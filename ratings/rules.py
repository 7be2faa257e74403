"""The rating rules, as pure Python: counts and ratings in, ratings and scores out.

Nothing here touches the database. Every number that a rule uses (thresholds,
rounding, points, the band table) arrives in `RatingRules`, built from the
framework record, so a framework revision never needs a code change. The rules
follow HM Inspectorate of Probation's published method (see DOMAIN.md, "Rating
rules"):

1. a key question's percentage is yes ÷ (yes + no); "not applicable" leaves the
   denominator;
2. a case-based standard takes the band of its lowest key question;
3. organisational standards take the team's judgement;
4. a ratings panel may move a rating, with a reason;
5. points per rating add up to the score, and the band table names the overall rating.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from inspections.choices import RATING_ORDER, RatedBy, Rating, Rounding, Source


class RulesError(ValueError):
    """The framework's rules cannot rate what they were given."""


@dataclass(frozen=True)
class Band:
    rating: Rating
    min_score: int
    max_score: int


@dataclass(frozen=True)
class RatingRules:
    framework: str
    thresholds: Mapping[Rating, Decimal]  # the lowest percentage for each band but the bottom one
    rounding: Rounding | str
    points: Mapping[Rating, int]
    bands: Sequence[Band]
    standard_count: int

    @property
    def max_score(self) -> int:
        return self.standard_count * max(self.points.values())

    def threshold(self, rating: Rating) -> Decimal | None:
        return self.thresholds.get(rating)

    def band_for_rating(self, rating: Rating) -> Band | None:
        return next((band for band in self.bands if band.rating == rating), None)


@dataclass(frozen=True)
class Counts:
    yes: int = 0
    no: int = 0
    not_applicable: int = 0

    def __post_init__(self):
        if min(self.yes, self.no, self.not_applicable) < 0:
            raise RulesError("answer counts cannot be negative")

    @property
    def relevant(self) -> int:
        return self.yes + self.no

    @property
    def fraction(self) -> Fraction | None:
        return Fraction(self.yes, self.relevant) if self.relevant else None

    @property
    def percent(self) -> Decimal | None:
        """The percentage to one decimal place, for display only; rules use the fraction."""
        if self.fraction is None:
            return None
        return (Decimal(self.yes * 100) / Decimal(self.relevant)).quantize(Decimal("0.1"), ROUND_HALF_UP)

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            yes=self.yes + other.yes, no=self.no + other.no, not_applicable=self.not_applicable + other.not_applicable
        )


def _lowest_passing_percent(threshold: Decimal, rules: RatingRules) -> Fraction:
    """The smallest exact percentage that the framework counts as reaching `threshold`.

    With whole-percent rounding (half up), 64.5 % already rounds to 65 %, so the
    bar sits half a point below the nearest whole threshold at or above it.
    """
    bar = Fraction(threshold)
    if rules.rounding == Rounding.EXACT:
        return bar
    if rules.rounding == Rounding.WHOLE_PERCENT:
        return Fraction(math.ceil(bar)) - Fraction(1, 2)
    raise RulesError(f"unknown rounding rule {rules.rounding!r}")


def reaches(fraction: Fraction, rating: Rating, rules: RatingRules) -> bool:
    """Whether a key question at `fraction` (yes ÷ relevant) is rated `rating` or better."""
    threshold = rules.threshold(rating)
    if threshold is None:  # the bottom band has no bar
        return True
    return fraction * 100 >= _lowest_passing_percent(threshold, rules)


def band_for_fraction(fraction: Fraction, rules: RatingRules) -> Rating:
    for rating in RATING_ORDER[:-1]:
        if reaches(fraction, rating, rules):
            return rating
    return RATING_ORDER[-1]


def next_band_up(rating: Rating) -> Rating | None:
    position = RATING_ORDER.index(rating)
    return RATING_ORDER[position - 1] if position > 0 else None


def more_sufficient_needed(counts: Counts, target: Rating, rules: RatingRules) -> int | None:
    """How many of the "no" answers would have to be "yes" for the key question to reach `target`.

    The relevant cases stay the same (a "no" becoming "yes" keeps the denominator).
    0 when it is already there; None when it has no relevant cases.
    """
    if not counts.relevant:
        return None
    threshold = rules.threshold(target)
    if threshold is None:
        return 0
    needed_yes = math.ceil(_lowest_passing_percent(threshold, rules) * counts.relevant / 100)
    return max(0, needed_yes - counts.yes)


@dataclass(frozen=True)
class NextBand:
    """How many more sufficient cases (of the same relevant cases) reach the next band up."""

    rating: Rating
    more_sufficient: int
    relevant: int


def cases_to_next_band(counts: Counts, rules: RatingRules) -> NextBand | None:
    if counts.fraction is None:
        return None
    target = next_band_up(band_for_fraction(counts.fraction, rules))
    if target is None:
        return None
    return NextBand(
        rating=target, more_sufficient=more_sufficient_needed(counts, target, rules), relevant=counts.relevant
    )


@dataclass(frozen=True)
class KeyQuestionResult:
    code: str
    counts: Counts
    rating: Rating | None
    next_band: NextBand | None

    @property
    def percent(self) -> Decimal | None:
        return self.counts.percent


def rate_key_question(code: str, counts: Counts, rules: RatingRules) -> KeyQuestionResult:
    rating = band_for_fraction(counts.fraction, rules) if counts.fraction is not None else None
    return KeyQuestionResult(code=code, counts=counts, rating=rating, next_band=cases_to_next_band(counts, rules))


@dataclass(frozen=True)
class Override:
    to_rating: Rating
    reason: str
    from_rating: Rating | None = None  # the derived rating when the panel decided
    by: str = ""
    at: str = ""

    def __post_init__(self):
        if not self.reason or not self.reason.strip():
            raise RulesError("a ratings panel override needs a reason")


@dataclass(frozen=True)
class StandardInput:
    code: str
    title: str
    rated_by: RatedBy | str
    key_questions: Mapping[str, Counts] = field(default_factory=dict)
    judgement: Rating | None = None
    override: Override | None = None


@dataclass(frozen=True)
class Step:
    """What one key question needs for its standard to reach the next band up."""

    key_question: str
    more_sufficient: int
    relevant: int


@dataclass(frozen=True)
class StandardNextBand:
    """The next band up for a case-based standard, and every key question that holds it back."""

    rating: Rating
    steps: Sequence[Step]


@dataclass(frozen=True)
class StandardResult:
    code: str
    title: str
    rated_by: RatedBy | str
    derived_rating: Rating | None  # from case data or the team's judgement, before any override
    rating: Rating | None
    points: int | None
    source: Source | str
    key_questions: Sequence[KeyQuestionResult]
    deciding_key_question: str | None
    override: Override | None
    missing: str | None  # why the standard has no rating, when it has none
    next_band: StandardNextBand | None = None  # case-based standards below the top band only


def _standard_next_band(derived: Rating | None, rated: Sequence[KeyQuestionResult], rules: RatingRules):
    target = next_band_up(derived) if derived is not None else None
    if target is None:
        return None
    # The standard takes its lowest key question's band, so every key question below
    # the target has to reach it; those already there need nothing.
    steps = [
        Step(
            key_question=kq.code,
            more_sufficient=more_sufficient_needed(kq.counts, target, rules),
            relevant=kq.counts.relevant,
        )
        for kq in rated
        if not reaches(kq.counts.fraction, target, rules)
    ]
    return StandardNextBand(rating=target, steps=steps)


def rate_standard(standard: StandardInput, rules: RatingRules) -> StandardResult:
    results = [rate_key_question(code, counts, rules) for code, counts in sorted(standard.key_questions.items())]
    deciding = None
    missing = None
    next_band = None
    if standard.rated_by == RatedBy.CASE_DATA:
        # A key question with no relevant cases (all "not applicable", or unanswered) has no
        # percentage and cannot decide; the others still rate the standard.
        rated = [kq for kq in results if kq.counts.fraction is not None]
        if rated:
            # The lowest percentage decides; on a tie the first key question is named.
            deciding = min(rated, key=lambda kq: kq.counts.fraction)
            derived = deciding.rating
            next_band = _standard_next_band(derived, rated, rules)
        else:
            derived = None
            missing = "no relevant cases have been answered yet"
    elif standard.rated_by == RatedBy.JUDGEMENT:
        derived = standard.judgement
        if derived is None:
            missing = "the team has not recorded a judgement"
    else:
        raise RulesError(f"standard {standard.code} has an unknown rating method {standard.rated_by!r}")

    rating, source = derived, Source(standard.rated_by)
    if standard.override is not None:
        rating, source, missing = standard.override.to_rating, Source.OVERRIDE, None
    return StandardResult(
        code=standard.code,
        title=standard.title,
        rated_by=standard.rated_by,
        derived_rating=derived,
        rating=rating,
        points=rules.points[rating] if rating is not None else None,
        source=source,
        key_questions=results,
        deciding_key_question=deciding.code if deciding else None,
        override=standard.override,
        missing=missing,
        next_band=next_band,
    )


def overall_band(score: int, rules: RatingRules) -> Rating:
    for band in rules.bands:
        if band.min_score <= score <= band.max_score:
            return band.rating
    raise RulesError(f"the {rules.framework} band table has no band for a score of {score}")


@dataclass(frozen=True)
class InspectionResult:
    framework: str
    standards: Sequence[StandardResult]
    score: int | None  # None while any standard is unrated: never a silent zero
    max_score: int
    rating: Rating | None
    missing: Mapping[str, str]  # standard code → why it has no rating
    rules: RatingRules | None = None  # the rules the result was computed with

    def standard(self, code: str) -> StandardResult:
        for standard in self.standards:
            if standard.code == code:
                return standard
        raise KeyError(code)


def rate_inspection(standards: Iterable[StandardInput], rules: RatingRules) -> InspectionResult:
    results = [rate_standard(standard, rules) for standard in standards]
    if len(results) != rules.standard_count:
        raise RulesError(
            f"the {rules.framework} framework scores {rules.standard_count} standards, {len(results)} were given"
        )
    missing = {r.code: r.missing for r in results if r.rating is None}
    score = None if missing else sum(r.points for r in results)
    return InspectionResult(
        framework=rules.framework,
        standards=results,
        score=score,
        max_score=rules.max_score,
        rating=overall_band(score, rules) if score is not None else None,
        missing=missing,
        rules=rules,
    )
