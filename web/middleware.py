"""Refusals made before any view runs, the page for a refused method, the second factor, and no-store.

Hostile input in the address: a NUL byte, another control character or an over-long
segment in the path is "Page not found"; a control character in the query string is
a bad request. PostgreSQL refuses NUL in any string, so without this a path such as
/inspections/SW%00CIS/ or an admin filter such as ?status=dr%00aft reaches a query
and fails with a server error. Form fields are not checked here: each form refuses
NUL in its own fields (Django's fields do), so the error names the field and the
person's other entries are kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from knox.settings import knox_settings

from accounts.two_factor import VERIFY, second_factor_step
from api.errors import error_page, is_api

from .errors import method_not_allowed

# C0 and C1 control characters, DEL included: never part of an address this service gives out.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# A query string value may carry what a text box may hold: tabs and line breaks, nothing else below space.
CONTROL_CHARACTERS_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Longer than any reference, code or slug the service uses (the longest are 20 characters).
MAX_PATH_SEGMENT = 200


class HostileInputMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        if CONTROL_CHARACTERS.search(path) or any(len(segment) > MAX_PATH_SEGMENT for segment in path.split("/")):
            raise Http404("The address holds characters or a part that no page has")
        for key, values in request.GET.lists():
            if CONTROL_CHARACTERS_IN_TEXT.search(key) or any(CONTROL_CHARACTERS_IN_TEXT.search(v) for v in values):
                raise BadRequest("The query string holds control characters")
        return self.get_response(request)


class MethodNotAllowedPageMiddleware:
    """Django's require_POST and require_http_methods answer a wrong method with an empty 405: give it a page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or response.streaming or response.content:
            return response
        allowed = [method.strip() for method in response.get("Allow", "").split(",") if method.strip()]
        page = method_not_allowed(request, allowed=allowed)
        page["Allow"] = response.get("Allow", "")
        return page


class NoStoreMiddleware:
    """Cache-Control: no-store (and Pragma: no-cache) on every response a view gives.

    Pages, downloads, CSVs and the API hold case records and are for one signed-in person: no
    browser, proxy or back button may keep a copy. Static files are answered by WhiteNoise
    before this middleware runs, so they keep their long caching.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"
        return response


class TwoFactorMiddleware:
    """A signed-in session that has not passed its second factor opens nothing but sign-in, sign-out
    and the two-factor pages (views marked `two_factor_exempt`): every other page redirects to enter a
    code, or to set an app up (accounts/two_factor.py says which). The API answers such a session
    with 403 in its own error shape; a request with an API token is not a session and is let through
    (DRF authenticates the token, which needs no second factor)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        if getattr(view_func, "two_factor_exempt", False) or not request.user.is_authenticated:
            return None
        if is_api(request) and _sends_api_token(request):
            return None
        step = second_factor_step(request)
        if step is None:
            return None
        if is_api(request):
            return error_page(
                403, "second_factor_required", "Finish signing in: enter the code from your authenticator app first."
            )
        url = reverse("accounts:two_factor_verify" if step == VERIFY else "accounts:two_factor_set_up")
        if request.method in ("GET", "HEAD"):
            url = f"{url}?{urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})}"
        return redirect(url)


def _sends_api_token(request: HttpRequest) -> bool:
    """Whether the request authenticates with `Authorization: Token …`, as knox reads it (any case)."""
    scheme = request.headers.get("Authorization", "").split()[:1]
    return bool(scheme) and scheme[0].lower() == knox_settings.AUTH_HEADER_PREFIX.lower()
