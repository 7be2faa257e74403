"""The seed letter's figures and Annexe two, reproduced from the demo's case data with one call each."""

import io
import json

from django.core.management import call_command
from django.test import TestCase

from ratings.findings import findings

# Annexe two of the South West letter (24 August 2023): standards 1.1–2.5, score, overall rating.
RI, INAD, GOOD = "Requires improvement", "Inadequate", "Good"
ANNEXE_TWO = {
    "SW-SOM-2023": ([RI, RI, GOOD, GOOD, INAD, INAD, INAD, RI, RI], 8, RI),
    "SW-DOR-2023": ([INAD, RI, INAD, RI, RI, INAD, INAD, INAD, INAD], 3, INAD),
    "SW-BSG-2023": ([RI, RI, RI, GOOD, INAD, INAD, RI, INAD, INAD], 6, RI),
}


def ratings_json(reference: str, *extra: str) -> dict:
    out = io.StringIO()
    call_command("ratings", reference, "--format", "json", *extra, stdout=out)
    return json.loads(out.getvalue())


class SeedFiguresTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("load_demo", stdout=io.StringIO())

    def test_no_childrens_services_enquiry_in_59_of_109_relevant_cases(self):
        finding = findings(question_code="2.2.3.e", region="south-west")
        assert (finding.no, finding.relevant) == (59, 109)

    def test_no_police_domestic_abuse_enquiry_in_35_of_108_relevant_cases(self):
        finding = findings(question_code="2.2.3.d", region="south-west")
        assert (finding.no, finding.relevant) == (35, 108)

    def test_management_oversight_required_in_152_of_157_and_sufficient_in_48(self):
        finding = findings(question_code="C.1", region="south-west")
        assert (finding.relevant, finding.relevant + finding.not_applicable, finding.yes) == (152, 157, 48)

    def test_services_most_likely_to_reduce_reoffending_in_82_of_157_that_is_52_per_cent(self):
        finding = findings(question_code="2.4.2.a", region="south-west")
        assert (finding.yes, finding.relevant, round(finding.percent)) == (82, 157, 52)

    def test_somerset_prints_8_out_of_27_requires_improvement(self):
        data = ratings_json("SW-SOM-2023")
        assert (data["score"], data["max_score"], data["rating"]) == (8, 27, "Requires improvement")

    def test_annexe_two_from_the_published_snapshots_equals_a_fresh_computation(self):
        for reference, (standards, score, rating) in ANNEXE_TWO.items():
            published, live = ratings_json(reference), ratings_json(reference, "--live")
            assert published["source"] == "snapshot" and live["source"] == "live"
            for data in (published, live):
                assert [s["rating"] for s in data["standards"]] == standards, reference
                assert (data["score"], data["rating"]) == (score, rating), reference
            # Domain two comes from the case data, domain one from the team's judgements.
            assert {s["source"] for s in live["standards"][4:]} == {"case_data"}
            assert {s["source"] for s in live["standards"][:4]} == {"judgement"}
