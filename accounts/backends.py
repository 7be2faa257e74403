"""Sign-in by email address, refusing the published demo password where demo logins are off."""

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from .models import User


class EmailBackend(ModelBackend):
    """Authenticates by email, ignoring case, as people type their address however they like.

    The demo accounts' password is printed in the README, so it is no secret: under
    settings with DEMO_LOGINS_ALLOWED off (production) it is refused for every
    account, and a demo account loaded into production can never be used.
    """

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs
    ) -> User | None:
        email = username if username is not None else kwargs.get(User.USERNAME_FIELD)
        if not email or password is None:
            return None
        if not settings.DEMO_LOGINS_ALLOWED and password == settings.DEMO_PASSWORD:
            return None
        try:
            user = User._default_manager.get(email__iexact=email.strip())
        except (User.DoesNotExist, User.MultipleObjectsReturned):
            # Hash once anyway, so a missing account takes as long as a wrong password (Django #20760).
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    async def aauthenticate(self, request, username=None, password=None, **kwargs):
        # ModelBackend's async path has its own lookup; route it through the checks above.
        return await sync_to_async(self.authenticate)(request, username=username, password=password, **kwargs)
