"""Live figures in a letter's text, resolved against the demo (the seed letter's numbers)."""

import io

import pytest
from django.core.management import call_command
from django.test import TestCase

from casework.models import CaseReview
from inspections.models import Inspection
from ratings.figures import (
    FigureError,
    check_figures,
    figure_value,
    parse_tokens,
    resolve_figures,
    resolve_many,
    token_text,
)

REFERENCES = ["SW-SOM-2023", "SW-DOR-2023", "SW-BSG-2023"]


class FiguresAgainstTheDemoTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("load_demo", stdout=io.StringIO())
        cls.ids = list(Inspection.objects.filter(reference__in=REFERENCES).values_list("id", flat=True))

    def test_the_seed_letters_figures(self):
        text = (
            "at the point of initial assessment, [[figure 2.2.3.e no]] across the three PDUs we inspected "
            "which required an enquiry to children's services, no such request was made, and "
            "[[figure 2.2.3.d no]] no police enquiry regarding domestic abuse was made."
        )
        assert resolve_figures(text, inspection_ids=self.ids) == (
            "at the point of initial assessment, in 59 out of 109 relevant cases across the three PDUs we inspected "
            "which required an enquiry to children's services, no such request was made, and "
            "in 35 out of 108 relevant cases no police enquiry regarding domestic abuse was made."
        )

    def test_management_oversight_and_percentages(self):
        assert resolve_figures("[[figure C.1 yes]]", inspection_ids=self.ids) == "in 48 out of 152 relevant cases"
        assert resolve_figures("only [[percent 2.4.2.a yes]]", inspection_ids=self.ids) == "only 52 per cent (82)"
        assert resolve_figures("[[percent 2.4.2.a no]]", inspection_ids=self.ids) == "48 per cent (75)"

    def test_all_tokens_are_counted_in_one_query(self):
        text = "[[figure 2.2.3.e no]], [[figure C.1 yes]], [[percent 2.4.2.a yes]], [[figure 2.2.3.e yes]]"
        with self.assertNumQueries(1):
            resolved = resolve_figures(text, inspection_ids=self.ids)
        assert resolved == (
            "in 59 out of 109 relevant cases, in 48 out of 152 relevant cases, 52 per cent (82), "
            "in 50 out of 109 relevant cases"
        )

    def test_many_texts_are_resolved_in_one_query(self):
        texts = ["[[figure 2.2.3.e no]]", "No figure.", "[[percent 2.4.2.a yes]] and [[figure C.1 yes]]"]
        with self.assertNumQueries(1):
            resolved = resolve_many(texts, inspection_ids=self.ids)
        assert resolved == [
            "in 59 out of 109 relevant cases",
            "No figure.",
            "52 per cent (82) and in 48 out of 152 relevant cases",
        ]

    def test_text_without_tokens_is_returned_unchanged_without_a_query(self):
        with self.assertNumQueries(0):
            assert resolve_figures("No figures here.", inspection_ids=self.ids) == "No figures here."

    def test_the_scope_is_the_given_inspections(self):
        somerset = [Inspection.objects.get(reference="SW-SOM-2023").id]
        value = resolve_figures("[[figure 2.2.3.e no]]", inspection_ids=somerset)
        assert value != "in 59 out of 109 relevant cases" and value.startswith("in ")
        # A known question with no answers in scope counts zero, not an error.
        assert resolve_figures("[[figure 2.2.3.e no]]", inspection_ids=[]) == "in 0 out of 0 relevant cases"
        assert resolve_figures("[[percent 2.2.3.e no]]", inspection_ids=[]) == "no relevant cases"

    def test_archived_case_reviews_are_outside(self):
        assert not CaseReview.objects.filter(archived_at__isnull=False, inspection_id__in=self.ids).exists()

    def test_the_picker_value_and_token(self):
        assert token_text("figure", "2.2.3.e", "no") == "[[figure 2.2.3.e no]]"
        assert figure_value("figure", "2.2.3.e", "no", inspection_ids=self.ids) == "in 59 out of 109 relevant cases"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text, named",
    [
        ("in [[figure 9.9.9 no]] cases", "[[figure 9.9.9 no]]"),
        ("[[figure 2.2.3.e maybe]]", "[[figure 2.2.3.e maybe]]"),
        ("[[figures 2.2.3.e no]]", "[[figures 2.2.3.e no]]"),
        ("[[figure]]", "[[figure]]"),
        ("[[figure 2.2.3.e no", "[[figure 2.2.3.e no"),
        ("figure 2.2.3.e no]] here", "figure 2.2.3.e no]]"),
    ],
)
def test_a_bad_token_is_a_value_error_naming_it(text, named):
    with pytest.raises(ValueError) as raised:
        resolve_figures(text, inspection_ids=[])
    assert named in str(raised.value)
    assert isinstance(raised.value, FigureError)
    with pytest.raises(FigureError):
        check_figures(text)


def test_tokens_parse_case_insensitively_and_in_order():
    tokens = parse_tokens("[[Figure C.1 YES]] and [[percent 2.4.2.a no]]")
    assert [t.text for t in tokens] == ["[[figure C.1 yes]]", "[[percent 2.4.2.a no]]"]
