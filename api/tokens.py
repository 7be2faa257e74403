"""API tokens: created and revoked by their owner, on the tokens page or with `create_api_token`.

The one home of the rules, called by the page (web/api_tokens.py) and the command: who may hold
a token (`may_use_api`), how long it lasts (1 to 365 days, default API_TOKEN_DAYS), how many
may be live at once (REST_KNOX TOKEN_LIMIT_PER_USER), and that only its owner revokes it.
knox stores only a hash of each token, so the token itself is returned once, here, and never again.
Each create and revoke runs in a pghistory context naming who and why (api/models.py keeps the events).
"""

from __future__ import annotations

import datetime

import pghistory
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from knox.settings import knox_settings

from accounts.models import User
from inspections.errors import Refused

from .models import APIToken
from .permissions import may_use_api

MIN_DAYS, MAX_DAYS = 1, 365


def default_days() -> int:
    return knox_settings.TOKEN_TTL.days


def api_tokens_of(user) -> QuerySet[APIToken]:
    """The user's live tokens, newest first. Expired ones stop working at once and are not listed."""
    live = Q(expiry__isnull=True) | Q(expiry__gt=timezone.now())
    return APIToken.objects.filter(live, user=user).order_by("-created")


def validate_days(days: int | None) -> int:
    if days is None:
        return default_days()
    if isinstance(days, bool) or not isinstance(days, int) or not MIN_DAYS <= days <= MAX_DAYS:
        raise ValidationError(
            {"days": f"The number of days must be between {MIN_DAYS} and {MAX_DAYS}"}, code="out_of_range"
        )
    return days


def api_token_create(
    *, user, days: int | None = None, reason: str = "created on the API tokens page"
) -> tuple[APIToken, str]:
    """A new token for `user`, lasting `days` (default API_TOKEN_DAYS): the row, and the token to show once."""
    if not may_use_api(user):
        raise Refused("The API is for analysts, regional directors and administrators.", code="not_allowed")
    days = validate_days(days)
    limit = knox_settings.TOKEN_LIMIT_PER_USER
    with transaction.atomic(), pghistory.context(user=user.pk, reason=f"API token {reason}"):
        # One creation at a time per user, so two at once cannot both pass the limit.
        User.objects.select_for_update().filter(pk=user.pk).first()
        if limit is not None and api_tokens_of(user).count() >= limit:
            raise Refused(
                f"You already have {limit} tokens, the most you may hold. Revoke one you no longer use first.",
                code="too_many_tokens",
            )
        instance, token = APIToken.objects.create(user=user, expiry=datetime.timedelta(days=days))
    return instance, token


def api_token_revoke(*, user, token_key: str) -> APIToken:
    """Revoke one of `user`'s tokens at once. Another person's token, or none, is a 404."""
    with transaction.atomic(), pghistory.context(user=user.pk, reason="API token revoked by its owner"):
        token = api_token_for(user=user, token_key=token_key)
        APIToken.objects.filter(pk=token.pk).delete()
    return token


def api_token_for(*, user, token_key: str) -> APIToken:
    """The user's own token with this key, or a 404 (whether someone else's or no one's)."""
    token = api_tokens_of(user).filter(token_key=token_key).first()
    if token is None:
        raise Http404("No such token")
    return token
