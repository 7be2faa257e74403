"""Every page carries a strict Content-Security-Policy, and every signed-in answer `Cache-Control: no-store`.

Walked as an administrator, who opens the most: every GET route of the authorisation matrix (pages,
downloads, CSVs, the admin, the API in JSON and CSV), plus the sign-in page anonymously. Only the
API's ReDoc reference relaxes the policy, for styles only (docs/decisions/0012).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from api.tokens import api_token_create

from .every_page import NOT_WALKED, api_urls, page_urls, published_tracker
from .test_authorization_matrix import (
    POST_ROUTES,
    TRACKER_ROUTES,
    _named_routes,
    review,  # noqa: F401  (a fixture: a case with its second review and letters)
)

pytestmark = pytest.mark.django_db

SELF, NONE = "'self'", "'none'"
STRICT = {
    "default-src": [SELF],
    "script-src": [SELF],
    "style-src": [SELF],
    "img-src": [SELF, "data:"],
    "font-src": [SELF],
    "connect-src": [SELF],
    "frame-ancestors": [NONE],
    "form-action": [SELF],
    "base-uri": [SELF],
    "object-src": [NONE],
}
# ReDoc draws with styled-components (inline <style> and style attributes) and searches in a blob: Worker.
REDOC = {**STRICT, "style-src": [SELF, "'unsafe-inline'"], "worker-src": ["blob:"]}
RELAXED = {"api:docs": REDOC}


def policy(response) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def assert_strict(name: str, response) -> None:
    directives = policy(response)
    assert directives == RELAXED.get(name, STRICT), name
    assert "'unsafe-inline'" not in directives["script-src"] and "'unsafe-eval'" not in directives["script-src"]
    assert "Content-Security-Policy-Report-Only" not in response, "enforced, not only reported"


@pytest.fixture
def walk(review, administrator):  # noqa: F811
    action = published_tracker(review.inspection.pdu.region, team=[])
    token, _ = api_token_create(user=administrator, days=1)
    urls = {**page_urls(review, action), **api_urls(review, action)}
    urls["web:api_token_revoke"] = reverse("web:api_token_revoke", kwargs={"token_key": token.token_key})
    return urls


def test_the_walk_covers_every_page_of_the_matrix(walk):
    posts = set(POST_ROUTES) | {name for name, (method, _) in TRACKER_ROUTES.items() if method == "POST"}
    walked = {name.split(" (")[0] for name in walk}
    assert set(_named_routes()) - NOT_WALKED - posts <= walked


def test_every_page_carries_the_policy_and_no_store_for_a_signed_in_administrator(client, administrator, walk):
    client.force_login(administrator)
    statuses = {}
    for name, url in walk.items():
        response = client.get(url)
        statuses[name] = response.status_code
        assert_strict(name, response)
        assert response["Cache-Control"] == "no-store", name
        assert response["Pragma"] == "no-cache", name
    # The walk met the pages themselves, not errors: only the second review (its second inspector's
    # alone) is not the administrator's.
    refused = {name: status for name, status in statuses.items() if status != 200}
    assert refused == {"casework:second_review": 404}, refused
    # Downloads and CSVs among them.
    for name in ("documents:download", "trackers:download (xlsx)", "dashboards:region (csv)", "api:answer-list (csv)"):
        assert statuses[name] == 200, name


def test_the_sign_in_page_and_an_error_page_carry_the_policy(client, administrator):
    response = client.get(reverse("accounts:sign_in"))
    assert response.status_code == 200
    assert_strict("accounts:sign_in", response)
    client.force_login(administrator)
    missing = client.get("/inspections/NO-SUCH-2024/")
    assert missing.status_code == 404
    assert_strict("404", missing)
    assert missing["Cache-Control"] == "no-store"


def test_static_files_keep_their_caching(client, administrator):
    client.force_login(administrator)
    response = client.get("/static/css/application.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert "Pragma" not in response


def test_no_template_has_an_inline_script_style_or_event_handler():
    """What the policy would block, caught before a browser meets it (tests/browser fail on violations too)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    # The letter's PDF is drawn by WeasyPrint on the server, which no policy governs.
    server_side = {"documents/letter_pdf.html"}
    found = []
    for path in sorted((root / "templates").rglob("*.html")):
        if str(path.relative_to(root / "templates")) in server_side:
            continue
        html = path.read_text(encoding="utf-8")
        for pattern in (r"<script(?![^>]*\bsrc=)[^>]*>", r"<style\b", r"\sstyle=", r"\son[a-z]+\s*=", r"javascript:"):
            found += [f"{path.relative_to(root)}: {m.group(0)}" for m in re.finditer(pattern, html)]
    assert not found
