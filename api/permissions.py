"""Who may use the API: analysts, regional directors and administrators (read-only)."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.models import User

API_ROLES = {User.Role.ANALYST, User.Role.REGIONAL_DIRECTOR, User.Role.ADMINISTRATOR}


class IsAPIReader(BasePermission):
    message = "The API is for analysts, regional directors and administrators."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        if request.method not in SAFE_METHODS:
            self.message = "The API is read-only."
            return False
        return user.role in API_ROLES or user.is_administrator
