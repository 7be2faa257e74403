"""Who may use the API: analysts, regional directors and administrators (read-only)."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.models import User

API_ROLES = {User.Role.ANALYST, User.Role.REGIONAL_DIRECTOR, User.Role.ADMINISTRATOR}


def may_use_api(user) -> bool:
    """The one rule of who reads the API and holds tokens for it: the API, the tokens page and the command."""
    return bool(user and user.is_authenticated and user.is_active and (user.role in API_ROLES or user.is_administrator))


class IsAPIReader(BasePermission):
    message = "The API is for analysts, regional directors and administrators."

    def has_permission(self, request, view) -> bool:
        if not may_use_api(request.user):
            return False
        if request.method not in SAFE_METHODS:
            self.message = "The API is read-only."
            return False
        return True
