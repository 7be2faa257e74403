"""The demo's case sample, generated deterministically from an `InspectionPlan`.

Pure Python, no ORM: the loader passes in the framework's questions as plain records and
writes what comes back. Each inspection has its own `random.Random` seeded with its reference,
and every choice is made in a fixed order (questions by framework order, cases by position), so
two runs give the same cases and the same answers value for value.

How exact counts and plausible variety go together: each case gets a latent quality per lens
(engagement, desistance, keeping other people safe), and a question's target number of "yes"
answers goes to the relevant cases that rank highest on that lens plus a little noise. So the
counts are exactly the plan's, while a case that is good on one question tends to be good on the
next, as in a real sample.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from casework.models import CaseReview
from inspections.choices import AnswerValue, CaseType, CourtReport, Lens

from .plan import InspectionPlan


@dataclass(frozen=True)
class QuestionSpec:
    code: str
    kind: str  # "key_question" or "prompt"
    parent: str | None  # the key question a prompt informs
    lens: str
    allows_not_applicable: bool
    case_types: tuple[str, ...]
    requires_court_report: bool

    def applies_to(self, *, case_type: str, court_report: str) -> bool:
        # The same rule as inspections.models.Question.applies_to, on a plain record.
        if self.case_types and case_type not in self.case_types:
            return False
        return not (self.requires_court_report and court_report == CourtReport.NONE)


@dataclass
class CaseSpec:
    case_reference: str
    attributes: dict[str, object]
    facts: dict[str, bool]  # what makes an "asked only in relevant cases" question relevant
    quality: dict[str, float]  # latent quality per lens; never stored
    answers: dict[str, tuple[str, str]] = field(default_factory=dict)  # code → (value, evidence note)

    @property
    def case_type(self) -> str:
        return str(self.attributes["case_type"])

    @property
    def court_report(self) -> str:
        return str(self.attributes["court_report"])


class PlanError(ValueError):
    """The plan cannot be met with the framework's questions."""


# Which cases each "not applicable"-allowing question is relevant in. Every such question of the
# framework must be listed: a new one fails loudly rather than being answered at random.
RELEVANCE: dict[str, Callable[[CaseSpec], bool]] = {
    "2.1.1.b": lambda c: c.attributes["domestic_abuse"],
    "2.1.1.c": lambda c: c.attributes["child_safeguarding"],
    "2.1.1.e": lambda c: c.facts["victims"],
    "2.2.2.c": lambda c: c.facts["other_agencies"],
    "2.2.3.c": lambda c: c.facts["victims"],
    "2.2.3.d": lambda c: c.attributes["domestic_abuse"],
    "2.2.3.e": lambda c: c.attributes["child_safeguarding"],
    "2.3.3.c": lambda c: c.facts["multi_agency_plan"],
    "2.3.3.e": lambda c: c.facts["victims"],
    "2.4.1.d": lambda c: c.facts["non_compliance"],
    "2.4.1.e": lambda c: c.facts["enforcement_needed"],
    "2.4.2.c": lambda c: c.facts["other_agencies"],
    "2.4.3.b": lambda c: c.facts["victims"],
    "2.4.3.c": lambda c: c.facts["risk_agencies"],
    "2.4.3.d": lambda c: c.facts["home_visits_needed"],
    # Every sampled case had reached a review point, so the reviewing key questions are always asked
    # (their prompts do not allow "not applicable", so a case cannot skip them anyway).
    "2.5.1": lambda c: True,
    "2.5.2": lambda c: True,
    "2.5.3": lambda c: True,
    "2.5.2.c": lambda c: c.facts["other_agencies"],
    "2.5.3.c": lambda c: c.facts["risk_agencies"],
    "C.1": lambda c: c.facts["oversight_needed"],
    "C.2": lambda c: c.facts["pre_release_work"],
    "C.3": lambda c: c.facts["victim_contact_eligible"],
}

# Rates for the case-wide prompts, which have no key question to follow. The letter: contact before
# release in three-quarters of relevant cases; statutory victim work "a high-quality service".
CASE_WIDE_RATE = {"C.2": 0.72, "C.3": 0.85}
CASE_WIDE_LENS = {"C.1": Lens.SAFETY, "C.2": Lens.SAFETY, "C.3": Lens.SAFETY}

