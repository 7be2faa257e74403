"""Sign in (the password: then the second factor, accounts/two_factor_views.py), sign out, and keeping a
session alive from the timeout warning."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from . import two_factor
from .forms import SignInForm

# Set at sign-in and removed at sign-out, so that a visitor who reaches the sign-in page
# without a session but with this cookie lost the session to inactivity. It holds no
# secret: it only chooses which message the sign-in page shows.
SIGNED_IN_COOKIE = "signed_in"


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "accounts/sign_in.html"
    redirect_authenticated_user = True

    timed_out = False

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # LoginView has already sent signed-in users on, so the visitor has no session here.
        self.timed_out = bool(request.COOKIES.get(SIGNED_IN_COOKIE))
        response = super().get(request, *args, **kwargs)
        if self.timed_out:
            response.delete_cookie(SIGNED_IN_COOKIE)
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(timed_out=self.timed_out, timeout_minutes=settings.SESSION_COOKIE_AGE // 60)
        return context

    def form_valid(self, form: SignInForm) -> HttpResponse:
        response = super().form_valid(form)
        # The password is the first step only, where the account has or needs a second factor.
        step = two_factor.step_for(form.get_user(), verified=False)
        if step is not None:
            name = "accounts:two_factor_verify" if step == two_factor.VERIFY else "accounts:two_factor_set_up"
            response = redirect(f"{reverse(name)}?{urlencode({'next': self.get_success_url()})}")
        response.set_cookie(
            SIGNED_IN_COOKIE,
            "1",
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
        return response


class SignOutView(auth_views.LogoutView):
    """POST only (Django's LogoutView refuses GET), so a link or prefetch cannot sign anyone out."""

    next_page = settings.LOGIN_URL

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.success(request, "You have signed out")
        response.delete_cookie(SIGNED_IN_COOKIE)
        return response


@login_not_required
@require_POST
def keep_alive(request: HttpRequest) -> HttpResponse:
    """Answer the timeout warning's "Stay signed in": the request itself renews the session.

    SESSION_SAVE_EVERY_REQUEST moves the expiry on with every request, so there is
    nothing to do but answer. An expired session gets 401, not a redirect, so the
    page's script can tell the user they were signed out.
    """
    if not request.user.is_authenticated:
        return JsonResponse({"signed_in": False}, status=401)
    return JsonResponse({"signed_in": True, "expires_in": request.session.get_expiry_age()})
