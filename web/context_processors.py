"""What every page's layout needs: the navigation for the user's role and the session timeout."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from accounts.two_factor import second_factor_step
from api.permissions import may_use_api


def service(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if second_factor_step(request) is not None:
        # Signed in with the password only: nothing to go to until the second factor (only Sign out).
        return {"navigation": []}
    home, inspections = reverse("web:home"), reverse("web:inspection_list")
    navigation = [
        {"text": "Home", "href": home, "active": request.path == home},
        {"text": "Inspections", "href": inspections, "active": request.path.startswith(inspections)},
    ]
    # The national view leads to every region's dashboard; a director's home is their region's dashboard.
    if user.is_hmi_staff or user.is_administrator or user.role == user.Role.ANALYST:
        national = reverse("dashboards:national")
        active = request.path.startswith(national) or request.path.startswith("/regions/")
        navigation.append({"text": "Dashboards", "href": national, "active": active})
    if user.is_hmi_staff or user.is_administrator or user.role == user.Role.REGIONAL_DIRECTOR:
        letters = reverse("web:regional_reviews")
        navigation.append({"text": "Regional letters", "href": letters, "active": request.path.startswith(letters)})
    if may_use_api(user):
        tokens = reverse("web:api_tokens")
        navigation.append({"text": "API tokens", "href": tokens, "active": request.path.startswith(tokens)})
    two_factor = reverse("accounts:two_factor")
    navigation.append({"text": "Two-factor sign-in", "href": two_factor, "active": request.path.startswith(two_factor)})
    if user.is_staff:
        admin = reverse("admin:index")
        navigation.append({"text": "Admin", "href": admin, "active": request.path.startswith(admin)})
    return {
        "navigation": navigation,
        "session_timeout": {
            "seconds": settings.SESSION_COOKIE_AGE,
            "warning_seconds": settings.SESSION_TIMEOUT_WARNING_SECONDS,
            "minutes": settings.SESSION_COOKIE_AGE // 60,
            "warning_minutes": settings.SESSION_TIMEOUT_WARNING_SECONDS // 60,
        },
    }
