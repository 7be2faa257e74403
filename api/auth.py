"""Token authentication: django-rest-knox's hashed, expiring, revocable tokens.

The header is `Authorization: Token <token>`. An expired or revoked token is a 401,
like a missing one; knox deletes expired tokens as it meets them.
"""

from knox.auth import TokenAuthentication


class ExpiringTokenAuthentication(TokenAuthentication):
    """knox's authentication under the project's name, so the settings say what it is."""
