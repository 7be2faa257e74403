"""One JSON shape for every API error: {"status", "code", "message", "errors"}.

401 (no valid token or session), 403 (signed in, not allowed), 404 (no such thing, or not
yours to see), 400 (a bad filter, named), 405, 406, 429: each says what is wrong and where.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    errors: dict = {}
    if isinstance(detail, dict) and "detail" in detail:
        message = str(detail["detail"])
    elif isinstance(detail, dict):
        errors = {
            field: [str(m) for m in (msgs if isinstance(msgs, list) else [msgs])] for field, msgs in detail.items()
        }
        message = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items())
    elif isinstance(detail, list):
        message = " ".join(str(m) for m in detail)
    else:
        message = str(detail)
    code = getattr(exc, "default_code", "error")
    if isinstance(exc, exceptions.APIException) and isinstance(exc.detail, dict | list) is False:
        code = getattr(exc.detail, "code", code) or code
    if response.status_code == status.HTTP_401_UNAUTHORIZED:
        code = "not_authenticated"
    body = {"status": response.status_code, "code": str(code), "message": message, "errors": errors}
    return Response(body, status=response.status_code, headers=_headers(response))


def _headers(response) -> dict[str, str]:
    return {name: value for name, value in response.items() if name in ("WWW-Authenticate", "Retry-After", "Allow")}


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def error_page(status_code: int, code: str, message: str) -> JsonResponse:
    """An error Django answers before any API view runs (an address no route matches, a control
    character refused by web.middleware), in the same shape: web.errors's handlers answer /api/ with it."""
    return JsonResponse({"status": status_code, "code": code, "message": message, "errors": {}}, status=status_code)
