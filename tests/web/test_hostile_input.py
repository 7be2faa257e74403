"""Hostile input everywhere gets a GOV.UK 4xx page or a form error, and writes nothing.

NUL bytes and control characters in the address, over-long path segments, values a form
never offered, the wrong HTTP method, and the pages for 400, 403, 404, 405 and 500.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.test import RequestFactory
from django.urls import reverse

from casework.models import CaseReview
from web.errors import server_error

from ..factories import CaseReviewFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
CASE = "/inspections/SW-TST-2024/cases/X300001/"
PROJECT_APPS = ("regions", "accounts", "inspections", "casework", "ratings")


def row_counts() -> dict[str, int]:
    """Rows in every table of the project's apps, their audit history included."""
    return {
        model._meta.label: model.objects.count()
        for app in PROJECT_APPS
        for model in apps.get_app_config(app).get_models()
    }


def title(html: str) -> str:
    return html.split("<title>", 1)[1].split("</title>", 1)[0]


def heading(html: str) -> str:
    return html.split('<h1 class="govuk-heading-l">', 1)[1].split("</h1>", 1)[0]


def details_post(review, **changes):
    data = {
        "version": review.version,
        "case_type": review.case_type,
        "court_report": review.court_report,
        "tier": review.tier,
        "rosh_level": review.rosh_level,
        "mappa_category": review.mappa_category,
        "mappa_level": review.mappa_level,
        "domestic_abuse": "no",
        "child_safeguarding": "no",
        "gender": review.gender,
        "ethnicity_group": review.ethnicity_group,
        "age_band": review.age_band,
        "disability": review.disability,
    }
    data.update(changes)
    return data


@pytest.fixture
def review(inspection, inspector, lead_inspector):
    return CaseReviewFactory(inspection=inspection, inspector=inspector, case_reference="X300001")


# The address ---------------------------------------------------------------------------------------------------


HOSTILE_PATHS = [
    "/inspections/SW%00CIS/",
    "/inspections/SW-TST-2024/cases/X30%000001/",
    "/inspections/SW-TST-2024/cases/X300001/details%00/",
    "/inspections/SW-TST-2024/cases/X300001/sections/2.%002/",
    "/inspections/SW-TST-2024/ratings/standards/1%001/judgement/",
    "/inspections/SW-TST-2024/ratings/standards/1.1%01/judgement/",
    "/inspections/SW-TST-2024%7F/",
    "/inspections/SW-TST-2024%C2%85/",
    "/inspections/SW-TST-2024/cases/X3%0A00001/",
    "/inspections/" + "A" * 201 + "/",
    "/inspections/SW-TST-2024/cases/" + "X" * 500 + "/",
    "/admin/casework/casereview/1%00/change/",
    "/admin/casework/casereview%00/",
]


@pytest.mark.parametrize("path", HOSTILE_PATHS)
def test_nul_control_characters_or_an_over_long_segment_in_the_path_is_page_not_found(
    client, review, lead_inspector, administrator, path
):
    client.force_login(administrator if path.startswith("/admin/") else lead_inspector)
    before = row_counts()
    for response in (client.get(path), client.post(path, details_post(review, domestic_abuse="yes"))):
        assert response.status_code == 404
        html = response.content.decode()
        assert heading(html) == "Page not found"
        assert title(html).startswith("Page not found – ")
        assert "govuk-template" in html and "check you copied the entire address" in html
    assert row_counts() == before
    assert CaseReview.objects.get(pk=review.pk).version == 1


def test_a_hostile_path_is_page_not_found_before_sign_in_too(client, review):
    response = client.get("/inspections/SW%00CIS/")
    assert response.status_code == 404
    assert heading(response.content.decode()) == "Page not found"


HOSTILE_QUERIES = [
    "/admin/casework/casereview/?status=dr%00aft",
    "/admin/casework/casereview/?q=X30%000001",
    "/admin/casework/casereview/?inspection__reference=SW%00",
    "/admin/inspections/inspection/?pdu__region__slug=south%00west",
    "/inspections/SW-TST-2024/?status=dr%00aft",
    "/inspections/SW-TST-2024/?inspector=%01",
    "/inspections/SW-TST-2024/?st%00atus=draft",
    "/inspections/?page=%1B",
    "/?next=%00",
]


