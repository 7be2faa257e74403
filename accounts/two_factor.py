"""Two-factor sign-in: an authenticator app (TOTP) and ten single-use recovery codes (django-otp).

A password opens a session that is signed in but not yet *verified*. `second_factor_step` says
what such a session must do before anything else: enter a code ("verify", for an account with a
confirmed device) or set an app up ("set_up", for one without, when `settings.OTP_REQUIRED`).
`web.middleware.TwoFactorMiddleware` sends every page there (and refuses the API with a 403),
so no view can be reached with the password alone. docs/decisions/0012.

Guessing is held back twice over. Each wrong code is a failed sign-in for django-axes, counted
with wrong passwords for the same email address and IP address, and the fifth ends the session
with the lockout page; the count is cleared only by a sign-in that is complete, second factor
included (`reset_lockout_count`), so signing in again with the password does not start it
over. And django-otp throttles each device whatever the address: after n wrong codes the next
is not even checked for 2^(n-1) seconds, until a right one.
"""

from __future__ import annotations

from base64 import b32encode

import pghistory
import qrcode
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import RECOVERY_CODE_USED, RECOVERY_CODES_ISSUED, User

VERIFY = "verify"
SET_UP = "set_up"
# What the account had to do when this session signed in with its password ("" for nothing).
STEP_SESSION_KEY = "second_factor_step"
RECOVERY_CODE_COUNT = 10
APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"


def two_factor_exempt(view):
    """Mark a view that a signed-in session may open before its second factor: sign-in, sign-out
    and the two-factor pages themselves. Every other view needs the second factor."""

    view.two_factor_exempt = True
    return view


