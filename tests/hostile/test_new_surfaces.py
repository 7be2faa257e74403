"""Hostile values on the new surfaces' addresses: every filter, drill-down and API parameter.

Property-based (Hypothesis, tests/hostile/values.py): markup, SQL, template and XML fragments,
NUL and other control characters, unicode oddities, numbers of the wrong type or size,
malformed dates, values of up to a million characters, and repeated parameters, sent to the
dashboards (filters, drill-downs, CSV tables), the inspection list (filters and paging), the
regional letter's figure picker, and every list of the API (every parameter of its schema,
the cursor, page size, ordering and format). Each answer is a page, a clear 400 or 404 or
a form error, never a server error; no markup from the address is echoed unescaped; nothing
is written. The forms that write are in tests/hostile/test_forms.py; the documents and
exports in tests/hostile/test_documents.py.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, urlencode

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st
from knox.models import AuthToken

from accounts.models import User
from casework.models import CaseReview
from dashboards.selectors import CHARACTERISTICS
from inspections.choices import CaseType

from .values import (
    assert_no_raw_echo,
    body_of,
    examples,
    has_form_error,
    hostile_values,
    is_bad_address_page,
    query_values,
    refused_in_address,
    row_counts,
    signed_in,
    values_of,
)

INSPECTOR = "inspector@demo.test"
LEAD = "lead@demo.test"
ANALYST = "analyst@demo.test"
ADMIN = "admin@demo.test"
DIRECTOR = "director.southwest@demo.test"


def last(value: str | list[str]) -> str:
    """What `QueryDict.get` reads from a repeated parameter: its last value."""
    return values_of(value)[-1]


def answer_of(client: Client, path: str, params: dict):
    """The answer to a GET with `params`: never a server error, never an unescaped echo. None when
    web.middleware refused the address for its control characters (checked here: a 400 page)."""
    response = client.get(path, params)
    assert response.status_code < 500, (path, {k: str(v)[:80] for k, v in params.items()})
    assert_no_raw_echo(response, [v for value in params.values() for v in values_of(value)])
    if refused_in_address(params):
        assert is_bad_address_page(response), response.status_code
        return None
    return response


def params_from(draw, names: list[str], valid: dict[str, list[str]]) -> dict:
    """One to three parameters of `names` (or one no page knows), each hostile or a valid value."""
    chosen = draw(st.lists(st.sampled_from([*names, "unknown"]), min_size=1, max_size=3, unique=True))
    params = {}
    for name in chosen:
        options = valid.get(name, [])
        strategies = [query_values] + ([st.sampled_from(options)] if options else [])
        params[name] = draw(st.one_of(*strategies))
    return params


# The dashboards --------------------------------------------------------------------------------

FILTERS = ["date_from", "date_to", "framework", "case_type", "rosh_level"]
DRILL_DOWN = ["question", "answer", "pdu", "region", "characteristic", "group"]
CHOICES = {
    "framework": {"pdu-2021"},
    "case_type": set(CaseType.values),
    "rosh_level": set(CaseReview.RoshLevel.values),
}
DASHBOARD_VALID = {
    "date_from": ["2023-01-01"],
    "date_to": ["2023-12-31"],
    "framework": ["pdu-2021"],
    "case_type": ["licence"],
    "rosh_level": ["high"],
    "format": ["csv"],
    "table": ["ratings", "findings", "open-actions", "disproportionality", "regions", "trends"],
    "question": ["2.2.3.e"],
    "answer": ["no", "relevant"],
    "pdu": ["dorset"],
    "region": ["south-west"],
    "characteristic": ["gender"],
    "group": ["female"],
}
DASHBOARDS = ["/regions/south-west/", "/national/"]
CASES = ["/regions/south-west/cases/", "/national/cases/"]


def invalid_choice(params: dict) -> str | None:
    """A filter whose value is not one of its choices: the page must say so."""
    for name, allowed in CHOICES.items():
        if name in params and last(params[name]) not in allowed | {""}:
            return name
    return None


@pytest.mark.django_db
def test_the_dashboards_filters_answer_hostile_values_with_a_400_and_the_reason(demo):
    client = signed_in(INSPECTOR)
    before = row_counts()

    @examples(40)
    @given(path=st.sampled_from(DASHBOARDS), data=st.data())
    def dashboard(path, data):
        params = params_from(data.draw, [*FILTERS, "format", "table"], DASHBOARD_VALID)
        response = answer_of(client, path, params)
        if response is None:
            return
        assert response.status_code in (200, 400)
        csv = last(params.get("format", "")) == "csv"
        if invalid_choice(params):
            assert response.status_code == 400
            if not csv:
                assert has_form_error(response) and "Choose a" in body_of(response)
        if csv:
            expected = "text/csv" if response.status_code == 200 else "text/plain"
            assert response["Content-Type"].startswith(expected)
        elif response.status_code == 400:
            assert has_form_error(response)

    dashboard()
    assert row_counts() == before


def drill_down_problem(params: dict) -> bool:
    """Whether the drill-down parameters break a rule the page states (a subset of them: enough to oracle)."""
    value = {name: last(params[name]) for name in DRILL_DOWN if name in params}
    if value.get("answer") and value["answer"] not in ("yes", "no", "relevant"):
        return True
    if value.get("answer") and not value.get("question"):
        return True
    if value.get("characteristic") and value["characteristic"] not in CHARACTERISTICS:
        return True
    if value.get("group") and not value.get("characteristic"):
        return True
    return any(value.get(name) and len(value[name]) > 60 for name in ("pdu", "region"))


@pytest.mark.django_db
def test_the_drill_down_parameters_answer_hostile_values_with_a_400_and_the_reason(demo):
    client = signed_in(INSPECTOR)
    before = row_counts()

    @examples(40)
    @given(path=st.sampled_from(CASES), data=st.data())
    def cases(path, data):
        params = params_from(data.draw, [*FILTERS, *DRILL_DOWN], DASHBOARD_VALID)
        response = answer_of(client, path, params)
        if response is None:
            return
        assert response.status_code in (200, 400)
        if invalid_choice(params) or drill_down_problem(params):
            assert response.status_code == 400
        if response.status_code == 400:
            assert has_form_error(response)

    cases()
    assert row_counts() == before


def test_a_repeated_or_over_long_drill_down_value_is_a_400_naming_it_escaped(demo):
    client = signed_in(INSPECTOR)
    group = '<script>alert("x")</script>' * 40_000  # about a million characters
    response = client.get("/regions/south-west/cases/", {"characteristic": "gender", "group": group})
    assert response.status_code == 400
    html = body_of(response)
    assert "There is no gender group" in html and "<script>alert" not in html
    response = client.get("/national/cases/", {"question": ["2.2.3.e", "2.2.3.e<b>"], "answer": "no"})
    assert response.status_code == 400 and "The question must be a code" in body_of(response)


# The inspection list ----------------------------------------------------------------------------

LIST_VALID = {"status": ["published", "fieldwork"], "year": ["2023", "2026"], "page": ["1", "2"], "q": ["SW"]}


@pytest.mark.django_db
def test_the_inspection_lists_filters_and_paging_answer_hostile_values_with_a_form_error(demo):
    # The administrator sees every demo inspection: published and in fieldwork, 2023 and 2026.
    clients = {"/inspections/": signed_in(ADMIN), "/": signed_in(ANALYST)}
    before = row_counts()

    @examples(40)
    @given(path=st.sampled_from(sorted(clients)), data=st.data())
    def listing(path, data):
        params = params_from(data.draw, ["q", "region", "status", "year", "framework", "page"], LIST_VALID)
        response = answer_of(clients[path], path, params)
        if response is None:
            return
        assert response.status_code == 200
        q = last(params["q"]).strip() if "q" in params else ""
        status = last(params.get("status", ""))
        year = last(params.get("year", ""))
        if len(q) > 100 or (path == "/inspections/" and (status not in ("", "published", "fieldwork"))):
            assert has_form_error(response), (q[:40], status[:40])
        if path == "/inspections/" and year not in ("", "2023", "2026"):
            assert has_form_error(response), year[:40]

    listing()
    assert row_counts() == before


# The figure picker on the letter composer (a GET form) ----------------------------------------------

PICKER_VALID = {"question": ["2.2.3.e", "C.1"], "answer": ["yes", "no"], "kind": ["figure", "percent"]}


@pytest.mark.django_db
def test_the_figure_picker_answers_hostile_values_with_a_form_error(demo):
    client = signed_in(LEAD)
    path = "/regional-letters/south-west-2023/"
    before = row_counts()

    @examples(25)
    @given(data=st.data())
    def picker(data):
        params = params_from(data.draw, ["question", "answer", "kind"], PICKER_VALID)
        params.setdefault("question", "2.2.3.e")
        response = answer_of(client, path, params)
        if response is None:
            return
        assert response.status_code in (200, 400)
        valid = (
            last(params["question"]) in PICKER_VALID["question"]
            and last(params.get("answer", "")) in ("yes", "no")
            and last(params.get("kind", "")) in ("figure", "percent")
        )
        if response.status_code == 200:
            assert has_form_error(response) != valid

    picker()
    assert row_counts() == before


# The API -----------------------------------------------------------------------------------------


def api_schema() -> dict:
    return json.loads(Client().get("/api/v1/schema/", {"format": "json"}).content)


def api_client(email: str) -> Client:
    _, token = AuthToken.objects.create(User.objects.get(email=email))
    return Client(HTTP_AUTHORIZATION=f"Token {token}")


API_VALID = {
    "question": ["2.2.3", "2.2.3.e"],
    "framework": ["pdu-2021"],
    "region": ["south-west"],
    "pdu": ["dorset"],
    "inspection": ["SW-DOR-2023", "SW-DOR-2023,SW-SOM-2023"],
    "by": ["pdu", "gender"],
    "updated_since": ["2023-01-01T00:00:00Z"],
    "fieldwork_from": ["2023-01-01"],
    "page_size": ["1", "2", "5000"],
    "ordering": ["-id", "fieldwork_start", "reference", "due_date", "-due_date"],
    "format": ["csv", "json"],
}


def query_parameters(schema: dict, path: str) -> dict[str, dict]:
    return {
        p["name"]: p
        for p in schema["paths"][path]["get"].get("parameters", [])
        if p["in"] == "query" and p["name"] not in ("cursor", "page_size")
    }


@st.composite
def cursors(draw) -> str:
    """DRF's cursor (base64 of o=, r=, p=) with hostile positions, offsets and directions; or random text."""
    position = draw(st.one_of(hostile_values, st.sampled_from(["1", "2023-06-05", "SW-DOR-2023"])))
    parts = {"p": position}
    if draw(st.booleans()):
        parts["o"] = draw(st.sampled_from(["0", "1", "-1", "x", "99999999999", "1e3"]))
    if draw(st.booleans()):
        parts["r"] = draw(st.sampled_from(["0", "1", "2", "x", ""]))
    encoded = base64.b64encode(urlencode(parts).encode()).decode()
    return draw(st.sampled_from([encoded, encoded[:-2], encoded + "!"]))


