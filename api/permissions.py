"""Who may use the API: analysts, regional directors and administrators (read-only)."""

from rest_framework.permissions import BasePermission

from accounts.models import User

API_ROLES = {User.Role.ANALYST, User.Role.REGIONAL_DIRECTOR, User.Role.ADMINISTRATOR}


def may_use_api(user) -> bool:
    """The one rule of who reads the API and holds tokens for it: the API, the tokens page and the command."""
    return bool(user and user.is_authenticated and user.is_active and (user.role in API_ROLES or user.is_administrator))


class IsAPIReader(BasePermission):
    """Readers of the API may send any method: the views have no write handlers, so a write is
    DRF's 405 (with `Allow: GET, HEAD, OPTIONS`), not a 403 that would say it could be allowed."""

    message = "The API is for analysts, regional directors and administrators."

    def has_permission(self, request, view) -> bool:
        return may_use_api(request.user)
