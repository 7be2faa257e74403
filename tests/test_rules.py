"""The pure rating rules at every boundary, and the properties that must hold for any counts."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inspections.choices import RATING_ORDER, Rating
from inspections.models import Framework
from ratings import rules
from ratings.selectors import rating_rules

OUT, GOOD, RI, INAD = Rating.OUTSTANDING, Rating.GOOD, Rating.REQUIRES_IMPROVEMENT, Rating.INADEQUATE


def make_rules(*, rounding="exact", standard_count=9, bands=None) -> rules.RatingRules:
    """The 2021 PDU framework's rules, as its record holds them (see DOMAIN.md, "Rating rules")."""
    return rules.RatingRules(
        framework="test",
        thresholds={OUT: Decimal("80.00"), GOOD: Decimal("65.00"), RI: Decimal("50.00")},
        rounding=rounding,
        points={OUT: 3, GOOD: 2, RI: 1, INAD: 0},
        bands=bands
        or [rules.Band(INAD, 0, 4), rules.Band(RI, 5, 13), rules.Band(GOOD, 14, 22), rules.Band(OUT, 23, 27)],
        standard_count=standard_count,
    )


RULES = make_rules()


def kq_rating(yes, no, na=0, r=RULES):
    return rules.rate_key_question("2.2.1", rules.Counts(yes=yes, no=no, not_applicable=na), r).rating


def case_standard(code="2.2", **key_questions) -> rules.StandardInput:
    return rules.StandardInput(
        code=code,
        title="Assessment",
        rated_by="case_data",
        key_questions={name.replace("_", "."): rules.Counts(*counts) for name, counts in key_questions.items()},
    )


def judged(code, rating, override=None) -> rules.StandardInput:
    return rules.StandardInput(code=code, title=code, rated_by="judgement", judgement=rating, override=override)


def nine_standards(ratings) -> list[rules.StandardInput]:
    return [judged(f"s{n}", rating) for n, rating in enumerate(ratings)]


# Key question percentages at the thresholds ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("yes", "no", "expected"),
    [
        (80, 20, OUT),  # exactly 80 %
        (799, 201, GOOD),  # 79.9 %
        (65, 35, GOOD),  # exactly 65 %
        (33, 18, RI),  # 33 of 51 = 64.7 %
        (50, 50, RI),  # exactly 50 %
        (49, 51, INAD),  # 49 %
        (0, 10, INAD),
        (10, 0, OUT),
    ],
)
def test_key_question_bands_at_each_threshold_compare_the_exact_fraction(yes, no, expected):
    assert kq_rating(yes, no) == expected


def test_33_of_51_is_shown_as_64_7_percent_and_requires_improvement():
    result = rules.rate_key_question("2.2.3", rules.Counts(yes=33, no=18), RULES)
    assert result.percent == Decimal("64.7")
    assert result.rating == RI


@pytest.mark.parametrize(
    ("yes", "no", "exact", "whole_percent"),
    [
        (129, 71, RI, GOOD),  # 64.5 % rounds half up to 65 %
        (1289, 711, RI, RI),  # 64.45 % rounds to 64 %
        (159, 41, GOOD, OUT),  # 79.5 % → 80 %
        (99, 101, INAD, RI),  # 49.5 % → 50 %
        (33, 18, RI, GOOD),  # 64.7 % → 65 %
    ],
)
def test_whole_percent_rounding_is_a_framework_setting(yes, no, exact, whole_percent):
    assert kq_rating(yes, no) == exact
    assert kq_rating(yes, no, r=make_rules(rounding="whole_percent")) == whole_percent


def test_an_unknown_rounding_rule_is_refused():
    with pytest.raises(rules.RulesError, match="rounding"):
        kq_rating(1, 1, r=make_rules(rounding="bankers"))


def test_not_applicable_leaves_the_denominator():
    counts = rules.Counts(yes=33, no=18, not_applicable=40)
    assert counts.relevant == 51
    assert counts.fraction == Fraction(33, 51)
    assert kq_rating(33, 18, 40) == kq_rating(33, 18) == RI


def test_a_key_question_with_only_not_applicable_answers_has_no_percentage():
    result = rules.rate_key_question("2.5.1", rules.Counts(not_applicable=7), RULES)
    assert result.percent is None and result.rating is None and result.next_band is None


def test_negative_counts_are_refused():
    with pytest.raises(rules.RulesError):
        rules.Counts(yes=-1)


# Case-based standards -------------------------------------------------------------------------------------------


def test_the_lowest_key_question_decides_the_standard():
    result = rules.rate_standard(case_standard(**{"2_2_1": (45, 5), "2_2_2": (40, 10), "2_2_3": (24, 29)}), RULES)
    assert [kq.rating for kq in result.key_questions] == [OUT, OUT, INAD]
    assert result.deciding_key_question == "2.2.3"
    assert result.rating == INAD and result.points == 0 and result.source == "case_data"


