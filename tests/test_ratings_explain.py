"""The explanation people read next to the ratings: counts, what decided, thresholds, the next band."""

from decimal import Decimal

from inspections.choices import Rating
from ratings import rules
from ratings.explain import explain_inspection, explain_standard

OUT, GOOD, RI, INAD = Rating.OUTSTANDING, Rating.GOOD, Rating.REQUIRES_IMPROVEMENT, Rating.INADEQUATE
RULES = rules.RatingRules(
    framework="pdu-2021",
    thresholds={OUT: Decimal("80.00"), GOOD: Decimal("65.00"), RI: Decimal("50.00")},
    rounding="exact",
    points={OUT: 3, GOOD: 2, RI: 1, INAD: 0},
    bands=[rules.Band(INAD, 0, 4), rules.Band(RI, 5, 13), rules.Band(GOOD, 14, 22), rules.Band(OUT, 23, 27)],
    standard_count=1,
)


def case_standard(override=None, **kqs):
    return rules.StandardInput(
        code="2.2",
        title="Assessment",
        rated_by="case_data",
        key_questions={code.replace("_", "."): rules.Counts(*c) for code, c in kqs.items()},
        override=override,
    )


def explain(standard, draft_cases=0):
    return explain_standard(rules.rate_standard(standard, RULES), RULES, draft_cases=draft_cases).text


def test_each_key_question_shows_its_percentage_and_n_out_of_n_relevant_cases():
    text = explain(case_standard(**{"2_2_1": (40, 12, 3), "2_2_2": (36, 16), "2_2_3": (24, 28)}))
    assert "2.2.1: 76.9% (40 out of 52 relevant cases; 3 not applicable), Good" in text
    assert "2.2.3: 46.2% (24 out of 52 relevant cases), Inadequate (lowest: decides)" in text


def test_it_names_the_deciding_key_question_the_thresholds_and_the_distance_to_the_next_band():
    text = explain(case_standard(**{"2_2_1": (40, 12), "2_2_2": (36, 16), "2_2_3": (23, 29)}))
    assert "The lowest key question decides: 2.2.3 at 44.2% is Inadequate (under 50%)." in text
    assert "Outstanding 80% or more, Good 65% to under 80%, Requires improvement 50% to under 65%" in text
    # 50 % of 52 is 26 sufficient cases: 3 more than the 23 there are.
    assert "3 more sufficient cases out of 52 would make 2.2 Requires improvement." in text


def test_when_several_key_questions_hold_a_standard_back_each_is_named():
    text = explain(case_standard(**{"2_2_1": (41, 12), "2_2_2": (33, 20), "2_2_3": (28, 25)}))
    assert "2 more sufficient cases out of 53 in 2.2.2 and 7 more out of 53 in 2.2.3 would make 2.2 Good." in text


def test_the_top_band_says_so():
    assert "2.2 is in the top band." in explain(case_standard(**{"2_2_1": (9, 1)}))


def test_drafts_are_mentioned_because_the_counts_may_still_change():
    assert "4 case reviews not yet submitted" in explain(case_standard(**{"2_2_1": (9, 1)}), draft_cases=4)
    assert "draft" not in explain(case_standard(**{"2_2_1": (9, 1)}))


def test_an_override_shows_from_to_who_and_why():
    override = rules.Override(
        to_rating=RI,
        from_rating=INAD,
        reason="New risk tool adopted in May.",
        by="Lead Inspector",
        at="2024-07-01T10:00",
    )
    text = explain(case_standard(override=override, **{"2_2_1": (20, 32)}))
    assert "2.2 Assessment: Requires improvement (1 point), moved by the ratings panel." in text
    assert (
        "The ratings panel moved 2.2 from Inadequate to Requires improvement: New risk tool adopted in May. "
        "(Lead Inspector, 2024-07-01)"
    ) in text


def test_an_override_whose_underlying_rating_has_since_changed_says_so():
    override = rules.Override(to_rating=RI, from_rating=INAD, reason="Panel view.")
    text = explain(case_standard(override=override, **{"2_2_1": (40, 12)}))
    assert "Since that decision the underlying rating has become Good." in text


def test_a_missing_rating_says_why():
    text = explain(case_standard(**{"2_2_1": (0, 0, 5)}))
    assert "2.2 Assessment: no rating yet, no relevant cases have been answered yet." in text


def test_the_inspection_summary_gives_the_score_its_band_and_the_next_band():
    r = rules.RatingRules(**{**RULES.__dict__, "standard_count": 9})
    standards = [
        rules.StandardInput(code=f"1.{n}", title="T", rated_by="judgement", judgement=rating)
        for n, rating in enumerate([RI, RI, GOOD, GOOD, INAD, INAD, INAD, RI, RI])
    ]
    explanation = explain_inspection(rules.rate_inspection(standards, r), draft_cases=2)
    assert explanation.summary == "Score 8/27: Requires improvement (5 to 13 points)."
    assert "Good needs 14 points: 6 points more." in explanation.lines
    assert (
        "2 case reviews are not yet submitted (not started, in progress or returned); "
        "their answers are counted, so the ratings may change." in explanation.lines
    )


def test_an_incomplete_score_lists_the_missing_standards():
    r = rules.RatingRules(**{**RULES.__dict__, "standard_count": 2})
    standards = [
        rules.StandardInput(code="1.1", title="Leadership", rated_by="judgement"),
        rules.StandardInput(code="1.2", title="Staff", rated_by="judgement", judgement=GOOD),
    ]
    summary = explain_inspection(rules.rate_inspection(standards, r)).summary
    assert summary == "No score yet: 1 of 2 standards have no rating: 1.1 (the team has not recorded a judgement)."