@pytest.mark.parametrize("path", HOSTILE_QUERIES)
def test_nul_or_control_characters_in_the_query_string_are_a_bad_request(
    client, review, lead_inspector, administrator, path
):
    client.force_login(administrator if path.startswith("/admin/") else lead_inspector)
    before = row_counts()
    for response in (client.get(path), client.post(path, details_post(review))):
        assert response.status_code == 400
        html = response.content.decode()
        assert heading(html) == "Sorry, there is a problem with the web address or form"
        assert "govuk-template" in html
    assert row_counts() == before


def test_a_hostile_query_string_is_refused_on_the_sign_in_page(client, inspector):
    response = client.post("/sign-in/?next=/%00", {"email": inspector.email, "password": "Correct-Horse-42"})
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_tabs_and_line_breaks_in_a_query_value_are_text_not_hostile(client, review, administrator):
    client.force_login(administrator)
    assert client.get("/admin/casework/casereview/?q=X300001%09%0D%0A").status_code == 200


def test_a_sign_in_redirect_to_an_address_with_a_line_break_is_not_followed(client, inspector):
    response = client.post(
        "/sign-in/", {"email": inspector.email, "password": "Correct-Horse-42", "next": "/inspections/\r\nX: y"}
    )
    assert response.status_code == 302
    assert "\n" not in response["Location"]


# Forms ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["domestic_abuse", "child_safeguarding", "same_practitioner"])
@pytest.mark.parametrize("value", ["maybe", "True", "y", "yes\x00", " "])
def test_a_yes_no_question_refuses_anything_but_yes_or_no_and_writes_nothing(client, review, inspector, field, value):
    client.force_login(inspector)
    before = row_counts()
    response = client.post(CASE + "details/", details_post(review, **{field: value}))
    assert response.status_code == 400
    html = response.content.decode()
    label = {"domestic_abuse": "domestic abuse concerns", "child_safeguarding": "child safeguarding concerns"}
    message = f"Select yes or no for {label.get(field, 'same practitioner throughout')}"
    assert f'<a href="#{field}">{message}</a>' in html  # in the error summary, linked to the radios
    assert f'id="{field}-error"' in html
    stored = CaseReview.objects.values(field, "version").get(pk=review.pk)
    assert stored == {field: False if field != "same_practitioner" else None, "version": 1}
    assert row_counts() == before


def test_domestic_abuse_maybe_is_refused_with_the_case_review_unchanged(client, review, inspector):
    client.force_login(inspector)
    response = client.post(CASE + "details/", details_post(review, domestic_abuse="maybe", tier="D"))
    assert response.status_code == 400
    assert "Select yes or no for domestic abuse concerns" in response.content.decode()
    stored = CaseReview.objects.get(pk=review.pk)
    assert (stored.domestic_abuse, stored.tier, stored.version) == (False, "B", 1)


def test_a_yes_no_question_must_be_answered_unless_it_may_be_left_unrecorded(client, review, inspector):
    client.force_login(inspector)
    data = details_post(review)
    del data["domestic_abuse"]
    response = client.post(CASE + "details/", data)
    assert response.status_code == 400
    assert "Select yes or no for domestic abuse concerns" in response.content.decode()
    assert CaseReview.objects.get(pk=review.pk).version == 1
    # Same practitioner throughout may stay "not recorded".
    assert client.post(CASE + "details/", details_post(review, tier="D")).status_code == 302
    assert CaseReview.objects.values("tier", "same_practitioner", "version").get(pk=review.pk) == {
        "tier": "D",
        "same_practitioner": None,
        "version": 2,
    }


def test_yes_and_no_are_saved_as_true_and_false_and_shown_checked_again(client, review, inspector):
    client.force_login(inspector)
    data = details_post(review, domestic_abuse="yes", same_practitioner="no")
    assert client.post(CASE + "details/", data).status_code == 302
    stored = CaseReview.objects.get(pk=review.pk)
    assert (stored.domestic_abuse, stored.child_safeguarding, stored.same_practitioner) == (True, False, False)
    html = client.get(CASE + "details/").content.decode()
    assert 'id="domestic_abuse" name="domestic_abuse" type="radio" value="yes" checked' in html
    assert 'id="child_safeguarding-2" name="child_safeguarding" type="radio" value="no" checked' in html
    assert 'id="same_practitioner-2" name="same_practitioner" type="radio" value="no" checked' in html


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"practitioner_months_in_service": "12\x00"}, "practitioner_months_in_service"),
        ({"practitioner_months_in_service": "99999999999999999999"}, "practitioner_months_in_service"),
        ({"practitioner_months_in_service": "-1"}, "practitioner_months_in_service"),
        ({"tier": "B\x00"}, "tier"),
        ({"case_type": "licence" * 40}, "case_type"),
        ({"version": "1\x00"}, "version"),
    ],
)
def test_case_details_of_the_wrong_type_are_field_errors_and_write_nothing(client, review, inspector, changes, field):
    client.force_login(inspector)
    before = row_counts()
    response = client.post(CASE + "details/", details_post(review, **changes))
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert row_counts() == before
    assert CaseReview.objects.get(pk=review.pk).version == 1


