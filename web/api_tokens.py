"""The API tokens page: an analyst, director or administrator creates, lists and revokes their own tokens.

Thin: the rules are in api/tokens.py, shared with `manage.py create_api_token`. A new token is
shown once, in the answer to the POST that made it (never stored in the session or sent by a
redirect), with `no-store` so the browser does not keep the page either.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods

from api.permissions import may_use_api
from api.tokens import (
    MAX_DAYS,
    MIN_DAYS,
    api_token_create,
    api_token_for,
    api_token_revoke,
    api_tokens_of,
    default_days,
)
from inspections.errors import Refused
from inspections.refusals import errors_onto_form, refusal_message

DAYS_MESSAGE = f"Enter the number of days as a whole number between {MIN_DAYS} and {MAX_DAYS}, like 30"


class TokenForm(forms.Form):
    days = forms.IntegerField(
        required=False,
        min_value=MIN_DAYS,
        max_value=MAX_DAYS,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
        error_messages={"invalid": DAYS_MESSAGE, "min_value": DAYS_MESSAGE, "max_value": DAYS_MESSAGE},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)


def _api_user(request: HttpRequest):
    if not may_use_api(request.user):
        raise PermissionDenied("API tokens are for analysts, regional directors and administrators")
    return request.user


@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    user = _api_user(request)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = api_token_create(user=user, days=form.cleaned_data["days"])
        except ValidationError as error:
            errors_onto_form(form, error)
        except Refused as refused:
            form.add_error(None, refusal_message(refused))
        else:
            response = render(request, "web/api_token_created.html", {"token": token, "secret": secret})
            add_never_cache_headers(response)
            return response
    return render(
        request,
        "web/api_tokens.html",
        {"form": form, "tokens": api_tokens_of(user), "default_days": default_days(), "max_days": MAX_DAYS},
    )


@require_http_methods(["GET", "POST"])
def api_token_revoke_page(request: HttpRequest, token_key: str) -> HttpResponse:
    user = _api_user(request)
    token = api_token_for(user=user, token_key=token_key)
    if request.method == "POST":
        api_token_revoke(user=user, token_key=token_key)
        messages.success(request, f"Token {token.starts_with}… revoked: it no longer works")
        return redirect("web:api_tokens")
    return render(request, "web/api_token_revoke.html", {"token": token})
