"""Every page a signed-in person can GET, with the records each needs, for the walks of
tests/test_two_factor.py (none opens without the second factor) and tests/test_headers.py (each
carries the security headers).

The pages come from the authorisation matrix (tests/test_authorization_matrix.py), which fails
whenever a route has no row in it; `test_the_walk_covers_every_page_of_the_matrix` in
tests/test_headers.py fails when one of its GET routes is missing here.
"""

from __future__ import annotations

from django.urls import reverse

from api.pseudonym import case_key
from trackers.models import Action

from .factories import InspectionFactory, PDUFactory, TeamMemberFactory, published_action
from .test_authorization_matrix import (
    API_DETAIL_ROUTES,
    API_DOC_ROUTES,
    API_LIST_ROUTES,
    DASHBOARD_ROUTES,
    GET_ROUTES,
    TRACKER_ROUTES,
    _url,
)

# Routes that only answer POST (or are the two-factor pages themselves, walked on their own).
NOT_WALKED = {
    "accounts:sign_in",
    "accounts:sign_out",
    "accounts:keep_alive",
    "accounts:two_factor_verify",
    "accounts:two_factor_recovery",
    "accounts:two_factor_set_up",
    "accounts:two_factor_recovery_codes",
}


def published_tracker(region, team) -> Action:
    """A published inspection in `region`, with a recommendation, its response and an action; `team` on it."""
    inspection = InspectionFactory(
        reference="SW-PUB-2024", pdu=PDUFactory(slug="published-pdu", name="Published", region=region)
    )
    for user in team:
        TeamMemberFactory(inspection=inspection, user=user)
    return published_action(inspection)


def page_urls(review, action: Action) -> dict[str, str]:
    """Route name (with a suffix where one route gives several) → an address that GETs it."""
    urls = {name: _url(name, kind, review) for name, (kind, _, _) in GET_ROUTES.items()}
    recommendation = action.response.recommendation
    region = recommendation.inspection.pdu.region.slug
    where = {"region": region, "reference": recommendation.inspection.reference, "order": recommendation.order}
    for name, (method, _) in TRACKER_ROUTES.items():
        if method != "GET":
            continue
        if name == "trackers:tracker":
            urls[name] = reverse(name, kwargs={"region": region})
        elif name == "trackers:download":
            urls[f"{name} (xlsx)"] = reverse(name, kwargs={"region": region, "fmt": "xlsx"})
            urls[f"{name} (csv)"] = reverse(name, kwargs={"region": region, "fmt": "csv"})
        else:
            urls[name] = reverse(name, kwargs=where)
    for name, (kind, _) in DASHBOARD_ROUTES.items():
        url = reverse(name, kwargs={"slug": region} if kind == "region" else {})
        urls[name] = url
        if not name.endswith("_cases"):
            urls[f"{name} (csv)"] = f"{url}?format=csv&table=findings"
    urls.update(
        {
            "web:home": reverse("web:home"),
            "web:inspection_list": reverse("web:inspection_list"),
            "web:regional_reviews": reverse("web:regional_reviews"),
            "web:api_tokens": reverse("web:api_tokens"),
            "accounts:two_factor": reverse("accounts:two_factor"),
            "admin:index": reverse("admin:index"),
            "admin:accounts_user_changelist": reverse("admin:accounts_user_changelist"),
            "admin:otp_totp_totpdevice_changelist": reverse("admin:otp_totp_totpdevice_changelist"),
        }
    )
    return urls


def api_urls(review, action: Action) -> dict[str, str]:
    """Every API address, JSON and CSV: the lists, one of each detail, and the open documentation."""
    inspection = action.response.recommendation.inspection
    urls = {}
    for name, query in API_LIST_ROUTES.items():
        base = reverse(name)
        params = "&".join(f"{key}={value}" for key, value in query.items())
        urls[name] = f"{base}?{params}" if params else base
        urls[f"{name} (csv)"] = f"{base}?{params + '&' if params else ''}format=csv"
    details = {
        "api:region-detail": inspection.pdu.region.slug,
        "api:pdu-detail": inspection.pdu.slug,
        "api:inspection-detail": inspection.reference,
        "api:framework-detail": inspection.framework.code,
        "api:rating-detail": inspection.reference,
        "api:double-marking-detail": review.inspection.reference,
        "api:case-review-detail": case_key(review.inspection.reference, review.case_reference),
    }
    for name in sorted(API_DETAIL_ROUTES):
        urls[name] = reverse(name, args=[details[name]])
    for name in sorted(API_DOC_ROUTES):
        urls[name] = reverse(name)
    return urls
