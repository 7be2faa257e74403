"""The staff accounts admin: sign-in is by email, so there is no username anywhere."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from .models import User


def _check_role_and_region(form: forms.ModelForm) -> None:
    # Mirrors the user_director_has_region constraint so the admin shows a field
    # error rather than an IntegrityError page.
    role = form.cleaned_data.get("role")
    if role == User.Role.REGIONAL_DIRECTOR and not form.cleaned_data.get("region"):
        form.add_error("region", "A regional director must be given the region they lead.")


def _normalised_unique_email(form: forms.ModelForm) -> str:
    # Sign-in ignores case, so two accounts whose emails differ only in case could not both sign in.
    email = User.objects.normalize_email(form.cleaned_data["email"]).lower()
    clash = User.objects.filter(email__iexact=email).exclude(pk=form.instance.pk)
    if clash.exists():
        raise forms.ValidationError("An account with this email address already exists.")
    return email


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "first_name", "last_name", "role", "region")

    def clean_email(self) -> str:
        return _normalised_unique_email(self)

    def clean(self):
        cleaned = super().clean()
        _check_role_and_region(self)
        return cleaned


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    def clean_email(self) -> str:
        return _normalised_unique_email(self)

    def clean(self):
        cleaned = super().clean()
        _check_role_and_region(self)
        return cleaned


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Name", {"fields": ("first_name", "last_name")}),
        ("Role", {"fields": ("role", "region")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "first_name",
                    "last_name",
                    "role",
                    "region",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    list_display = ["email", "first_name", "last_name", "role", "region", "is_active", "is_staff", "last_login"]
    list_filter = ["role", "region", "is_active", "is_staff", "is_superuser"]
    list_select_related = ["region"]
    search_fields = ["email", "first_name", "last_name"]
    ordering = ["email"]
    readonly_fields = ["last_login", "date_joined"]