EVIDENCE = {
    "2.1.1": (
        "The report was well informed and the proposal was clearly explained to the court.",
        "The report did not analyse the available risk information, so the court was not fully informed.",
    ),
    "2.2.1": (
        "The assessment reflected the person's views, motivation and circumstances.",
        "The person's views and readiness to change were not explored in the assessment.",
    ),
    "2.2.2": (
        "Offending-related factors and strengths were identified and analysed.",
        "The assessment listed offending-related factors without analysing them.",
    ),
    "2.2.3": (
        "Risk of harm was analysed using information from other agencies.",
        "Risk of harm was underestimated; information from other agencies was not sought or used.",
    ),
    "2.3.1": (
        "The plan was agreed with the person and set a realistic pattern of contact.",
        "The plan was not shared with the person and did not cover all requirements.",
    ),
    "2.3.2": (
        "The plan prioritised the factors most linked to offending.",
        "The plan did not set out the services most likely to reduce reoffending.",
    ),
    "2.3.3": (
        "The plan set out how risks would be managed, with contingency arrangements.",
        "There were no contingency arrangements and victims' safety was not addressed.",
    ),
    "2.4.1": (
        "Contact was regular and flexible, and a good working relationship was built.",
        "Appointments were missed without follow-up and the sentence started late.",
    ),
    "2.4.2": (
        "The person was referred to services that addressed their needs, in a sensible order.",
        "Referrals to services were not made or were not followed up.",
    ),
    "2.4.3": (
        "Contact and home visits were used to manage risk, and other agencies were involved.",
        "Home visits were not made and concerns raised by other agencies were not acted on.",
    ),
    "2.5.1": (
        "Reviewing responded to changes in the person's circumstances and engagement.",
        "There was no formal review despite changes in the person's circumstances.",
    ),
    "2.5.2": (
        "Progress was reviewed and the plan adjusted with the person.",
        "Reviewing did not consider progress against the plan.",
    ),
    "2.5.3": (
        "Changes in risk were identified and the risk management plan updated.",
        "A new risk of harm was not identified at review and the plan was not updated.",
    ),
}


def _exact(rng: random.Random, counts: dict[str, int]) -> list[str]:
    values = [value for value, n in counts.items() for _ in range(n)]
    rng.shuffle(values)
    return values


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _case_attributes(rng: random.Random, case_type: str, court_report: str) -> dict[str, object]:
    rosh = _weighted(
        rng,
        {
            CaseType.UNPAID_WORK: {"low": 0.6, "medium": 0.4},
            CaseType.COMMUNITY: {"low": 0.15, "medium": 0.6, "high": 0.23, "very_high": 0.02},
            CaseType.LICENCE: {"low": 0.05, "medium": 0.45, "high": 0.42, "very_high": 0.08},
        }[case_type],
    )
    tier = _weighted(
        rng,
        {
            "low": {"C": 0.4, "D": 0.6},
            "medium": {"B": 0.45, "C": 0.55},
            "high": {"A": 0.55, "B": 0.45},
            "very_high": {"A": 1.0},
        }[rosh],
    )
    mappa_category = mappa_level = CaseReview.Mappa.NONE
    if case_type == CaseType.LICENCE and rosh in ("high", "very_high") and rng.random() < 0.45:
        mappa_category = _weighted(rng, {"1": 0.4, "2": 0.6})
        mappa_level = _weighted(rng, {"1": 0.75, "2": 0.25})
    elif case_type == CaseType.COMMUNITY and rosh == "high" and rng.random() < 0.12:
        mappa_category, mappa_level = "1", "1"
    if case_type == CaseType.UNPAID_WORK:
        grade = _weighted(rng, {"pso": 0.8, "po": 0.2})
    elif case_type == CaseType.LICENCE or rosh in ("high", "very_high"):
        grade = _weighted(rng, {"po": 0.75, "pqip": 0.25})
    else:
        grade = _weighted(rng, {"po": 0.4, "pso": 0.35, "pqip": 0.25})
    if grade == "pqip":
        months = rng.randint(6, 22)
    elif grade == "po":
        # Many probation officers qualified recently; some have over 20 years' service.
        months = rng.randint(15, 36) if rng.random() < 0.3 else rng.randint(37, 300)
    else:
        months = rng.randint(4, 30) if rng.random() < 0.35 else rng.randint(31, 240)
    return {
        "case_type": case_type,
        "court_report": court_report,
        "tier": tier,
        "rosh_level": rosh,
        "mappa_category": mappa_category,
        "mappa_level": mappa_level,
        "practitioner_grade": grade,
        "practitioner_months_in_service": months,
        "same_practitioner": rng.random() < 0.62,
        "age_band": _weighted(rng, {"18-24": 0.12, "25-34": 0.35, "35-49": 0.38, "50+": 0.15}),
        "disability": _weighted(rng, {"yes": 0.25, "no": 0.65, "not_known": 0.1}),
    }