def enum_problem(parameters: dict[str, dict], params: dict) -> str | None:
    """A parameter with a list of allowed values given one outside it: the API must refuse it with a 400."""
    for name, value in params.items():
        enum = parameters.get(name, {}).get("schema", {}).get("enum")
        if enum and not isinstance(value, list) and value not in enum and value != "":
            return name
    return None


@pytest.mark.django_db
def test_every_api_parameter_answers_hostile_values_with_a_400_or_404_in_the_error_shape(demo):
    schema = api_schema()
    lists = sorted(p for p, item in schema["paths"].items() if "get" in item and "{" not in p and "schema" not in p)
    clients = {email: api_client(email) for email in (ANALYST, DIRECTOR, ADMIN)}
    before = row_counts()

    @examples(90)
    @given(path=st.sampled_from(lists), email=st.sampled_from(sorted(clients)), data=st.data())
    def api(path, email, data):
        parameters = query_parameters(schema, path)
        names = [*sorted(parameters), "cursor", "page_size", "ordering", "format"]
        params = params_from(data.draw, names, API_VALID)
        if data.draw(st.integers(0, 2)) == 0:  # a third of the requests carry a cursor edited by hand
            params["cursor"] = data.draw(cursors())
        required = {n: API_VALID[n][0] for n, p in parameters.items() if p.get("required")}
        params = {**required, **params}
        accept = data.draw(st.sampled_from([None, None, "text/csv", "application/xml", "*/*", "text/html", "x/y;q=2"]))
        if accept:
            clients[email].defaults["HTTP_ACCEPT"] = accept
        try:
            response = answer_of(clients[email], path, params)
        finally:
            clients[email].defaults.pop("HTTP_ACCEPT", None)
        if response is None:
            return
        assert response.status_code in (200, 400, 404, 406)
        if response.status_code != 200 and last(params.get("format", "")) != "csv" and accept != "text/csv":
            assert response["Content-Type"].startswith("application/json")
            body = json.loads(response.content)
            assert set(body) == {"status", "code", "message", "errors"} and body["status"] == response.status_code
        problem = enum_problem(parameters, params)
        if problem and "format" not in params and accept in (None, "*/*"):
            assert response.status_code == 400, problem

    api()
    assert row_counts() == before