def submitted(review, inspector):
    from casework import review_selectors, services
    from casework.services import AnswerInput

    questions = review_selectors.applicable_questions(
        framework_id=review.inspection.framework_id, case_type=review.case_type, court_report=review.court_report
    )
    services.case_review_save(
        review=review, by=inspector, expected_version=1, answers={q.code: AnswerInput("yes") for q in questions}
    )
    return services.case_review_submit(review=review, by=inspector, expected_version=2)


# A NUL byte in every kind of POSTed text, page by page: a field error on that field, nothing written.
NEW_CASE = "/inspections/SW-TST-2024/cases/new/"
JUDGEMENT = "/inspections/SW-TST-2024/ratings/standards/1.1/judgement/"
PANEL = "/inspections/SW-TST-2024/ratings/standards/2.1/panel/"


def new_case(**changes):
    return {"case_reference": "X400001", "case_type": "community", "court_report": "none", **changes}


NUL_POSTS = [
    ("inspector", CASE + "details/", {"reason": "Typo\x00"}, "reason"),
    ("inspector", CASE + "sections/2.2/", {"version": "1", "note-2.2.1": "Seen\x00"}, "note-2.2.1"),
    ("inspector", CASE + "sections/2.2/", {"version": "1", "answer-2.2.1": "yes\x00"}, "answer-2.2.1"),
    ("lead_inspector", CASE + "reassign/", {"inspector": "", "reason": "Leave\x00"}, "reason"),
    ("lead_inspector", NEW_CASE, new_case(case_reference="X4\x0000001"), "case_reference"),
    ("lead_inspector", NEW_CASE, new_case(case_type="community\x00"), "case_type"),
    ("lead_inspector", NEW_CASE, new_case(inspector="1\x00"), "inspector"),
    ("lead_inspector", JUDGEMENT, {"rating": "good", "rationale": "Seen\x00"}, "rationale"),
    ("lead_inspector", JUDGEMENT, {"rating": "good\x00", "rationale": "Seen"}, "rating"),
    ("lead_inspector", PANEL, {"to_rating": "good", "reason": "Panel\x00"}, "reason"),
]


@pytest.mark.parametrize("persona,path,data,field", NUL_POSTS)
def test_a_nul_byte_in_posted_text_is_a_field_error_and_writes_nothing(
    client, review, request, persona, path, data, field
):
    if "details/" in path:
        data = details_post(review, **data)
    client.force_login(request.getfixturevalue(persona))
    before = row_counts()
    response = client.post(path, data)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert 'class="govuk-error-summary"' in response.content.decode()
    assert row_counts() == before


def test_a_nul_byte_in_the_return_comments_is_a_field_error(client, review, inspector, lead_inspector):
    submitted(review, inspector)
    client.force_login(lead_inspector)
    before = row_counts()
    response = client.post(CASE + "return/", {"comment-2.2.1": "Check\x00"})
    assert response.status_code == 400
    assert response.context["form"].errors["comment-2.2.1"]
    assert row_counts() == before
    assert CaseReview.objects.get(pk=review.pk).status == "submitted"


