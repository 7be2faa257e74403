"""API tokens (the page and `create_api_token`), the data dictionary and the rate limit per token."""

from __future__ import annotations

import datetime
import io
import json
import re

import pandas as pd
import pytest
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken

from accounts.models import User
from api.models import APITokenEvent
from api.tokens import api_token_create

from ..factories import AnswerFactory, CaseReviewFactory, UserFactory, set_publication

PAGE = "/account/api-tokens/"
ANSWERS = "/api/v1/answers/"
ERROR_KEYS = {"status", "code", "message", "errors"}


def _token_on_page(html: str) -> str:
    match = re.search(r'id="token" name="token" type="text" value="([0-9a-f]+)"', html)
    assert match, "the new token is not on the page"
    return match.group(1)


def _token_client(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {token}")


@pytest.fixture
def published_answer(inspection):
    answer = AnswerFactory(case_review=CaseReviewFactory(inspection=inspection))
    set_publication(inspection, status="published", published_on=datetime.date(2024, 9, 1))
    return answer


# The page ------------------------------------------------------------------------------------


def test_an_analyst_creates_a_token_sees_it_once_uses_it_and_revokes_it(client, analyst, published_answer):
    client.force_login(analyst)
    page = client.get(PAGE)
    assert page.status_code == 200 and b"You have no API tokens" in page.content

    created = client.post(PAGE, {"days": "7"})
    assert created.status_code == 200
    assert "no-store" in created["Cache-Control"]
    token = _token_on_page(created.content.decode())
    assert "only time it is shown" in created.content.decode()
    stored = AuthToken.objects.get(user=analyst)
    assert token not in (stored.digest, stored.token_key)  # knox keeps a hash and the first characters only
    assert stored.expiry - timezone.now() == pytest.approx(
        datetime.timedelta(days=7), abs=datetime.timedelta(minutes=1)
    )

    # The token reads the API, in JSON and CSV, with no session.
    answers = _token_client(token).get(ANSWERS)
    assert answers.status_code == 200 and [a["question"] for a in answers.json()["results"]] == ["2.2.1"]
    csv = _token_client(token).get(ANSWERS, {"format": "csv"})
    assert b"".join(csv.streaming_content).startswith(b"case_key,inspection,question")

    # Listed by how it starts, never shown whole again.
    listing = client.get(PAGE).content.decode()
    assert token[:8] in listing and token not in listing

    revoke_url = reverse("web:api_token_revoke", args=[stored.token_key])
    confirm = client.get(revoke_url)
    assert confirm.status_code == 200 and b"Revoke token" in confirm.content
    assert AuthToken.objects.filter(user=analyst).exists()  # the confirmation page changes nothing
    done = client.post(revoke_url, follow=True)
    assert done.redirect_chain[-1][0] == PAGE
    assert f"Token {token[:8]}… revoked" in done.content.decode()
    assert not AuthToken.objects.filter(user=analyst).exists()

    refused = _token_client(token).get(ANSWERS)
    assert refused.status_code == 401
    assert set(refused.json()) == ERROR_KEYS and refused.json()["code"] == "not_authenticated"

    # Both are in the audit history, with who and why, and without the token or its hash.
    events = list(APITokenEvent.objects.order_by("pgh_id"))
    assert [e.pgh_label for e in events] == ["created", "deleted"]
    assert {e.token_key for e in events} == {stored.token_key} and {e.user_id for e in events} == {analyst.pk}
    assert [e.pgh_context.metadata["reason"] for e in events] == [
        "API token created on the API tokens page",
        "API token revoked by its owner",
    ]
    assert all(e.pgh_context.metadata["user"] == analyst.pk for e in events)


def test_an_expired_token_is_refused_with_the_error_shape(analyst):
    instance, token = api_token_create(user=analyst, days=1)
    AuthToken.objects.filter(pk=instance.pk).update(expiry=timezone.now() - datetime.timedelta(seconds=1))
    response = _token_client(token).get(ANSWERS)
    assert response.status_code == 401
    assert set(response.json()) == ERROR_KEYS and response.json()["status"] == 401


def test_someone_elses_token_cannot_be_seen_or_revoked(client, analyst, director):
    theirs, _ = api_token_create(user=director, days=30)
    client.force_login(analyst)
    url = reverse("web:api_token_revoke", args=[theirs.token_key])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert theirs.token_key not in client.get(PAGE).content.decode()
    assert AuthToken.objects.filter(pk=theirs.pk).exists()
    assert not APITokenEvent.objects.filter(pgh_label="deleted").exists()


@pytest.mark.parametrize("persona", ["inspector", "lead_inspector"])
def test_inspectors_and_leads_are_refused_the_page(db, client, request, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, {"days": "30"}).status_code == 403
    assert not AuthToken.objects.exists()
    assert PAGE.encode() not in client.get("/", follow=True).content  # not in their menu either


@pytest.mark.parametrize(
    "days", ["0", "366", "-5", "thirty", "7.5", "1e3"], ids=["zero", "too-many", "negative", "word", "decimal", "exp"]
)
def test_bad_days_are_a_govuk_error_and_nothing_is_written(client, analyst, days):
    client.force_login(analyst)
    response = client.post(PAGE, {"days": days})
    html = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in html and 'href="#days"' in html and html.count("between 1 and 365") >= 2
    assert "<title>Error: API tokens" in html
    assert not AuthToken.objects.exists() and not APITokenEvent.objects.exists()


def test_an_empty_days_field_means_the_default(client, analyst, settings):
    client.force_login(analyst)
    client.post(PAGE, {"days": ""})
    expiry = AuthToken.objects.get(user=analyst).expiry
    assert expiry - timezone.now() == pytest.approx(datetime.timedelta(days=30), abs=datetime.timedelta(minutes=1))


def test_the_token_limit_is_a_message_not_a_twenty_first_token(client, analyst):
    for _ in range(20):
        api_token_create(user=analyst, days=1)
    client.force_login(analyst)
    response = client.post(PAGE, {"days": "1"})
    assert response.status_code == 200 and b"Revoke one you no longer use" in response.content
    assert AuthToken.objects.filter(user=analyst).count() == 20


def test_directors_and_administrators_have_the_page_in_their_menu(client, director, administrator):
    for user in (director, administrator):
        client.force_login(user)
        page = client.get(PAGE)
        assert page.status_code == 200
        assert f'<a class="govuk-service-navigation__link" href="{PAGE}" aria-current="page">'.encode() in page.content


# The command ---------------------------------------------------------------------------------


def test_the_command_prints_only_a_working_token_for_the_days_asked(analyst, published_answer):
    out = io.StringIO()
    call_command("create_api_token", "Analyst@Example.test", "--days", "3", stdout=out)
    token = out.getvalue().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", token)
    assert _token_client(token).get(ANSWERS).status_code == 200
    expiry = AuthToken.objects.get(user=analyst).expiry
    assert expiry - timezone.now() == pytest.approx(datetime.timedelta(days=3), abs=datetime.timedelta(minutes=1))
    event = APITokenEvent.objects.get()
    assert event.pgh_context.metadata["reason"] == "API token created with manage.py create_api_token"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody@example.test"], "No account has the email address"),
        (["inspector@example.test"], "The API is for analysts"),
        (["analyst@example.test", "--days", "0"], "between 1 and 365"),
        (["analyst@example.test", "--days", "400"], "between 1 and 365"),
    ],
)
def test_the_command_refuses_unknown_people_other_roles_and_bad_days(inspector, analyst, args, message):
    out = io.StringIO()
    with pytest.raises(CommandError, match=message):
        call_command("create_api_token", *args, stdout=out)
    assert out.getvalue() == "" and not AuthToken.objects.exists()