@pytest.mark.django_db
def test_an_api_detail_address_with_a_hostile_key_is_a_404_or_400(demo):
    schema = api_schema()
    details = sorted(p for p, item in schema["paths"].items() if "get" in item and "{" in p)
    client = api_client(ANALYST)

    @examples(30)
    @given(path=st.sampled_from(details), key=hostile_values.filter(lambda v: 0 < len(v) < 5000))
    def detail(path, key):
        address = path.split("{")[0] + quote(key, safe="") + "/"
        response = client.get(address)
        assert response.status_code in (400, 404), (address[:120], response.status_code)
        assert response["Content-Type"].startswith("application/json")

    detail()


@pytest.mark.parametrize(
    ("path", "ordering", "position"),
    [
        ("/api/v1/answers/", "", "zzz"),
        ("/api/v1/inspections/", "", "1; DROP TABLE x"),
        ("/api/v1/case-reviews/", "", "99999999999999999999999999"),
        ("/api/v1/ratings/", "fieldwork_start", "zzz"),
        ("/api/v1/ratings/", "reference", "SW\x00DOR"),
        ("/api/v1/actions/", "due_date", "2023-02-30"),
        ("/api/v1/actions/", "-due_date", "\x00"),
        ("/api/v1/double-marking/", "reference", "<script>"),
        ("/api/v1/recommendations/", "", "-1.5"),
    ],
)
def test_a_cursor_edited_by_hand_is_a_404_not_a_server_error(demo, path, ordering, position):
    # Found by this file's cursor property: DRF filtered by the cursor's position as given, so a
    # position that was no id or date (or held a NUL byte) reached the query and failed with a 500.
    cursor = base64.b64encode(urlencode({"p": position}).encode()).decode()
    params = {"cursor": cursor, **({"ordering": ordering} if ordering else {})}
    response = api_client(ANALYST).get(path, params)
    assert response.status_code in (200, 404), response.status_code
    if response.status_code == 404:
        assert json.loads(response.content)["message"] == "Invalid cursor"


