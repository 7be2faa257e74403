"""What the South West 2023 demo contains: places, accounts, inspections and the targets its case sample must meet.

Everything here is plain data. The targets come from the Chief Inspector's letter of 24 August 2023
to the South West Regional Probation Director (the project's seed): each PDU's yes counts are chosen so
that the ratings engine, applied to the generated answers, gives the letter's Annexe two, and the
per-PDU counts of the prompts the letter quotes add up to its region-wide figures.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from accounts.models import User

FRAMEWORK_CODE = "pdu-2021"
REVIEW_SLUG = "south-west-2023"
PUBLISHED_ON = datetime.date(2023, 8, 24)  # the letter's date; the PDU reports followed it
# When the demo's publication is recorded (its ratings snapshots and lock events): that day, not the load's.
PUBLISHED_AT = datetime.datetime(2023, 8, 24, 10, 0, tzinfo=ZoneInfo("Europe/London"))
LETTER_FILE = Path(__file__).resolve().parent / "data" / "south-west-2023.json"


def letter() -> dict:
    """The letter's text: regional findings, summary, Annexe one and the domain one judgements."""
    return json.loads(LETTER_FILE.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class RegionSpec:
    slug: str
    name: str
    pdus: tuple[tuple[str, str], ...]  # (slug, name)


REGIONS = (
    RegionSpec(
        slug="south-west",
        name="South West",
        pdus=(
            ("bath-and-north-east-somerset-and-north-somerset", "Bath and North East Somerset, and North Somerset"),
            ("bristol-and-south-gloucestershire", "Bristol and South Gloucestershire"),
            ("cornwall-and-isles-of-scilly", "Cornwall and Isles of Scilly"),
            ("devon-and-torbay", "Devon and Torbay"),
            ("dorset", "Dorset"),
            ("gloucestershire", "Gloucestershire"),
            ("plymouth", "Plymouth"),
            ("somerset", "Somerset"),
            ("swindon-and-wiltshire", "Swindon and Wiltshire"),
        ),
    ),
    # A second region with no inspections, so that a director's scope can be seen to exclude the South West.
    RegionSpec(slug="london", name="London", pdus=(("lambeth", "Lambeth"),)),
)


@dataclass(frozen=True)
class AccountSpec:
    email: str
    first_name: str
    last_name: str
    role: str
    region: str | None = None  # region slug, for regional directors
    is_staff: bool = False
    is_superuser: bool = False


ACCOUNTS = (
    AccountSpec("inspector@demo.test", "Sam", "Okafor", User.Role.INSPECTOR),
    AccountSpec("lead@demo.test", "Ruth", "Pemberton", User.Role.LEAD_INSPECTOR),
    AccountSpec("director.southwest@demo.test", "Claire", "Penrose", User.Role.REGIONAL_DIRECTOR, region="south-west"),
    AccountSpec("director.london@demo.test", "Marcus", "Bell", User.Role.REGIONAL_DIRECTOR, region="london"),
    AccountSpec("analyst@demo.test", "Tom", "Ashby", User.Role.ANALYST),
    AccountSpec("admin@demo.test", "Nadia", "Rahman", User.Role.ADMINISTRATOR, is_staff=True, is_superuser=True),
)
INSPECTOR_EMAIL = "inspector@demo.test"
LEAD_EMAIL = "lead@demo.test"


@dataclass(frozen=True)
class InspectionPlan:
    """One PDU's inspection and the exact shape of its case sample.

    `key_question_yes` gives, per key question, how many cases are sufficient; every case answers
    every key question that applies to it (2.1.1 only where a court report was prepared), so the
    denominator is the number of cases the question applies to. `prompt_yes` fixes the yes count of
    the prompts the letter quotes; other prompts follow their key question's rate loosely.
    """

    reference: str
    pdu: str
    fieldwork_start: datetime.date
    cases: int
    licence: int
    unpaid_work: int
    court_reports: int
    court_reports_needing_childrens_services: int  # relevant to 2.1.1.c; the rest of the flag falls elsewhere
    child_safeguarding: int  # cases with the flag = cases where 2.2.3.e is relevant
    domestic_abuse: int  # cases with the flag = cases where 2.2.3.d is relevant
    oversight_needed: int  # cases where management oversight (C.1) was relevant
    key_question_yes: dict[str, int]
    prompt_yes: dict[str, int]
    women: int
    ethnicity: dict[str, int]
    # The letter found sentence management worse on licence than on community orders in Dorset and
    # in Bristol and South Gloucestershire: licence cases start lower on the latent quality scale.
    licence_penalty: float
    case_reference_prefix: str  # first digit of the six, so references never collide across PDUs
    unpaid_work_yes: dict[str, int] = field(default_factory=lambda: {"2.4.2": 3, "2.4.3": 3})

    @property
    def community(self) -> int:
        return self.cases - self.licence - self.unpaid_work


# Yes counts per key question, and the rating they give (band of the lowest key question, exact fractions).
INSPECTIONS = (
    InspectionPlan(
        reference="SW-SOM-2023",
        pdu="somerset",
        fieldwork_start=datetime.date(2023, 6, 5),
        cases=53,
        licence=20,
        unpaid_work=4,
        court_reports=22,
        court_reports_needing_childrens_services=21,
        child_safeguarding=37,
        domestic_abuse=36,
        oversight_needed=51,
        key_question_yes={
            "2.1.1": 9,  # 9/22 = 40.9 % → Inadequate
            "2.2.1": 40,
            "2.2.2": 36,
            "2.2.3": 22,  # 41.5 % → 2.2 Inadequate
            "2.3.1": 38,
            "2.3.2": 34,
            "2.3.3": 24,  # 45.3 % → 2.3 Inadequate
            "2.4.1": 41,
            "2.4.2": 33,
            "2.4.3": 28,  # 52.8 % → 2.4 Requires improvement
            "2.5.1": 37,
            "2.5.2": 34,
            "2.5.3": 28,  # 52.8 % → 2.5 Requires improvement
        },
        prompt_yes={"2.1.1.c": 6, "2.2.3.d": 26, "2.2.3.e": 19, "2.4.2.a": 33, "C.1": 19},
        women=8,
        ethnicity={"white": 46, "black": 2, "asian": 2, "mixed": 2, "not_known": 1},
        licence_penalty=0.0,
        case_reference_prefix="3",
    ),
    InspectionPlan(
        reference="SW-DOR-2023",
        pdu="dorset",
        fieldwork_start=datetime.date(2023, 6, 12),
        cases=52,
        licence=20,
        unpaid_work=4,
        court_reports=21,
        court_reports_needing_childrens_services=21,
        child_safeguarding=36,
        domestic_abuse=36,
        oversight_needed=50,
        key_question_yes={
            "2.1.1": 12,  # 12/21 = 57.1 % → Requires improvement
            "2.2.1": 37,
            "2.2.2": 30,
            "2.2.3": 18,  # 34.6 % → Inadequate
            "2.3.1": 35,
            "2.3.2": 27,
            "2.3.3": 19,  # 36.5 % → Inadequate
            "2.4.1": 33,
            "2.4.2": 24,
            "2.4.3": 20,  # 38.5 % → Inadequate
            "2.5.1": 30,
            "2.5.2": 27,
            "2.5.3": 18,  # 34.6 % → Inadequate
        },
        prompt_yes={"2.1.1.c": 7, "2.2.3.d": 23, "2.2.3.e": 15, "2.4.2.a": 24, "C.1": 13},
        women=8,
        ethnicity={"white": 47, "black": 1, "asian": 1, "mixed": 2, "not_known": 1},
        licence_penalty=0.6,
        case_reference_prefix="5",
    ),
    InspectionPlan(
        reference="SW-BSG-2023",
        pdu="bristol-and-south-gloucestershire",
        fieldwork_start=datetime.date(2023, 6, 19),
        cases=52,
        licence=21,
        unpaid_work=4,
        court_reports=22,
        court_reports_needing_childrens_services=21,
        child_safeguarding=36,
        domestic_abuse=36,
        oversight_needed=51,
        key_question_yes={
            "2.1.1": 10,  # 10/22 = 45.5 % → Inadequate
            "2.2.1": 36,
            "2.2.2": 31,
            "2.2.3": 21,  # 40.4 % → Inadequate
            "2.3.1": 38,
            "2.3.2": 34,
            "2.3.3": 27,  # 51.9 % → Requires improvement
            "2.4.1": 35,
            "2.4.2": 25,
            "2.4.3": 22,  # 42.3 % → Inadequate
            "2.5.1": 32,
            "2.5.2": 28,
            "2.5.3": 21,  # 40.4 % → Inadequate
        },
        prompt_yes={"2.1.1.c": 6, "2.2.3.d": 24, "2.2.3.e": 16, "2.4.2.a": 25, "C.1": 16},
        women=7,
        ethnicity={"white": 38, "black": 6, "asian": 3, "mixed": 4, "other": 1},
        licence_penalty=0.6,
        case_reference_prefix="7",
    ),
)