def test_the_command_refuses_a_deactivated_account(db):
    UserFactory(email="gone@example.test", role=User.Role.ANALYST, is_active=False)
    with pytest.raises(CommandError, match="The API is for analysts"):
        call_command("create_api_token", "gone@example.test", stdout=io.StringIO())


# The data dictionary -------------------------------------------------------------------------


def _list_resources():
    from api.urls import router

    return [(prefix, basename) for prefix, viewset, basename in router.registry if hasattr(viewset, "list")]


def test_the_data_dictionary_covers_every_column_of_every_lists_csv(client, analyst):
    dictionary = Client().get("/api/v1/data-dictionary/").json()  # open to all, like the schema
    described = {r["resource"]: r for r in dictionary["resources"]}
    client.force_login(analyst)
    for prefix, basename in _list_resources():
        # `question` is required by findings, a narrowing filter on answers and ignored by the rest.
        csv = client.get(reverse(f"api:{basename}-list"), {"format": "csv", "question": "2.2.1"})
        assert csv.status_code == 200, prefix
        header = b"".join(csv.streaming_content).decode().splitlines()[0].split(",")
        columns = described[prefix]["columns"]
        assert [c["name"] for c in columns] == header, prefix
        for column in columns:
            assert column["meaning"] and column["type"], (prefix, column)


