"""Pseudonymisation: no case reference and no evidence note reaches an analyst, anywhere — every
list the schema has (JSON, every page, and CSV), every detail address — and the case key that
replaces the reference is stable across calls and tokens and joins case reviews to answers.
"""

from __future__ import annotations

import collections

from api.pseudonym import case_key
from casework.models import Answer, CaseReview

from .conftest import (
    ANALYST,
    DIRECTOR_SW,
    NOTE_MARK,
    api_client,
    csv_text,
    detail_paths,
    json_rows,
    list_paths,
    required_query,
    schema,
)

DETAILS_PER_RESOURCE = 60  # detail addresses read per resource (case reviews alone have 162)


def analyst_bodies() -> list[tuple[str, str]]:
    client = api_client(ANALYST)
    openapi = schema()
    bodies = []
    rows_by_list = {}
    for path in list_paths(openapi):
        query = required_query(openapi, path)
        for page_size in ({}, {"page_size": 97}):
            rows, pages = json_rows(client, path, {**query, **page_size})
            bodies += [(path, page) for page in pages]
        rows_by_list[path] = rows
        bodies.append((f"{path}?format=csv", csv_text(client, path, query)))
        bodies.append((f"{path} Accept: text/csv", csv_text(client, path, query, accept=True)))
    for path in detail_paths(openapi):
        list_path, parameter = path.split("{")[0], path.split("{")[1].split("}")[0]
        rows = rows_by_list.get(list_path, [])
        column = parameter if rows and parameter in rows[0] else "inspection"
        for value in sorted({str(row[column]) for row in rows if column in row})[:DETAILS_PER_RESOURCE]:
            address = path.replace("{" + parameter + "}", value)
            response = client.get(address)
            assert response.status_code == 200, (address, response.content[:300])
            bodies.append((address, response.content.decode()))
            csv_response = client.get(address, {"format": "csv"})
            bodies.append(
                (
                    f"{address}?format=csv",
                    b"".join(csv_response.streaming_content).decode()
                    if csv_response.streaming
                    else csv_response.content.decode(),
                )
            )
    return bodies


def test_no_case_reference_and_no_evidence_note_reaches_an_analyst_anywhere(world):
    assert len(world.notes) >= 40 and len(world.case_references) >= 170
    assert Answer.objects.filter(note__contains=NOTE_MARK, case_review__inspection__status="published").count() >= 40
    bodies = analyst_bodies()
    assert len(bodies) > 100
    forbidden = {NOTE_MARK, *world.notes, *world.case_references}
    leaks = [(address, word) for address, body in bodies for word in forbidden if word in body]
    assert not leaks, leaks[:20]
    # The scan reads real data: the published cases' keys are there.
    everything = "".join(body for _, body in bodies)
    published = CaseReview.objects.filter(inspection__status="published").select_related("inspection")[:20]
    assert all(case_key(c.inspection.reference, c.case_reference) in everything for c in published)


def test_the_case_key_is_stable_across_calls_and_tokens_and_is_not_the_reference(world):
    first, second = api_client(ANALYST), api_client(ANALYST)
    director = api_client(DIRECTOR_SW)
    keys = [json_rows(client, "/api/v1/case-reviews/")[0] for client in (first, first, second)]
    assert keys[0] == keys[1] == keys[2]
    by_key = {row["case_key"]: row for row in keys[0]}
    assert len(by_key) == len(keys[0])  # one key per case
    for row in json_rows(director, "/api/v1/case-reviews/")[0]:
        assert by_key[row["case_key"]] == row  # the same key for a director's token too
    for case in CaseReview.objects.filter(inspection__status="published").select_related("inspection"):
        key = case_key(case.inspection.reference, case.case_reference)
        assert key in by_key and key != case.case_reference and case.case_reference not in key
        assert by_key[key]["inspection"] == case.inspection.reference
        assert by_key[key]["case_type"] == case.case_type


def test_the_case_key_joins_case_reviews_to_their_answers(world):
    client = api_client(ANALYST)
    case_reviews = {row["case_key"]: row for row in json_rows(client, "/api/v1/case-reviews/")[0]}
    answers = json_rows(client, "/api/v1/answers/", {"page_size": 1000})[0]
    by_case = collections.defaultdict(dict)
    for row in answers:
        assert row["case_key"] in case_reviews, row
        assert case_reviews[row["case_key"]]["inspection"] == row["inspection"]
        by_case[row["case_key"]][row["question"]] = row["value"]
    for case in CaseReview.objects.filter(inspection__status="published", archived_at=None).select_related(
        "inspection"
    ):
        expected = dict(case.answers.values_list("question__code", "value"))
        assert by_case.get(case_key(case.inspection.reference, case.case_reference), {}) == expected
    # The join through a case's detail address and the answers filtered to its inspection agree too.
    key, row = next(iter(case_reviews.items()))
    assert client.get(f"/api/v1/case-reviews/{key}/").json() == row
    same_inspection = json_rows(client, "/api/v1/answers/", {"inspection": row["inspection"], "page_size": 1000})[0]
    assert {a["question"]: a["value"] for a in same_inspection if a["case_key"] == key} == by_case[key]