def test_text_over_the_request_size_limit_is_a_bad_request_and_writes_nothing(client, review, inspector):
    client.force_login(inspector)
    before = row_counts()
    note = "Seen. " * (3 * 1024 * 1024 // 6)  # over Django's 2.5 MB DATA_UPLOAD_MAX_MEMORY_SIZE
    response = client.post(CASE + "sections/2.2/", {"version": "1", "answer-2.2.1": "yes", "note-2.2.1": note})
    assert response.status_code == 400
    assert heading(response.content.decode()) == "Sorry, there is a problem with the web address or form"
    assert row_counts() == before


@pytest.mark.parametrize("field", ["email", "password"])
def test_a_nul_byte_at_sign_in_is_a_field_error_and_signs_nobody_in(client, inspector, field):
    data = {"email": inspector.email, "password": "Correct-Horse-42"}
    data[field] = data[field][:3] + "\x00" + data[field][3:]
    response = client.post("/sign-in/", data)
    assert response.status_code == 200  # Django's LoginView answers an invalid form with 200
    assert response.context["form"].errors[field]
    assert "_auth_user_id" not in client.session


# Methods and the error pages -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method,path,allowed",
    [
        ("get", CASE + "submit/", "POST"),
        ("get", CASE + "moderate/", "POST"),
        ("get", "/sign-out/", "POST, OPTIONS"),
        ("put", CASE + "details/", "GET, POST"),
        ("get", "/inspections/SW-TST-2024/ratings/advance/", "POST"),
        ("post", "/inspections/SW-TST-2024/ratings/", "GET"),
    ],
)
def test_a_wrong_method_gets_the_405_page_with_the_allow_header(client, review, lead_inspector, method, path, allowed):
    client.force_login(lead_inspector)
    before = row_counts()
    response = getattr(client, method)(path)
    assert response.status_code == 405
    assert response["Allow"] == allowed
    html = response.content.decode()
    assert heading(html) == "Sorry, this page cannot be used that way"
    assert "Nothing was changed" in html and "govuk-template" in html
    assert row_counts() == before


def test_what_a_user_may_read_but_not_change_gets_the_403_page_with_the_reason(client, review, inspector):
    submitted(review, inspector)
    client.force_login(inspector)
    response = client.get(CASE + "return/")
    assert response.status_code == 403
    html = response.content.decode()
    assert heading(html) == "You do not have permission to do this"
    assert "Only the inspection&#x27;s lead inspector can do this." in html


def test_a_form_without_its_csrf_token_gets_the_form_could_not_be_sent_page(review, inspector):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(inspector)
    response = client.post(CASE + "details/", details_post(review, domestic_abuse="yes"))
    assert response.status_code == 403
    assert heading(response.content.decode()) == "Sorry, the form could not be sent"
    assert CaseReview.objects.get(pk=review.pk).version == 1


@pytest.mark.urls("tests.web.urls")
def test_a_fault_gets_the_problem_with_the_service_page(client):
    client.raise_request_exception = False
    response = client.get("/test/broken/")
    assert response.status_code == 500
    html = response.content.decode()
    assert heading(html) == "Sorry, there is a problem with the service"
    assert title(html).startswith("Sorry, there is a problem with the service – ")
    assert "Try again later." in html and "/static/css/application.css" in html


def test_the_500_page_needs_neither_the_database_nor_the_request(django_assert_num_queries):
    request = RequestFactory().get("/")  # no session, no user: the middleware may be what failed
    with django_assert_num_queries(0):
        response = server_error(request)
    assert response.status_code == 500
    assert heading(response.content.decode()) == "Sorry, there is a problem with the service"


def test_the_404_page_has_the_signed_in_users_navigation(client, inspector):
    client.force_login(inspector)
    html = client.get("/inspections/SW-NONE-2024/").content.decode()
    assert heading(html) == "Page not found"
    assert 'href="{}"'.format(reverse("web:inspection_list")) in html and "Sign out" in html


# `make run` ------------------------------------------------------------------------------------------------------

DEVELOPMENT_CHECK = (
    # Stops base.py reading a developer's own .env, so the subprocess sees only the environment given here.
    "import environ; environ.Env.read_env = lambda *args, **kwargs: None; "
    "import django; django.setup(); from django.conf import settings; from django.test import Client; "
    "client = Client(HTTP_HOST='localhost'); "
    "css = client.get('/static/css/application.css'); missing = client.get('/no-such-page/', HTTP_HOST='127.0.0.1'); "
    "print(settings.DEBUG, settings.ALLOWED_HOSTS, css.status_code, css['Content-Type'], missing.status_code, "
    "'<h1 class=\"govuk-heading-l\">Page not found</h1>' in missing.content.decode())"
)


def development_settings(**variables: str) -> str:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "config.settings.development",  # manage.py's, so `make run`'s
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/probation_inspections"),
        **variables,
    }
    result = subprocess.run(
        [sys.executable, "-c", DEVELOPMENT_CHECK], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_make_run_serves_with_debug_off_its_static_files_and_the_govuk_404_page():
    assert development_settings() == ("False ['127.0.0.1', 'localhost'] 200 text/css; charset=\"utf-8\" 404 True")


def test_debug_pages_in_development_only_when_asked_for():
    assert development_settings(DJANGO_DEBUG="true").startswith("True ['127.0.0.1', 'localhost'] 200 ")
