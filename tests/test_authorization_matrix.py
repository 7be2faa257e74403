"""Every route × every role: who gets the page, who gets 403 (may read, may not act) and who gets 404.

The route list is read from the URL configuration, so a new page without a row here fails
the completeness test instead of going unchecked.
"""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from casework.models import Answer, CaseReview, SecondReview
from documents.models import DocumentJob
from inspections.models import Inspection, RegionalReview
from tests.factories import set_publication

from .factories import CaseReviewFactory, published_action

PERSONAS = ["anonymous", "inspector", "lead", "outsider", "director", "other_director", "analyst", "admin"]
TEAM = {"inspector", "lead", "admin"}
LEADS = {"lead", "admin"}

# name → (kwargs kind, who gets 200 on GET in a fieldwork inspection, who gets 403; the rest 404)
GET_ROUTES = {
    "web:inspection_detail": ("inspection", TEAM, set()),
    "casework:new_case": ("inspection", LEADS, {"inspector"}),
    "casework:case_review": ("case", TEAM, set()),
    "casework:case_details": ("case", TEAM, set()),
    "casework:section": ("section", TEAM, set()),
    "casework:history": ("case", TEAM, set()),
    "casework:check_answers": ("case", TEAM, set()),
    "casework:summary": ("case", TEAM, set()),
    "qa:queue": ("none", LEADS, set()),  # across the inspections the user leads; not there for anyone else
    "casework:return": ("case", LEADS, {"inspector"}),
    "casework:reassign": ("case", LEADS, {"inspector"}),
    "casework:double_marking": ("inspection", LEADS, {"inspector"}),
    "casework:moderation": ("inspection", TEAM, set()),
    # Only the case's second inspector (the lead, in the fixture) opens its second review.
    "casework:second_review": ("case", {"lead"}, set()),
    "ratings:ratings": ("inspection", TEAM, set()),
    "ratings:judgement": ("judgement", LEADS, {"inspector"}),
    "ratings:override": ("override", LEADS, {"inspector"}),
    "ratings:publish": ("inspection", LEADS, {"inspector"}),
    "ratings:locking": ("inspection", LEADS, {"inspector"}),
    # Regional letters: inspection staff (inspectors and leads) and administrators; the job and its file
    # for whoever may request the same letter (the review's inspections' teams), 404 for the rest.
    "documents:letters": ("none", TEAM | {"outsider"}, set()),
    "documents:job": ("document_job", TEAM, set()),
    "documents:download": ("document_job", TEAM, set()),
    # Recommendations: whoever sees the inspection reads them; its lead writes them until it is published.
    "web:recommendations": ("inspection", TEAM, set()),
    "web:recommendation_add": ("inspection", LEADS, {"inspector"}),
    "web:recommendation_edit": ("recommendation", LEADS, {"inspector"}),
    "web:recommendation_delete": ("recommendation", LEADS, {"inspector"}),
    # Regional letters: leads start them; the teams of the review's inspections and administrators write them.
    "web:regional_review_new": ("none", LEADS, set()),
    "web:regional_review": ("letter", TEAM, set()),
    "web:regional_finding_edit": ("letter_finding", TEAM, set()),
    "web:regional_finding_delete": ("letter_finding", TEAM, set()),
}
# Actions: POST only. Outsiders get 404, the team's inspector 403, and nothing changes.
POST_ROUTES = {
    "casework:submit": "case",
    "casework:reply": "case",
    "casework:moderate": "case",
    "casework:resolve": "case",
    "ratings:override_remove": "override",
    "ratings:advance": "inspection",
    "ratings:unlock": "inspection",
    "ratings:relock": "inspection",
    "documents:request_letter": "regional_review",
    "documents:retry": "document_job",
    "web:recommendation_move": "recommendation",
}
OPEN_ROUTES = {"web:home", "web:inspection_list", "accounts:sign_in", "accounts:sign_out", "accounts:keep_alive"}
OPEN_ROUTES.add("web:regional_reviews")  # the regional letters the user may see, if any
# Two-factor sign-in: each person's own (tests/test_two_factor.py).
OPEN_ROUTES |= {
    "accounts:two_factor",
    "accounts:two_factor_set_up",
    "accounts:two_factor_verify",
    "accounts:two_factor_recovery",
    "accounts:two_factor_recovery_codes",
}


