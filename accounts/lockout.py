"""How django-axes names a sign-in attempt, and what a locked-out visitor is shown.

Both are named in the AXES_* settings; the counting and the lockout are django-axes's own.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def attempt_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """The email address an attempt was for, trimmed and lower-cased, as the email backend matches it.

    Our sign-in form passes `email`, the admin's sign-in form `username`. Every spelling must count
    against the same address, or a guesser could start again by changing the case or the form.
    """
    source = credentials or request.POST
    value = source.get(settings.AXES_USERNAME_FORM_FIELD) or source.get("username")
    return value.strip().lower() if isinstance(value, str) and value.strip() else None


def locked_out(request: HttpRequest, original_response=None, credentials: dict | None = None) -> HttpResponse:
    """The lockout page: 429 Too Many Requests, saying how long to wait, and nothing about the account."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "accounts/locked_out.html", {"cooloff_minutes": minutes}, status=429)