def test_a_key_question_without_relevant_cases_does_not_decide_but_the_others_still_rate():
    result = rules.rate_standard(case_standard(**{"2_5_1": (0, 0, 9), "2_5_2": (30, 10), "2_5_3": (35, 15)}), RULES)
    assert result.rating == GOOD
    assert result.deciding_key_question == "2.5.3"


def test_a_standard_without_relevant_cases_is_missing_not_zero():
    result = rules.rate_standard(case_standard(**{"2_1_1": (0, 0)}), RULES)
    assert result.rating is None and result.points is None
    assert "no relevant cases" in result.missing


def test_the_next_band_up_names_every_key_question_holding_the_standard_back():
    result = rules.rate_standard(case_standard(**{"2_4_1": (41, 12), "2_4_2": (33, 20), "2_4_3": (28, 25)}), RULES)
    assert result.rating == RI
    steps = {step.key_question: (step.more_sufficient, step.relevant) for step in result.next_band.steps}
    # Good needs 65 % of 53 = 34.45, so 35 sufficient cases: 2 more in 2.4.2 and 7 more in 2.4.3.
    assert result.next_band.rating == GOOD
    assert steps == {"2.4.2": (2, 53), "2.4.3": (7, 53)}


def test_the_next_band_is_the_smallest_number_of_cases_that_reaches_it():
    for yes, no in [(0, 52), (25, 27), (26, 26), (40, 12), (41, 11)]:
        counts = rules.Counts(yes=yes, no=no)
        step = rules.cases_to_next_band(counts, RULES)
        if step is None:
            assert kq_rating(yes, no) == OUT
            continue
        assert kq_rating(yes + step.more_sufficient, no - step.more_sufficient) == step.rating
        assert kq_rating(yes + step.more_sufficient - 1, no - step.more_sufficient + 1) != step.rating


def test_the_next_band_with_whole_percent_rounding_counts_the_rounding():
    whole = make_rules(rounding="whole_percent")
    # 128 of 200 = 64 %; 129 of 200 = 64.5 % rounds to 65 %: one more case, not two.
    assert rules.cases_to_next_band(rules.Counts(yes=128, no=72), whole).more_sufficient == 1
    assert rules.cases_to_next_band(rules.Counts(yes=128, no=72), RULES).more_sufficient == 2


# Judgements, overrides, score and band ----------------------------------------------------------------------------


def test_an_override_without_a_reason_is_refused():
    for reason in ["", "   \n"]:
        with pytest.raises(rules.RulesError, match="reason"):
            rules.Override(to_rating=GOOD, reason=reason)


def test_an_override_replaces_the_derived_rating_and_keeps_it_visible():
    override = rules.Override(to_rating=RI, reason="Strong evidence of recent improvement", from_rating=INAD)
    standard = case_standard(**{"2_2_1": (20, 33)})
    result = rules.rate_standard(rules.StandardInput(**{**standard.__dict__, "override": override}), RULES)
    assert result.derived_rating == INAD
    assert result.rating == RI and result.points == 1 and result.source == "override"


def test_the_score_is_the_sum_of_points_and_names_its_band():
    result = rules.rate_inspection(nine_standards([RI, RI, GOOD, GOOD, INAD, INAD, INAD, RI, RI]), RULES)
    assert result.score == 8 and result.max_score == 27 and result.rating == RI


def test_an_unrated_standard_leaves_the_score_incomplete_and_names_what_is_missing():
    standards = [*nine_standards([GOOD] * 7), judged("1.1", None), case_standard("2.1", **{"2_1_1": (0, 0)})]
    result = rules.rate_inspection(standards, RULES)
    assert result.score is None and result.rating is None
    assert set(result.missing) == {"1.1", "2.1"}
    assert "judgement" in result.missing["1.1"]


def test_the_wrong_number_of_standards_is_refused():
    with pytest.raises(rules.RulesError, match="9 standards"):
        rules.rate_inspection(nine_standards([GOOD] * 8), RULES)


def test_a_score_outside_the_band_table_is_refused():
    with pytest.raises(rules.RulesError, match="no band"):
        rules.overall_band(28, RULES)


@pytest.mark.parametrize(
    ("score", "expected"),
    [(0, INAD), (4, INAD), (5, RI), (13, RI), (14, GOOD), (22, GOOD), (23, OUT), (27, OUT)],
)
def test_the_27_point_band_edges(score, expected):
    assert rules.overall_band(score, RULES) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("framework", "edges"),
    [
        ("pdu-2021", {0: INAD, 4: INAD, 5: RI, 13: RI, 14: GOOD, 22: GOOD, 23: OUT, 27: OUT}),
        ("adult-2018", {0: INAD, 5: INAD, 6: RI, 15: RI, 16: GOOD, 25: GOOD, 26: OUT, 30: OUT}),
        ("youth-2018", {0: INAD, 6: INAD, 7: RI, 18: RI, 19: GOOD, 30: GOOD, 31: OUT, 36: OUT}),
    ],
)
def test_band_edges_come_from_each_framework_record(framework, edges):
    record_rules = rating_rules(Framework.objects.get(code=framework))
    assert record_rules.max_score == max(edges)
    assert {score: rules.overall_band(score, record_rules) for score in edges} == edges
    with pytest.raises(rules.RulesError):
        rules.overall_band(max(edges) + 1, record_rules)