def _named_routes(patterns=None, namespace=""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _named_routes(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}"


def test_every_route_of_the_service_is_in_the_matrix():
    assert set(_named_routes()) - _api_routes() == set(GET_ROUTES) | set(POST_ROUTES) | OPEN_ROUTES | set(
        TRACKER_ROUTES
    ) | set(DASHBOARD_ROUTES) | set(API_TOKEN_ROUTES)


@pytest.fixture
def people(inspector, lead_inspector, outside_inspector, director, other_director, analyst, administrator):
    return {
        "anonymous": None,
        "inspector": inspector,
        "lead": lead_inspector,
        "outsider": outside_inspector,
        "director": director,
        "other_director": other_director,
        "analyst": analyst,
        "admin": administrator,
    }


@pytest.fixture
def review(inspection, inspector, lead_inspector):
    review = CaseReviewFactory(inspection=inspection, inspector=inspector, case_reference="X500001")
    SecondReview.objects.create(
        case_review=review,
        second_inspector=lead_inspector,
        assigned_by=lead_inspector,
        status=SecondReview.Status.SUBMITTED,
        submitted_at=timezone.now(),
    )
    _letter_objects(review)  # before any publication: recommendations lock with their inspection
    return review


LETTER_KINDS = {"recommendation", "letter", "letter_finding"}


def _letter_objects(review):
    """A recommendation of the fixture's inspection, and a regional review of it with one finding."""
    from inspections.models import Recommendation, RegionalFinding
    from inspections.models import RegionalReview as Letter

    inspection = review.inspection
    recommendation = Recommendation.objects.filter(inspection=inspection).first()
    if recommendation is None:
        recommendation = Recommendation.objects.create(inspection=inspection, addressee="pdu", text="Do", order=1)
    letter, _ = Letter.objects.get_or_create(
        slug="matrix-letter",
        defaults={"region": inspection.pdu.region, "letter_date": datetime.date(2024, 9, 1), "addressee": "A"},
    )
    letter.inspections.add(inspection)
    finding, _ = RegionalFinding.objects.get_or_create(
        review=letter, order=1, defaults={"heading": "staff", "kind": "narrative", "text": "Said"}
    )
    return recommendation, letter, finding


def _letter_kwargs(kind, review):
    recommendation, letter, finding = _letter_objects(review)
    return {
        "recommendation": {"reference": review.inspection.reference, "pk": recommendation.pk},
        "letter": {"slug": letter.slug},
        "letter_finding": {"slug": letter.slug, "pk": finding.pk},
    }[kind]


def _url(name, kind, review):
    reference = review.inspection.reference
    if kind in LETTER_KINDS:
        return reverse(name, kwargs=_letter_kwargs(kind, review))
    kwargs = {
        "none": {},
        "inspection": {"reference": reference},
        "case": {"reference": reference, "case_reference": review.case_reference},
        "section": {"reference": reference, "case_reference": review.case_reference, "slug": "2.2"},
        "judgement": {"reference": reference, "code": "1.1"},
        "override": {"reference": reference, "code": "2.2"},
    }.get(kind)
    if kind == "regional_review":
        kwargs = {"slug": _regional_review(review).slug}
    elif kind == "document_job":
        kwargs = {"job_id": _document_job(review).pk}
    return reverse(name, kwargs=kwargs)


def _regional_review(review):
    regional_review, _ = RegionalReview.objects.get_or_create(
        slug="matrix-review",
        defaults={"region": review.inspection.pdu.region, "letter_date": datetime.date(2024, 9, 1), "addressee": "A"},
    )
    regional_review.inspections.add(review.inspection)
    return regional_review


def _document_job(review):
    slug = _regional_review(review).slug
    job = DocumentJob.objects.filter(params__review=slug).first()
    if job is None:
        job = DocumentJob(kind="letter", format="docx", params={"review": slug}, fingerprint="matrix")
        job.requested_by = review.inspector
        job.status, job.checksum, job.finished_at = DocumentJob.Status.DONE, "0" * 64, timezone.now()
        job.file.save("matrix.docx", ContentFile(b"matrix"), save=False)
        job.save()
    return job


def _client_for(client, user):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("name", sorted(GET_ROUTES))
def test_each_page_of_a_fieldwork_inspection_answers_each_role_as_it_should(client, people, review, name):
    kind, allowed, read_only = GET_ROUTES[name]
    url = _url(name, kind, review)
    for persona in PERSONAS:
        status = _client_for(client, people[persona]).get(url).status_code
        if persona == "anonymous":
            expected = 302  # to the sign-in page
        elif persona in allowed:
            expected = 200
        elif persona in read_only:
            expected = 403
        else:
            expected = 404
        assert status == expected, f"{persona} on {name}: {status}, expected {expected}"


@pytest.mark.parametrize("name", sorted(POST_ROUTES))
def test_actions_are_refused_to_whoever_may_not_take_them_and_change_nothing(client, people, review, name):
    url = _url(name, POST_ROUTES[name], review)
    before = (CaseReview.objects.get(pk=review.pk).status, Inspection.objects.get(pk=review.inspection_id).status)
    for persona in ["outsider", "director", "other_director", "analyst"]:
        assert _client_for(client, people[persona]).post(url, {"version": 1}).status_code == 404, persona
    # The assigned inspector's own actions; team members may generate the letter and retry its job.
    if name not in ("casework:submit", "casework:reply", "documents:request_letter", "documents:retry"):
        assert _client_for(client, people["inspector"]).post(url, {"version": 1}).status_code == 403
    after = (CaseReview.objects.get(pk=review.pk).status, Inspection.objects.get(pk=review.inspection_id).status)
    assert after == before
    assert not Answer.objects.exists()


def test_a_published_inspection_shows_its_ratings_to_readers_of_its_region_and_never_its_cases(client, people, review):
    inspection = review.inspection
    set_publication(inspection, status=Inspection.Status.PUBLISHED, published_on=datetime.date(2024, 9, 1))
    pages = {name: _url(name, kind, review) for name, (kind, _, _) in GET_ROUTES.items()}
    for persona in ["director", "analyst"]:
        seen = {name: _client_for(client, people[persona]).get(url).status_code for name, url in pages.items()}
        assert seen.pop("web:inspection_detail") == 200 and seen.pop("ratings:ratings") == 200, persona
        # The published recommendations are read with the inspection; the regional letter by the region's director.
        assert seen.pop("web:recommendations") == 200, persona
        assert seen.pop("web:regional_review") == (200 if persona == "director" else 404), persona
        assert set(seen.values()) <= {403, 404}, (persona, seen)
        # A case's records are not there for them at all; adding a case is refused as an action (403).
        assert all(status == 404 for name, status in seen.items() if GET_ROUTES[name][0] in ("case", "section")), (
            persona,
            seen,
        )
    other = {name: _client_for(client, people["other_director"]).get(url).status_code for name, url in pages.items()}
    assert set(other.values()) == {404}


# The action plan of a published inspection's recommendation (trackers): name → (method, persona → status).
# The region's director keeps it; the team and administrators read it; the team records the follow-up.
# A director's POST of an empty form is shown again with its errors (200), and changes nothing.
TRACKER_READERS = {"inspector": 200, "lead": 200, "director": 200, "admin": 200}
TRACKER_KEEPER = {"inspector": 403, "lead": 403, "director": 200, "admin": 403}
TRACKER_ROUTES = {
    "trackers:tracker": ("GET", TRACKER_READERS),
    "trackers:recommendation": ("GET", TRACKER_READERS),
    "trackers:download": ("GET", TRACKER_READERS),
    "trackers:follow_up": ("GET", {"inspector": 200, "lead": 200, "director": 403, "admin": 200}),
    "trackers:response": ("POST", TRACKER_KEEPER),
    "trackers:action_add": ("POST", TRACKER_KEEPER),
    "trackers:action_update": ("POST", TRACKER_KEEPER),
    "trackers:note_add": ("POST", TRACKER_KEEPER),
    # Refused for want of a follow-up judgement: back to the follow-up page with the reason.
    "trackers:close": ("POST", {"inspector": 302, "lead": 302, "director": 403, "admin": 302}),
}


@pytest.fixture
def tracked_action(inspection, inspector, lead_inspector):
    return published_action(inspection)


@pytest.mark.parametrize("name", sorted(TRACKER_ROUTES))
def test_each_action_plan_route_answers_each_role_as_it_should(client, people, tracked_action, name):
    from trackers.models import Action, ProgressNote, RecommendationResponse

    method, allowed = TRACKER_ROUTES[name]
    recommendation = tracked_action.response.recommendation
    kwargs = {"region": "south-west", "reference": recommendation.inspection.reference, "order": 1}
    if name in ("trackers:action_update", "trackers:note_add"):
        kwargs["number"] = 1
    if name in ("trackers:tracker", "trackers:download"):
        kwargs = {"region": "south-west", **({"fmt": "xlsx"} if name == "trackers:download" else {})}
    url = reverse(name, kwargs=kwargs)

    def state():
        return (
            list(RecommendationResponse.objects.values()),
            list(Action.objects.values()),
            ProgressNote.objects.count(),
        )

    before = state()
    for persona in PERSONAS:
        client = _client_for(client, people[persona])
        status = (client.get(url) if method == "GET" else client.post(url, {})).status_code
        expected = 302 if persona == "anonymous" else allowed.get(persona, 404)
        assert status == expected, f"{persona} on {name}: {status}, expected {expected}"
    assert state() == before


# The dashboards: a director their own region only, counts only; the inspectorate's staff and
# analysts every region and the national view; only the staff follow a count to its cases.
DASHBOARD_READERS = {"inspector": 200, "lead": 200, "outsider": 200, "director": 200, "analyst": 200, "admin": 200}
DASHBOARD_ROUTES = {
    "dashboards:region": ("region", DASHBOARD_READERS),
    "dashboards:region_cases": ("region", {"inspector": 200, "lead": 200, "outsider": 200, "admin": 200}),
    "dashboards:national": ("none", {**DASHBOARD_READERS, "director": 404}),
    "dashboards:national_cases": ("none", {"inspector": 200, "lead": 200, "outsider": 200, "admin": 200}),
}


@pytest.mark.parametrize("name", sorted(DASHBOARD_ROUTES))
@pytest.mark.parametrize("csv", [False, True])
def test_each_dashboard_route_answers_each_role_as_it_should_for_its_own_and_another_region(
    client, people, tracked_action, other_region, name, csv
):
    kind, allowed = DASHBOARD_ROUTES[name]
    query = {"format": "csv", "table": "findings"} if csv and not name.endswith("_cases") else {}
    for slug, other in (
        (tracked_action.response.recommendation.inspection.pdu.region.slug, False),
        (other_region.slug, True),
    ):
        url = reverse(name, kwargs={"slug": slug} if kind == "region" else {})
        for persona in PERSONAS:
            client = _client_for(client, people[persona])
            status = client.get(url, query).status_code
            expected = 302 if persona == "anonymous" else allowed.get(persona, 404)
            # The other region's director reads the other region; this region's director does not.
            if kind == "region" and persona in ("director", "other_director") and expected != 302:
                mine = (persona == "director") != other
                expected = allowed.get("director", 404) if mine else 404
            assert status == expected, f"{persona} on {url} {query}: {status}, expected {expected}"


# The API: analysts, directors and administrators read it; inspectors and leads are refused (403);
# without a token or session it is a 401. Each answers in JSON and in CSV. Scoping of the rows
# themselves (a director's region, published only) is tested in tests/api/.
API_READERS = {"director": 200, "other_director": 200, "analyst": 200, "admin": 200}
API_LIST_ROUTES = {
    "api:region-list": {},
    "api:pdu-list": {},
    "api:inspection-list": {},
    "api:case-review-list": {},
    "api:answer-list": {},
    "api:framework-list": {},
    "api:rating-list": {},
    "api:finding-list": {"question": "2.2.3.e"},  # the question is required
    "api:double-marking-list": {},
    "api:recommendation-list": {},
    "api:action-list": {},
}
API_DETAIL_ROUTES = {"api:region-detail", "api:pdu-detail", "api:inspection-detail", "api:case-review-detail"}
API_DETAIL_ROUTES |= {"api:framework-detail", "api:rating-detail", "api:double-marking-detail"}
API_DOC_ROUTES = {"api:schema", "api:docs", "api:data-dictionary"}


def _api_routes() -> set[str]:
    return {name for name in _named_routes() if name.startswith("api:")}


def test_every_api_route_is_in_the_matrix():
    assert _api_routes() == set(API_LIST_ROUTES) | API_DETAIL_ROUTES | API_DOC_ROUTES


@pytest.mark.parametrize("name", sorted(API_LIST_ROUTES) + sorted(API_DOC_ROUTES))
@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_each_api_list_answers_each_role_as_it_should(client, people, tracked_action, name, fmt):
    url = reverse(name)
    query = {**API_LIST_ROUTES[name], "format": fmt} if name in API_LIST_ROUTES else {}
    for persona in PERSONAS:
        client = _client_for(client, people[persona])
        response = client.get(url, query)
        # The schema and the guide describe the API and hold no data: open to all.
        expected = 200 if name in API_DOC_ROUTES else 401 if persona == "anonymous" else API_READERS.get(persona, 403)
        assert response.status_code == expected, (
            f"{persona} on {url} {query}: {response.status_code}, expected {expected}"
        )


# The API tokens page: for whoever may use the API (403 for inspectors and leads); a token's
# revoke page for its owner only (the analyst's token, so 404 for every other API user).
API_TOKEN_ROUTES = {
    "web:api_tokens": {**API_READERS},
    "web:api_token_revoke": {"analyst": 200, "director": 404, "other_director": 404, "admin": 404},
}


@pytest.mark.parametrize("name", sorted(API_TOKEN_ROUTES))
def test_the_api_token_pages_answer_each_role_as_they_should(client, people, name):
    from knox.models import AuthToken

    from api.tokens import api_token_create

    token, _ = api_token_create(user=people["analyst"], days=1)
    url = reverse(name, kwargs={"token_key": token.token_key} if name == "web:api_token_revoke" else {})
    for persona in PERSONAS:
        client = _client_for(client, people[persona])
        expected = 302 if persona == "anonymous" else API_TOKEN_ROUTES[name].get(persona, 403)
        # A POST that would succeed (a create, the owner's revoke) is tested in tests/api/test_tokens.py.
        methods = ("get",) if expected == 200 else ("get", "post")
        for method in methods:
            status = getattr(client, method)(url).status_code
            assert status == expected, f"{persona} {method.upper()} {name}: {status}, expected {expected}"
    assert list(AuthToken.objects.values_list("token_key", flat=True)) == [token.token_key]
