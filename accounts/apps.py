from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Connect the receiver that clears a complete sign-in's failed attempts (django-axes), and
        # register the checks of the sign-in's protections.
        from . import checks, two_factor  # noqa: F401