def test_a_real_cursor_still_pages_to_the_end(demo):
    client = api_client(ANALYST)
    seen, response = [], client.get("/api/v1/ratings/", {"page_size": 1, "ordering": "fieldwork_start"})
    while True:
        data = json.loads(response.content)
        seen += [row["inspection"] for row in data["results"]]
        if not data["next"]:
            break
        response = client.get(data["next"])
        assert response.status_code == 200
    assert sorted(seen) == ["SW-BSG-2023", "SW-DOR-2023", "SW-SOM-2023"]


# Hostile segments in the new pages' addresses ------------------------------------------------------

ADDRESSES = [
    "/regions/{}/",
    "/regions/{}/cases/",
    "/trackers/{}/",
    "/trackers/south-west/download/{}/",
    "/trackers/south-west/{}/1/",
    "/trackers/south-west/SW-DOR-2023/{}/",
    "/trackers/south-west/SW-DOR-2023/1/actions/{}/notes/",
    "/regional-letters/{}/",
    "/regional-letters/south-west-2023/findings/{}/",
    "/inspections/{}/recommendations/",
    "/inspections/SW-CIS-2026/recommendations/{}/",
    "/account/api-tokens/{}/revoke/",
    "/documents/jobs/{}/",
    "/api/v1/regions/{}/",
]


@pytest.mark.django_db
def test_a_hostile_segment_in_a_new_pages_address_is_not_found(demo):
    clients = {email: signed_in(email) for email in (LEAD, DIRECTOR, ANALYST)}
    before = row_counts()

    @examples(40)
    @given(
        address=st.sampled_from(ADDRESSES),
        email=st.sampled_from(sorted(clients)),
        segment=hostile_values.filter(lambda v: v.strip() and "/" not in v),
        post=st.booleans(),
    )
    def segment(address, email, segment, post):
        path = address.format(quote(segment, safe=""))
        client = clients[email]
        response = client.post(path, {"text": segment}) if post else client.get(path)
        assert response.status_code in (400, 403, 404, 405), (path[:120], response.status_code)
        assert_no_raw_echo(response, [segment])

    segment()
    assert row_counts() == before
