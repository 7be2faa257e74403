"""How the OpenAPI schema describes the API's token authentication."""

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
