from __future__ import annotations

from django import forms
from django.contrib.auth import authenticate
from django.http import HttpRequest

from .models import User


class SignInForm(forms.Form):
    """Email and password, for Django's LoginView (which needs `get_user` and a `request` argument).

    Messages follow the GOV.UK Design System: they say what to do, and a failed
    sign-in never says whether the email address or the password was wrong.
    """

    email = forms.EmailField(
        label="Email address",
        max_length=254,
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.com",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        error_messages={"required": "Enter your password"},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    invalid_login = "Enter a correct email address and password"

    def __init__(self, request: HttpRequest | None = None, *args, **kwargs):
        self.request = request
        self.user_cache: User | None = None
        super().__init__(*args, **kwargs)

    def clean(self):
        email, password = self.cleaned_data.get("email"), self.cleaned_data.get("password")
        if email and password:
            self.user_cache = authenticate(self.request, email=email, password=password)
            if self.user_cache is None:
                raise forms.ValidationError(self.invalid_login, code="invalid_login")
        return self.cleaned_data

    def get_user(self) -> User | None:
        return self.user_cache


class AppCodeForm(forms.Form):
    """The 6-digit code an authenticator app shows (spaces and a hyphen are ignored)."""

    code = forms.CharField(
        label="Code",
        max_length=20,
        error_messages={"required": "Enter the 6-digit code from your authenticator app"},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split()).replace("-", "")
        if not (len(code) == 6 and code.isascii() and code.isdigit()):
            raise forms.ValidationError("Enter the code as 6 digits, like 123456", code="format")
        return code


class RecoveryCodeForm(forms.Form):
    """One of the user's recovery codes: 8 letters and numbers, in any case, spaced or not."""

    code = forms.CharField(
        label="Recovery code",
        max_length=40,
        error_messages={"required": "Enter one of your recovery codes"},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split()).replace("-", "").lower()
        if not (len(code) == 8 and code.isascii() and code.isalnum()):
            raise forms.ValidationError(
                "Enter the recovery code as 8 letters and numbers, like abcd 2345", code="format"
            )
        return code
