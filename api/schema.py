"""How the OpenAPI schema describes the API: its token authentication, its filters and its errors."""

from django.conf import settings
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ExpiringTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.ExpiringTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'A token from "API tokens" in the web app, or `manage.py create_api_token`, '
            "sent as `Authorization: Token <token>`. Tokens are stored hashed and expire.",
        }


class VerifiedSessionScheme(OpenApiAuthenticationExtension):
    """The signed-in session's cookie, as drf-spectacular describes DRF's own session authentication."""

    target_class = "api.auth.VerifiedSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": "The web app's session, once signed in with the password and the second factor.",
        }


class ScopedFilterParameters(DjangoFilterExtension):
    """The filters of views whose queryset depends on who is asking.

    The schema is generated with no user, so those views' `get_queryset()` cannot run and
    drf-spectacular's own extension would leave every filter out of the schema; the model
    comes from the filterset instead.
    """

    priority = 1

    def get_schema_operation_parameters(self, auto_schema, *args, **kwargs):
        view = auto_schema.view
        filterset_class = getattr(view, "filterset_class", None)
        if getattr(view, "queryset", None) is None and filterset_class is not None:
            view.queryset = filterset_class._meta.model.objects.none()
        return super().get_schema_operation_parameters(auto_schema, *args, **kwargs)


ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error has this shape (api/errors.py).",
    "properties": {
        "status": {"type": "integer", "description": "The HTTP status code"},
        "code": {"type": "string", "description": "e.g. not_authenticated, permission_denied, not_found, invalid"},
        "message": {"type": "string", "description": "What is wrong, for people"},
        "errors": {
            "type": "object",
            "description": "For a 400, each bad parameter and what is wrong with it",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["status", "code", "message", "errors"],
}

ERRORS = {
    "400": "A bad filter or parameter value: `errors` names each one.",
    "401": "No valid token or session: missing, unknown, expired or revoked.",
    "403": "Signed in, but not an analyst, regional director or administrator; or not a read.",
    "404": "No such thing, or not yours to see; also an unknown cursor or format.",
    "406": "The Accept header asks for neither JSON nor CSV.",
    "429": "Too many requests for this token: wait as long as Retry-After says.",
}

CSV_CONTENT = {"schema": {"type": "string", "description": "CSV with a header row, the JSON rows' fields as columns"}}


def _error_content() -> dict:
    # An error asked for as CSV (`?format=csv`) is rendered as CSV.
    return {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}, "text/csv": dict(CSV_CONTENT)}


def document_errors(result, generator, request, public):
    """Every operation's error responses in the one error shape, and CSV documented as CSV.

    drf-spectacular documents only the 200; the errors come from api/errors.py for every view.
    """
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.get("responses", {})
            for response in responses.values():
                if "text/csv" in response.get("content", {}):
                    response["content"]["text/csv"] = dict(CSV_CONTENT)
            for status_code, description in ERRORS.items():
                responses.setdefault(status_code, {"description": description, "content": _error_content()})
    return result
