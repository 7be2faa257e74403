"""System checks of the sign-in's protections, so a settings change cannot drop them unnoticed.

`manage.py check` refuses a middleware order in which the second factor would not be enforced;
`check --deploy` (tests/test_settings.py runs it on the production settings) also warns when two-factor
sign-in is not required or the Content-Security-Policy allows inline script.
"""

from __future__ import annotations

from django.conf import settings
from django.core import checks

AUTHENTICATION = "django.contrib.auth.middleware.AuthenticationMiddleware"
OTP = "django_otp.middleware.OTPMiddleware"
TWO_FACTOR = "web.middleware.TwoFactorMiddleware"
CSP = "csp.middleware.CSPMiddleware"
NO_STORE = "web.middleware.NoStoreMiddleware"


@checks.register(checks.Tags.security)
def middleware_order(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    middleware = list(settings.MIDDLEWARE)
    missing = [name for name in (AUTHENTICATION, OTP, TWO_FACTOR, CSP, NO_STORE) if name not in middleware]
    if missing:
        return [checks.Error(f"MIDDLEWARE lacks {', '.join(missing)}", id="accounts.E001")]
    if not middleware.index(AUTHENTICATION) < middleware.index(OTP) < middleware.index(TWO_FACTOR):
        return [
            checks.Error(
                f"{OTP} must come after {AUTHENTICATION}, and {TWO_FACTOR} after both, or the second factor is not "
                "enforced",
                id="accounts.E002",
            )
        ]
    return []


@checks.register(checks.Tags.security, deploy=True)
def sign_in_protections(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    messages = []
    if not getattr(settings, "OTP_REQUIRED", False):
        messages.append(
            checks.Warning(
                "Two-factor sign-in is not required (OTP_REQUIRED is False): a password alone opens every page",
                hint="Use config.settings.production, which sets OTP_REQUIRED = True.",
                id="accounts.W001",
            )
        )
    directives = (getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}).get("DIRECTIVES", {})
    script_src = directives.get("script-src", directives.get("default-src", []))
    if not script_src or "'unsafe-inline'" in script_src or "'unsafe-eval'" in script_src:
        messages.append(
            checks.Warning(
                "The Content-Security-Policy's script-src is missing or allows inline script or eval",
                id="accounts.W002",
            )
        )
    return messages