def test_the_data_dictionary_reads_allowed_values_and_labels_from_the_models(db):
    dictionary = Client().get("/api/v1/data-dictionary/").json()
    columns = {(r["resource"], c["name"]): c for r in dictionary["resources"] for c in r["columns"]}
    value = columns[("answers", "value")]
    assert value["allowed_values"] == [
        {"value": "yes", "label": "Yes"},
        {"value": "no", "label": "No"},
        {"value": "not_applicable", "label": "Not applicable"},
    ]
    tier = columns[("case-reviews", "tier")]["allowed_values"]
    assert tier[0] == {"value": "", "label": "Not recorded"} and {"value": "A", "label": "A"} in tier
    assert columns[("case-reviews", "practitioner_months_in_service")]["type"] == "integer"
    assert columns[("case-reviews", "practitioner_months_in_service")]["nullable"] is True
    assert columns[("inspections", "updated_at")]["type"] == "datetime"


def test_the_data_dictionary_as_csv_has_a_row_per_resource_and_column(db):
    response = Client().get("/api/v1/data-dictionary/", {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0] == "resource,column,type,nullable,meaning,allowed_values"
    assert any(
        line.startswith("answers,value,string,false,") and "not_applicable = Not applicable" in line for line in lines
    )


def test_the_guide_is_the_schemas_description_and_links_the_dictionary(db):
    schema = Client().get("/api/v1/schema/", {"format": "json"}).json()
    description = schema["info"]["description"]
    assert "/api/v1/data-dictionary/" in description and "Authorization: Token" in description
    assert "create_api_token" in description and "Retry-After" in description


# The rate limit ------------------------------------------------------------------------------


@override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "rate"}})
def test_the_rate_limit_is_per_token_and_answers_429_with_retry_after(analyst, director, monkeypatch):
    from django.core.cache import cache
    from rest_framework.throttling import SimpleRateThrottle

    cache.clear()
    # DRF reads the rates when the throttle class is defined, so the test sets them there.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"api": "3/minute"})
    first = _token_client(api_token_create(user=analyst, days=1)[1])
    assert [first.get(ANSWERS).status_code for _ in range(3)] == [200, 200, 200]
    refused = first.get(ANSWERS)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    body = refused.json()
    assert set(body) == ERROR_KEYS and body["status"] == 429 and body["code"] == "throttled"
    # Another token has its own allowance.
    second = _token_client(api_token_create(user=director, days=1)[1])
    assert second.get(ANSWERS).status_code == 200
    cache.clear()


# The test of done: the South West 2023 answers to 2.2.3.e, pulled as the guide does ---


def test_an_analysts_token_pulls_the_south_west_2023_answers_and_finds_59_of_109(db):
    call_command("load_demo", stdout=io.StringIO())
    analyst = User.objects.filter(role=User.Role.ANALYST).first()
    out = io.StringIO()
    call_command("create_api_token", analyst.email, stdout=out)
    client = _token_client(out.getvalue().strip())
    query = {"region": "south-west", "fieldwork_from": "2023-01-01", "fieldwork_to": "2023-12-31"}
    response = client.get(ANSWERS, {**query, "question": "2.2.3.e", "format": "csv"})
    answers = pd.read_csv(io.BytesIO(b"".join(response.streaming_content)))
    relevant = answers[answers["value"] != "not_applicable"]
    assert ((relevant["value"] == "no").sum(), len(relevant)) == (59, 109)
    assert answers["inspection"].nunique() == 3


def test_the_guides_error_example_is_what_the_api_answers(client, analyst, settings):
    guide = (settings.BASE_DIR / "docs" / "api.md").read_text()
    example = json.loads(re.search(r"```json\n(.*?)\n```", guide, re.S).group(1))
    client.force_login(analyst)
    assert client.get(ANSWERS, {"value": "maybe"}).json() == example
