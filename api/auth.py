"""Token authentication (django-rest-knox's hashed, expiring, revocable tokens), and the session's.

The header is `Authorization: Token <token>`. An expired or revoked token is a 401,
like a missing one; knox deletes expired tokens as it meets them.
"""

from knox.auth import TokenAuthentication
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication

from accounts.two_factor import second_factor_step


class ExpiringTokenAuthentication(TokenAuthentication):
    """knox's authentication under the project's name, so the settings say what it is."""


class VerifiedSessionAuthentication(SessionAuthentication):
    """DRF's session authentication, for a session that has passed its second factor.

    web.middleware.TwoFactorMiddleware already answers an unverified session's API request with
    403; this refuses it again here, so the API does not rely on the middleware's order alone.
    """

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and second_factor_step(request._request) is not None:
            raise exceptions.PermissionDenied(
                "Finish signing in: enter the code from your authenticator app first.", code="second_factor_required"
            )
        return result
