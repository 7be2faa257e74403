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