def is_verified(user) -> bool:
    """Whether this session's user has passed their second factor (django-otp's OTPMiddleware)."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def has_confirmed_device(user: User) -> bool:
    return user_has_device(user, confirmed=True)


def step_for(user: User, *, verified: bool) -> str | None:
    """What a signed-in user must do before any page: VERIFY, SET_UP, or nothing (None)."""
    if not user.is_authenticated or verified:
        return None
    if has_confirmed_device(user):
        return VERIFY
    return SET_UP if settings.OTP_REQUIRED else None


def second_factor_step(request: HttpRequest, *, fresh: bool = False) -> str | None:
    """`step_for` the request's user, once per request.

    Where the second factor is required, an unverified session's step is read from the database
    (it only decides which page to redirect to). Where it is optional, whether the account has a
    device is noted in the session at sign-in (`_note_step_at_sign_in`), so that the pages of a
    session without one cost no query for it; the two-factor pages ask `fresh`, which reads it again.
    """
    if fresh or not hasattr(request, "_second_factor_step"):
        request._second_factor_step = _step(request, fresh=fresh)
    return request._second_factor_step


def _step(request: HttpRequest, *, fresh: bool) -> str | None:
    user = request.user
    if not user.is_authenticated or is_verified(user):
        return None
    if settings.OTP_REQUIRED or fresh or STEP_SESSION_KEY not in request.session:
        step = step_for(user, verified=False)
        request.session[STEP_SESSION_KEY] = step or ""
        return step
    return request.session[STEP_SESSION_KEY] or None


# The authenticator app ---------------------------------------------------------------------------------------------


def app_device(user: User, *, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("pk").first()


def unconfirmed_app_device(user: User) -> TOTPDevice:
    """The app being set up: the same secret on every visit to the set-up page until it is confirmed."""
    device = app_device(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    return device


def secret_for_people(device: TOTPDevice) -> str:
    """The key as an app asks for it when typed: base32, in groups of four."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code_svg(data: str, *, label: str) -> SafeString:
    """`data` as a QR code in inline SVG: written here, with no image library, no style attribute
    (the Content-Security-Policy allows none) and nothing fetched from anywhere."""
    code = qrcode.QRCode(border=4, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    size = len(matrix)
    runs = []
    for y, row in enumerate(matrix):
        x = 0
        while x < size:
            if row[x]:
                start = x
                while x < size and row[x]:
                    x += 1
                runs.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    return mark_safe(
        f'<svg class="app-qr-code" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'width="{size * 4}" height="{size * 4}" role="img" aria-label="{escape(label)}" focusable="false" '
        'shape-rendering="crispEdges">'
        f'<rect width="{size}" height="{size}" fill="#ffffff"/><path fill="#0b0c0c" d="{"".join(runs)}"/></svg>'
    )


def normalise_app_code(value: str) -> str:
    return "".join(value.split()).replace("-", "")


@transaction.atomic
def confirm_app_device(request: HttpRequest, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the app being set up with a code from it: the session is then verified, and the user
    is given new recovery codes (returned, to be shown once). None if the code is not right."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    if not device.verify_token(normalise_app_code(code)):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])  # accounts.AuthenticatorEvent keeps it
    # One app at a time: an unconfirmed spare from another tab goes.
    TOTPDevice.objects.filter(user=device.user_id, confirmed=False).delete()
    codes = issue_recovery_codes(device.user)
    complete_verification(request, device)
    return codes


# Recovery codes ----------------------------------------------------------------------------------------------------


def recovery_device(user: User) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def normalise_recovery_code(value: str) -> str:
    """Recovery codes are shown in lower case, in two groups of four: any case, spaces or hyphen will do."""
    return "".join(value.split()).replace("-", "").lower()


def format_recovery_code(token: str) -> str:
    return f"{token[:4]} {token[4:]}"


@transaction.atomic
def issue_recovery_codes(user: User) -> list[str]:
    """Ten new codes for the user, each usable once; any old ones stop working. Returned for showing once.

    The same device keeps its identity, so a session verified with an old code stays verified.
    """
    device = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk").first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    device.token_set.all().delete()
    tokens = {StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)}
    while len(tokens) < RECOVERY_CODE_COUNT:
        tokens.add(StaticToken.random_token())
    StaticToken.objects.bulk_create(StaticToken(device=device, token=token) for token in sorted(tokens))
    pghistory.create_event(user, label=RECOVERY_CODES_ISSUED)
    return [format_recovery_code(token) for token in sorted(tokens)]


# Verifying a signed-in session -------------------------------------------------------------------------------------


def throttled_seconds(device) -> int:
    """How long django-otp makes the user wait before it checks another code on this device (0: none)."""
    allowed, details = device.verify_is_allowed()
    if allowed or not details:
        return 0
    locked_until = details.get("locked_until")
    if locked_until is None:
        return 1
    return max(1, int((locked_until - timezone.now()).total_seconds() + 0.999))


def verify_app_code(request: HttpRequest, code: str) -> TOTPDevice | None:
    """Verify the session with a code from the user's app (each code once only, django-otp's last_t)."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=request.user, confirmed=True).order_by("pk").first()
        if device is None or not device.verify_token(normalise_app_code(code)):
            return None
    complete_verification(request, device)
    return device


def verify_recovery_code(request: HttpRequest, code: str) -> StaticDevice | None:
    """Verify the session with a recovery code, which is used up (django-otp deletes it)."""
    with transaction.atomic():
        device = (
            StaticDevice.objects.select_for_update().filter(user=request.user, confirmed=True).order_by("pk").first()
        )
        if device is None or not device.verify_token(normalise_recovery_code(code)):
            return None
        # In the user's history (accounts.UserEvent), with who and where from pghistory's context.
        pghistory.create_event(device.user, label=RECOVERY_CODE_USED)
    complete_verification(request, device)
    return device


def complete_verification(request: HttpRequest, device) -> None:
    user = request.user
    otp_login(request, device)
    request.session[STEP_SESSION_KEY] = VERIFY  # from now on this account has a device
    # A new session key, as at any change of privilege (Django's login() does the same).
    request.session.cycle_key()
    request._second_factor_step = None
    reset_lockout_count(request, user)


def a_wrong_code(request: HttpRequest, user: User) -> bool:
    """Count a wrong or refused code as a failed sign-in (django-axes); True when that locks the user out."""
    user_login_failed.send(sender=__name__, credentials=credentials_of(user), request=request)
    return bool(getattr(request, "axes_locked_out", False))


def is_locked_out(request: HttpRequest, user: User) -> bool:
    return AxesProxyHandler.is_locked(request, credentials_of(user))


def credentials_of(user: User) -> dict[str, str]:
    # As the sign-in form names the address (accounts.lockout.attempt_username reads it).
    return {settings.AXES_USERNAME_FORM_FIELD: user.email}


def reset_lockout_count(request: HttpRequest, user: User) -> None:
    """Clear the user's failed attempts from this address: the sign-in is complete."""
    AxesProxyHandler.update_request(request)
    AxesProxyHandler.get_implementation().reset_user_attempts(request, credentials_of(user))


@receiver(user_logged_in)
def _note_step_at_sign_in(sender, request, user, **kwargs):
    """Note in the new session what the account must do next. A password sign-in that needs no
    second factor is a complete sign-in: clear the count of failed attempts.

    (AXES_RESET_ON_SUCCESS is off, so that a password alone never clears it: see the module.)
    """
    if request is None:
        return
    step = step_for(user, verified=False)
    if hasattr(request, "session"):
        request.session[STEP_SESSION_KEY] = step or ""
    if step is None:
        reset_lockout_count(request, user)