def _cases(plan: InspectionPlan, rng: random.Random) -> list[CaseSpec]:
    n = plan.cases
    numbers = rng.sample(range(100000), n)
    references = sorted(f"X{plan.case_reference_prefix}{number:05d}" for number in numbers)
    case_types = _exact(
        rng,
        {CaseType.UNPAID_WORK: plan.unpaid_work, CaseType.LICENCE: plan.licence, CaseType.COMMUNITY: plan.community},
    )
    # Court reports precede community sentences and unpaid work in this sample, not licences.
    sentenced_in_community = [i for i, t in enumerate(case_types) if t != CaseType.LICENCE]
    if plan.court_reports > len(sentenced_in_community):
        raise PlanError(f"{plan.reference}: {plan.court_reports} court reports but only community cases can have one")
    court = sorted(rng.sample(sentenced_in_community, plan.court_reports))
    court_report = [CourtReport.NONE] * n
    for i in court:
        court_report[i] = _weighted(
            rng, {CourtReport.ORAL: 0.4, CourtReport.SHORT_FORMAT: 0.45, CourtReport.STANDARD: 0.15}
        )

    # The child safeguarding flag marks exactly the cases where a children's services enquiry was
    # needed (2.2.3.e relevant); among court reports, those that needed children's services information.
    court_child = rng.sample(court, plan.court_reports_needing_childrens_services)
    not_court = [i for i in range(n) if i not in court]
    rest = plan.child_safeguarding - len(court_child)
    if not 0 <= rest <= len(not_court):
        raise PlanError(f"{plan.reference}: cannot place {plan.child_safeguarding} child safeguarding flags")
    child = set(court_child) | set(rng.sample(not_court, rest))
    domestic_abuse = set(rng.sample(range(n), plan.domestic_abuse))
    genders = _exact(rng, {"male": n - plan.women, "female": plan.women})
    if sum(plan.ethnicity.values()) != n:
        raise PlanError(f"{plan.reference}: the ethnicity counts do not add up to {n} cases")
    ethnicities = _exact(rng, plan.ethnicity)

    cases = []
    for i in range(n):
        attributes = _case_attributes(rng, case_types[i], court_report[i])
        attributes.update(
            gender=genders[i],
            ethnicity_group=ethnicities[i],
            child_safeguarding=i in child,
            domestic_abuse=i in domestic_abuse,
        )
        base = rng.gauss(0, 1) - (plan.licence_penalty if case_types[i] == CaseType.LICENCE else 0)
        quality = {lens: base + rng.gauss(0, 0.8) for lens in (Lens.ENGAGEMENT, Lens.DESISTANCE, Lens.SAFETY)}
        if genders[i] == "female":
            # The letter: "some very positive work with women, especially in relation to engagement and desistance".
            quality[Lens.ENGAGEMENT] += 0.4
            quality[Lens.DESISTANCE] += 0.4
        quality[Lens.OVERALL] = base + rng.gauss(0, 0.5)
        non_compliance = rng.random() < 0.5
        risky = attributes["rosh_level"] != "low" or attributes["mappa_category"] != "none"
        facts = {
            "victims": rng.random() < 0.75,
            "other_agencies": rng.random() < 0.85,
            "multi_agency_plan": attributes["mappa_category"] != "none" or (i in child and rng.random() < 0.45),
            "non_compliance": non_compliance,
            "enforcement_needed": non_compliance and rng.random() < 0.55,
            "risk_agencies": risky or i in child or i in domestic_abuse,
            "home_visits_needed": (i in child or i in domestic_abuse) and rng.random() < 0.8,
            "pre_release_work": case_types[i] == CaseType.LICENCE and rng.random() < 0.85,
            "victim_contact_eligible": case_types[i] == CaseType.LICENCE
            and attributes["rosh_level"] in ("high", "very_high")
            and rng.random() < 0.6,
            "oversight_needed": True,
        }
        cases.append(CaseSpec(references[i], attributes, facts, quality))

    # Management oversight was not needed in a few low-risk cases only.
    low_risk_first = sorted(range(n), key=lambda i: (cases[i].attributes["rosh_level"] != "low", rng.random()))
    for i in low_risk_first[: n - plan.oversight_needed]:
        cases[i].facts["oversight_needed"] = False
    return cases


