"""The two-factor pages: enter a code (or a recovery code) after the password, set an app up, and the
user's own "Two-factor sign-in" page. The rules are in accounts/two_factor.py.

New recovery codes are shown once, in the answer to the POST that made them: never kept in the
session or sent through a redirect (as API tokens are, web/api_tokens.py). Every page here has
`Cache-Control: no-store` (web.middleware.NoStoreMiddleware), the set-up page's secret included.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from . import two_factor
from .forms import AppCodeForm, RecoveryCodeForm
from .lockout import locked_out
from .views import SIGNED_IN_COOKIE

WRONG_APP_CODE = "The code is not correct or has expired. Enter the code your authenticator app shows now"
WRONG_RECOVERY_CODE = "The recovery code is not correct or has been used. Enter another of your recovery codes"


def _next_url(request: HttpRequest) -> str:
    """Where to go once verified: the page asked for, if it is on this site; else home."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _wait_message(seconds: int) -> str:
    return f"Wait {seconds} second{'s' if seconds != 1 else ''}, then enter a new code"


def _recovery_wait_message(seconds: int) -> str:
    return f"Wait {seconds} second{'s' if seconds != 1 else ''}, then enter the recovery code again"


def _check_code(request, form, device, verify_code, wrong_message: str, wait_message) -> HttpResponse | None:
    """A code posted after the password: on to the page asked for if right; locked out after too many
    wrong ones; otherwise None, with the form saying why (wrong, or wait: django-otp's throttle)."""
    wait = two_factor.throttled_seconds(device) if device else 0
    if wait:
        form.add_error("code", wait_message(wait))
    elif verify_code(request, form.cleaned_data["code"]):
        return redirect(_next_url(request))
    elif two_factor.a_wrong_code(request, request.user):
        return _lock_out(request)
    else:
        form.add_error("code", wrong_message)
    return None


def _lock_out(request: HttpRequest) -> HttpResponse:
    """Too many wrong codes: the half-signed-in session ends, with the lockout page (429)."""
    logout(request)
    response = locked_out(request)
    response.delete_cookie(SIGNED_IN_COOKIE)
    return response


def _not_here(request: HttpRequest, step: str | None) -> HttpResponse | None:
    """Where a session goes that has nothing to verify here: on, or to set an app up."""
    if step is None:
        return redirect(_next_url(request))
    if step == two_factor.SET_UP:
        return redirect(f"{reverse('accounts:two_factor_set_up')}?{request.GET.urlencode()}")
    return None


@two_factor.two_factor_exempt
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """After the password: the 6-digit code from the user's authenticator app."""
    elsewhere = _not_here(request, two_factor.second_factor_step(request, fresh=True))
    if elsewhere is not None:
        return elsewhere
    user = request.user
    if two_factor.is_locked_out(request, user):
        return _lock_out(request)
    device = two_factor.app_device(user)
    if device is None:  # recovery codes only (an administrator removed the app): use one of those
        return redirect(f"{reverse('accounts:two_factor_recovery')}?{request.GET.urlencode()}")
    form = AppCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        answer = _check_code(request, form, device, two_factor.verify_app_code, WRONG_APP_CODE, _wait_message)
        if answer is not None:
            return answer
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": _next_url(request)})


@two_factor.two_factor_exempt
@require_http_methods(["GET", "POST"])
def recovery(request: HttpRequest) -> HttpResponse:
    """After the password, without the phone: one of the user's recovery codes, used up by signing in."""
    elsewhere = _not_here(request, two_factor.second_factor_step(request, fresh=True))
    if elsewhere is not None:
        return elsewhere
    user = request.user
    if two_factor.is_locked_out(request, user):
        return _lock_out(request)
    device = two_factor.recovery_device(user)
    form = RecoveryCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        answer = _check_code(
            request, form, device, two_factor.verify_recovery_code, WRONG_RECOVERY_CODE, _recovery_wait_message
        )
        if answer is not None:
            return answer
    context = {"form": form, "next": _next_url(request), "has_app": two_factor.app_device(user) is not None}
    return render(request, "accounts/two_factor_recovery.html", context)


@two_factor.two_factor_exempt
@require_http_methods(["GET", "POST"])
def set_up(request: HttpRequest) -> HttpResponse:
    """Set an authenticator app up: its key as a QR code and as text, and a first code to confirm it.

    Only for an account with no confirmed device, or a session already verified (which then has
    one, and is sent to its page): a password alone never replaces someone's app.
    """
    user = request.user
    step = two_factor.second_factor_step(request, fresh=True)
    if step == two_factor.VERIFY:
        return redirect(f"{reverse('accounts:two_factor_verify')}?{request.GET.urlencode()}")
    if two_factor.app_device(user) is not None:
        return redirect("accounts:two_factor")
    device = two_factor.unconfirmed_app_device(user)
    form = AppCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        wait = two_factor.throttled_seconds(device)
        codes = None if wait else two_factor.confirm_app_device(request, device, form.cleaned_data["code"])
        if codes:
            context = {"codes": codes, "set_up": True, "next": _next_url(request)}
            return render(request, "accounts/two_factor_recovery_codes.html", context)
        form.add_error("code", _wait_message(wait) if wait else WRONG_APP_CODE)
    context = {
        "form": form,
        "next": _next_url(request),
        "secret": two_factor.secret_for_people(device),
        "qr_code": two_factor.qr_code_svg(device.config_url, label="QR code of the key for your authenticator app"),
        "issuer": settings.OTP_TOTP_ISSUER,
        "required": settings.OTP_REQUIRED,
    }
    return render(request, "accounts/two_factor_set_up.html", context)


@require_http_methods(["GET"])
def status(request: HttpRequest) -> HttpResponse:
    """The user's own page: whether two-factor sign-in is set up, and how many recovery codes are left."""
    user = request.user
    device = two_factor.app_device(user)
    context = {
        "device": device,
        "codes_left": two_factor.recovery_codes_left(user),
        "required": settings.OTP_REQUIRED,
    }
    return render(request, "accounts/two_factor.html", context)


@require_POST
def new_recovery_codes(request: HttpRequest) -> HttpResponse:
    """Ten new recovery codes, shown once; the old ones stop working. For a verified session only."""
    if not two_factor.is_verified(request.user):
        return redirect("accounts:two_factor")
    codes = two_factor.issue_recovery_codes(request.user)
    return render(request, "accounts/two_factor_recovery_codes.html", {"codes": codes, "set_up": False})
