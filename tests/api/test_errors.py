"""Errors in one JSON shape — 401, 403, 404, 400, 405 — and list queries that do not grow with the page."""

from __future__ import annotations

import datetime
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from knox.models import AuthToken

from accounts.models import User

from .conftest import ANALYST, INSPECTOR, api_client, json_rows, list_paths, required_query, schema, token_for

ANSWERS = "/api/v1/answers/"


def error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert set(body) == {"status", "code", "message", "errors"}
    assert body["status"] == status and body["message"] and isinstance(body["errors"], dict)
    return body


def test_no_token_a_bad_token_and_an_expired_token_are_each_a_401(world):
    assert error(Client().get(ANSWERS), 401)["code"] == "not_authenticated"
    assert error(Client(HTTP_AUTHORIZATION="Token not-a-real-token").get(ANSWERS), 401)["code"] == "not_authenticated"
    instance, token = AuthToken.objects.create(User.objects.get(email=ANALYST), expiry=datetime.timedelta(days=1))
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(ANSWERS).status_code == 200
    AuthToken.objects.filter(pk=instance.pk).update(expiry=timezone.now() - datetime.timedelta(seconds=1))
    assert error(client.get(ANSWERS), 401)["code"] == "not_authenticated"
    # An unknown address under /api/ and a refused query string answer in the same shape, not as a page.
    assert error(Client().get("/api/v1/no-such-list/"), 404)["code"] == "not_found"
    assert error(api_client(ANALYST).get(ANSWERS + "?inspection=SW%01DOR"), 400)


def test_an_inspector_is_refused_with_a_403_by_session_and_by_token(world, client):
    inspector = User.objects.get(email=INSPECTOR)
    client.force_login(inspector)
    assert error(client.get(ANSWERS), 403)["code"] == "permission_denied"
    assert error(Client(HTTP_AUTHORIZATION=f"Token {token_for(INSPECTOR)}").get(ANSWERS), 403)["code"] == (
        "permission_denied"
    )


def test_an_unknown_reference_or_key_is_a_404(world):
    client = api_client(ANALYST)
    assert error(client.get("/api/v1/inspections/XX-NONE-2099/"), 404)["code"] == "not_found"
    assert error(client.get("/api/v1/case-reviews/ck_000000000000000000000000/"), 404)["code"] == "not_found"
    assert error(client.get("/api/v1/case-reviews/X710001/"), 404)["code"] == "not_found"  # a reference is no key
    assert error(client.get("/api/v1/regions/atlantis/"), 404)["code"] == "not_found"


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"case_type": "spaceship"}, "case_type"),
        ({"updated_since": "notadate"}, "updated_since"),
        ({"value": "maybe"}, "value"),
        ({"fieldwork_from": "2024-13-01"}, "fieldwork_from"),
    ],
)
def test_a_bad_filter_value_is_a_400_naming_the_parameter(world, query, parameter):
    body = error(api_client(ANALYST).get(ANSWERS, query), 400)
    assert body["code"] == "invalid" and list(body["errors"]) == [parameter]
    assert parameter in body["message"]


@pytest.mark.parametrize("since", ["2020-01-01T00:00:00+21:16", "0001-01-01T00:30:00+01:00", "9999-12-31T23:30-05:00"])
def test_updated_since_with_any_utc_offset_is_not_a_server_error(world, since):
    # Found by schemathesis: PostgreSQL refuses offsets beyond ±15:59, which ISO 8601 allows.
    client = api_client(ANALYST)
    rows = json_rows(client, ANSWERS, {"updated_since": since, "page_size": 5000})[0]
    assert len(rows) == (0 if since.startswith("9999") else len(json_rows(client, ANSWERS, {"page_size": 5000})[0]))
    response = client.get(ANSWERS, {"updated_since": since, "format": "csv"})
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"case_key,")


def test_a_post_is_a_405(world):
    body = error(api_client(ANALYST).post(ANSWERS, {}), 405)
    assert body["code"] == "method_not_allowed"


def test_a_write_is_refused_in_the_error_shape_and_writes_nothing(world):
    client = api_client(ANALYST)
    for method in (client.post, client.put, client.patch, client.delete):
        response = method("/api/v1/inspections/SW-DOR-2023/")
        assert response.status_code in (403, 405)
        error(response, response.status_code)
    assert client.get("/api/v1/inspections/SW-DOR-2023/").status_code == 200


def queries(client, path, query) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, query)
        assert response.status_code == 200, (path, response.content[:300])
    return len(captured.captured_queries)


def test_a_list_s_queries_do_not_grow_with_the_page_size(world):
    client = api_client(ANALYST)
    openapi = schema()
    assert queries(client, ANSWERS, {"page_size": 10}) == queries(client, ANSWERS, {"page_size": 500})
    paged = []
    for path in list_paths(openapi):
        query = required_query(openapi, path)
        small, large = {**query, "page_size": 2}, {**query, "page_size": 500}
        if not isinstance(client.get(path, small).json(), dict):
            continue  # not paged: a short list (regions, PDUs, frameworks)
        assert len(json_rows(client, path, large)[0]) > 2 or path == "/api/v1/findings/", path
        assert queries(client, path, small) == queries(client, path, large), path
        paged.append(path)
    assert {ANSWERS, "/api/v1/case-reviews/", "/api/v1/inspections/"} <= set(paged)