def _assign(
    rng: random.Random, cases: Sequence[CaseSpec], lens: str, yes: int, noise: float, offset: dict[int, float]
) -> dict[int, str]:
    """Give "yes" to the `yes` cases ranking highest on the lens (plus noise), "no" to the rest."""
    if not 0 <= yes <= len(cases):
        raise PlanError(f"cannot have {yes} yes answers among {len(cases)} relevant cases")
    scored = sorted(cases, key=lambda c: c.quality[lens] + offset.get(id(c), 0.0) + rng.gauss(0, noise), reverse=True)
    return {id(c): AnswerValue.YES if rank < yes else AnswerValue.NO for rank, c in enumerate(scored)}


def generate(plan: InspectionPlan, questions: Sequence[QuestionSpec]) -> list[CaseSpec]:
    """The plan's cases, each with an answer to every question that applies to it."""
    rng = random.Random(f"hmi-probation-demo:{plan.reference}")
    cases = _cases(plan, rng)
    by_code = {q.code: q for q in questions}
    missing = set(plan.key_question_yes) - set(by_code)
    if missing:
        raise PlanError(f"the framework has no key questions {sorted(missing)}")
    kq_rate: dict[str, float] = {}
    # Per key question, a small per-case offset, so its prompts follow the key question's answers.
    kq_offset: dict[str, dict[int, float]] = {}
    for q in questions:
        applicable = [c for c in cases if q.applies_to(case_type=c.case_type, court_report=c.court_report)]
        if q.allows_not_applicable:
            if q.code not in RELEVANCE:
                raise PlanError(f"the demo has no relevance rule for {q.code}, which allows 'not applicable'")
            relevant = [c for c in applicable if RELEVANCE[q.code](c)]
        else:
            relevant = applicable
        lens = q.lens or (by_code[q.parent].lens if q.parent else CASE_WIDE_LENS.get(q.code, Lens.OVERALL))

        if q.kind == "key_question":
            if q.code not in plan.key_question_yes:
                raise PlanError(f"{plan.reference}: no target for key question {q.code}")
            target = plan.key_question_yes[q.code]
            values = _key_question_values(rng, plan, q.code, relevant, lens, target)
            kq_rate[q.code] = target / len(relevant) if relevant else 0.0
            kq_offset[q.code] = {id(c): 1.5 if values[id(c)] == AnswerValue.YES else -1.5 for c in relevant}
        else:
            if q.code in plan.prompt_yes:
                target = plan.prompt_yes[q.code]
            else:
                rate = kq_rate[q.parent] if q.parent else CASE_WIDE_RATE[q.code]
                target = round(len(relevant) * min(1.0, max(0.0, rate + rng.uniform(-0.12, 0.12))))
            values = _assign(rng, relevant, lens, target, noise=0.6, offset=kq_offset.get(q.parent, {}))

        relevant_ids = {id(c) for c in relevant}
        for c in applicable:
            value = values[id(c)] if id(c) in relevant_ids else AnswerValue.NOT_APPLICABLE
            note = ""
            if q.kind == "key_question" and value != AnswerValue.NOT_APPLICABLE and q.code in EVIDENCE:
                note = EVIDENCE[q.code][0 if value == AnswerValue.YES else 1]
            c.answers[q.code] = (value, note)
    return cases


def _key_question_values(
    rng: random.Random, plan: InspectionPlan, code: str, relevant: Sequence[CaseSpec], lens: str, target: int
) -> dict[int, str]:
    # The letter's stand-alone unpaid work figure (9 of 12 sufficient on 2.4.2 and 2.4.3) is met
    # inside each PDU's unpaid work cases, the rest of the target among the others.
    if code in plan.unpaid_work_yes:
        unpaid = [c for c in relevant if c.case_type == CaseType.UNPAID_WORK]
        others = [c for c in relevant if c.case_type != CaseType.UNPAID_WORK]
        upw_yes = plan.unpaid_work_yes[code]
        return _assign(rng, unpaid, lens, upw_yes, noise=0.3, offset={}) | _assign(
            rng, others, lens, target - upw_yes, noise=0.3, offset={}
        )
    return _assign(rng, relevant, lens, target, noise=0.3, offset={})