@pytest.mark.django_db
def test_the_rules_read_from_a_record_and_from_the_ratings_query_are_built_by_one_function(inspection):
    """Points are read by column name: a framework whose points are not 3-2-1-0 keeps them in their places."""
    from ratings.selectors import _structures

    framework = inspection.framework
    Framework.objects.filter(pk=framework.pk).update(points_outstanding=9, points_good=5)
    framework.refresh_from_db()
    from_record = rating_rules(framework)
    assert from_record.points == {OUT: 9, GOOD: 5, RI: 1, INAD: 0}
    assert _structures([framework.pk])[framework.pk].rules == from_record


def test_the_rules_vocabularies_are_the_models_vocabularies():
    from inspections.choices import RatedBy, Rounding, Source
    from inspections.models import Standard

    assert Framework.Rounding is Rounding and Standard.RatedBy is RatedBy
    assert {s.value for s in Source} == set(RatedBy.values) | {"override"}
    judged_then_moved = rules.rate_standard(judged("1.1", GOOD, rules.Override(to_rating=RI, reason="Panel")), RULES)
    assert judged_then_moved.source == Source.OVERRIDE
    assert kq_rating(129, 71, r=make_rules(rounding=Rounding.WHOLE_PERCENT)) == GOOD  # 64.5 % rounds to 65 %


# Properties ------------------------------------------------------------------------------------------------------

counts = st.builds(rules.Counts, yes=st.integers(0, 300), no=st.integers(0, 300), not_applicable=st.integers(0, 50))
roundings = st.sampled_from(["exact", "whole_percent"])


def rank(rating):
    """Higher is better; None (no rating) is below everything."""
    return -1 if rating is None else len(RATING_ORDER) - RATING_ORDER.index(rating)


@given(counts, roundings)
def test_one_more_sufficient_case_never_lowers_a_key_question(c, rounding):
    r = make_rules(rounding=rounding)
    before = rules.rate_key_question("k", c, r).rating
    after = rules.rate_key_question("k", rules.Counts(c.yes + 1, c.no, c.not_applicable), r).rating
    assert rank(after) >= rank(before)


@given(st.lists(counts, min_size=1, max_size=4), st.data(), roundings)
def test_one_more_sufficient_case_never_lowers_a_standard(kqs, data, rounding):
    r = make_rules(rounding=rounding)
    which = data.draw(st.integers(0, len(kqs) - 1))
    more = [rules.Counts(c.yes + (i == which), c.no, c.not_applicable) for i, c in enumerate(kqs)]
    before = rules.rate_standard(case_standard(**{f"k{i}": tuple(c.__dict__.values()) for i, c in enumerate(kqs)}), r)
    after = rules.rate_standard(case_standard(**{f"k{i}": tuple(c.__dict__.values()) for i, c in enumerate(more)}), r)
    assert rank(after.rating) >= rank(before.rating)


@given(st.lists(st.sampled_from(RATING_ORDER), min_size=9, max_size=9))
def test_the_score_is_the_sum_of_the_points(ratings):
    result = rules.rate_inspection(nine_standards(ratings), RULES)
    assert result.score == sum(RULES.points[rating] for rating in ratings)
    assert result.score == sum(s.points for s in result.standards)


@given(st.integers(0, 26))
def test_the_band_never_falls_as_the_score_rises(score):
    assert rank(rules.overall_band(score + 1, RULES)) >= rank(rules.overall_band(score, RULES))


@given(
    st.lists(st.tuples(st.sampled_from(["yes", "no", "not_applicable"]), st.integers(0, 2)), max_size=80),
    st.randoms(),
)
def test_the_order_of_cases_does_not_matter(cases, random):
    """Cases as (answer, key question) pairs, tallied in any order and handed over in any key-question order,
    give the same ratings, the same deciding key question and the same distance to the next band."""

    def rate(cases, codes):
        tallies = {code: {"yes": 0, "no": 0, "not_applicable": 0} for code in codes}
        for value, kq in cases:
            tallies[f"2.2.{kq + 1}"][value] += 1
        standard = rules.StandardInput(
            code="2.2",
            title="Assessment",
            rated_by="case_data",
            key_questions={code: rules.Counts(**tallies[code]) for code in codes},
        )
        return rules.rate_standard(standard, RULES)

    codes = ["2.2.1", "2.2.2", "2.2.3"]
    shuffled_cases, shuffled_codes = list(cases), list(codes)
    random.shuffle(shuffled_cases)
    random.shuffle(shuffled_codes)
    assert rate(cases, codes) == rate(shuffled_cases, shuffled_codes)
