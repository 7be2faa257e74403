from django.urls import path

from . import two_factor_views, views
from .two_factor import two_factor_exempt

app_name = "accounts"

urlpatterns = [
    path("sign-in/", two_factor_exempt(views.SignInView.as_view()), name="sign_in"),
    # After the password: the code from the authenticator app, or a recovery code (accounts/two_factor.py).
    path("sign-in/code/", two_factor_views.verify, name="two_factor_verify"),
    path("sign-in/recovery-code/", two_factor_views.recovery, name="two_factor_recovery"),
    path("sign-out/", two_factor_exempt(views.SignOutView.as_view()), name="sign_out"),
    path("session/keep-alive/", views.keep_alive, name="keep_alive"),
    # The user's own two-factor sign-in: its state, setting an app up, new recovery codes.
    path("account/two-factor/", two_factor_views.status, name="two_factor"),
    path("account/two-factor/set-up/", two_factor_views.set_up, name="two_factor_set_up"),
    path("account/two-factor/recovery-codes/", two_factor_views.new_recovery_codes, name="two_factor_recovery_codes"),
]
