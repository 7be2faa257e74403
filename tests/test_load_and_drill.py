"""The load test's and the backup drill's own logic (their runs are `make load` and `make backup-drill`)."""

import random
from types import SimpleNamespace

import pytest
from django.urls import reverse

from bench.load import STALE_TEXT, form_fields, pair_outcome, section_post
from scripts.backup_drill import canonical, normalised

from .factories import CaseReviewFactory

STORED = "CHECK (((rag)::text = ANY ((ARRAY['red'::character varying, 'green'::character varying])::text[])))"
RESTORED = "CHECK (((rag)::text = ANY (ARRAY[('red'::character varying)::text, ('green'::character varying)::text])))"


def test_a_definition_postgresql_rewrites_on_restore_compares_equal_and_a_changed_one_does_not():
    assert canonical(STORED) == canonical(RESTORED)
    assert canonical(STORED) != canonical(STORED.replace("'green'", "'amber'"))
    assert normalised([("trackers_action", "action_rag_valid", STORED, True)]) == normalised(
        [("trackers_action", "action_rag_valid", RESTORED, True)]
    )


def test_the_load_test_reads_a_section_form_and_saves_it_like_a_browser(client, inspection, inspector):
    review = CaseReviewFactory(inspection=inspection, inspector=inspector, case_reference="X400001")
    path = reverse(
        "casework:section", kwargs={"reference": inspection.reference, "case_reference": "X400001", "slug": "2.2"}
    )
    client.force_login(inspector)
    fields = form_fields(client.get(path).content.decode())
    assert fields["version"] == "1" and fields["csrfmiddlewaretoken"]
    assert "answer-2.2.1" in fields["radios"] and set(fields["radios"]["answer-2.2.1"]) == {"yes", "no"}
    assert "note-2.2.1" in fields["notes"]

    first = section_post(fields, random.Random(1), flip=True)
    assert client.post(path, first).status_code == 302
    review.refresh_from_db()
    assert review.version == 2
    # Read again: every answer is checked now, and flipping moves each to another value.
    again = form_fields(client.get(path).content.decode())
    assert again["checked"] and again["version"] == "2"
    flipped = section_post(again, random.Random(1), flip=True)
    assert all(flipped[name] != value for name, value in again["checked"].items())


def response(status, text="", body=None):
    return SimpleNamespace(status_code=status, text=text, json=lambda: body or {})


@pytest.mark.parametrize(
    ("results", "autosave", "right"),
    [
        ([response(302), response(409, f"<h2>{STALE_TEXT}</h2>")], False, True),
        ([response(409, "x"), response(302)], False, False),  # a 409 that does not name the change
        ([response(302), response(302)], False, False),  # both saved: a lost update
        ([response(200, body={"saved": True}), response(409, body={"stale": True})], True, True),
        ([response(500), response(302)], False, False),
    ],
)
def test_two_saves_of_one_version_are_right_only_when_one_wins_and_the_other_is_refused(results, autosave, right):
    assert pair_outcome(results, autosave).startswith("WRONG") is not right
