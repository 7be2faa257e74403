"""Refusals made before any view runs, and the page for a refused method.

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

from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse

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
