"""The error pages, in the GOV.UK Design System's patterns: config/urls.py's handler400, 403,
404 and 500, and the 405 page (web.middleware.MethodNotAllowedPageMiddleware). Under /api/, a
400 or 404 is answered in the API's JSON error shape (api/errors.py) instead.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader

from api.errors import error_page, is_api

logger = logging.getLogger(__name__)

# What the 500 page falls back to when even its template cannot be rendered.
PLAIN_SERVER_ERROR = (
    '<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">'
    "<title>Sorry, there is a problem with the service – Inspection case records</title></head>"
    "<body><main><h1>Sorry, there is a problem with the service</h1><p>Try again later.</p></main></body></html>"
)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request):
        return error_page(400, "bad_request", "The address holds characters no request may have.")
    return render(request, "400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # The project's PermissionDenied messages are written for the user ("Only the inspection's lead ...").
    reason = str(exception.args[0]).strip().rstrip(".") if exception is not None and exception.args else ""
    if reason:
        reason += "."
    return render(request, "403.html", {"reason": reason}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request):
        return error_page(404, "not_found", "Not found.")
    return render(request, "404.html", status=404)


def method_not_allowed(request: HttpRequest, *, allowed: list[str]) -> HttpResponse:
    return render(request, "405.html", {"allowed": allowed}, status=405)


def server_error(request: HttpRequest) -> HttpResponse:
    """Rendered without the request: the database, the session or a context processor may be what failed."""
    try:
        return HttpResponseServerError(loader.render_to_string("500.html"))
    except Exception:
        logger.exception("The 500 page could not be rendered; sent the plain one")
        return HttpResponseServerError(PLAIN_SERVER_ERROR)
