import pghistory
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django_otp.plugins.otp_totp.models import TOTPDevice

from regions.models import Region

# Two-factor sign-in events written into the user's own history (accounts/two_factor.py).
RECOVERY_CODE_USED = "recovery_code_used"
RECOVERY_CODES_ISSUED = "recovery_codes_issued"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email, password, **fields):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **fields):
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email, password=None, **fields):
        fields.update(is_staff=True, is_superuser=True, role=User.Role.ADMINISTRATOR)
        return self._create(email, password, **fields)


# Who holds which role is security-relevant, so its changes are kept; the password hash is not.
# So are a recovery code's use and the issue of new ones (two-factor sign-in), as manual events.
@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    pghistory.ManualEvent(RECOVERY_CODE_USED),
    pghistory.ManualEvent(RECOVERY_CODES_ISSUED),
    fields=["email", "role", "region", "is_active", "is_staff", "is_superuser"],
    model_name="UserEvent",
    obj_field=pghistory.ObjForeignKey(related_name="events"),
)
class User(AbstractUser):
    """A member of staff. People on probation never have accounts or names here."""

    class Role(models.TextChoices):
        INSPECTOR = "inspector", "Inspector"
        LEAD_INSPECTOR = "lead_inspector", "Lead inspector"
        REGIONAL_DIRECTOR = "regional_director", "Regional director"
        ANALYST = "analyst", "Analyst"
        ADMINISTRATOR = "administrator", "Administrator"

    username = None
    email = models.EmailField("email address", unique=True)
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.INSPECTOR)
    # Only regional directors are scoped to a region; the constraint keeps that honest.
    region = models.ForeignKey(Region, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="regional_director") | Q(region__isnull=False),
                name="user_director_has_region",
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    @property
    def is_hmi_staff(self) -> bool:
        return self.role in {self.Role.INSPECTOR, self.Role.LEAD_INSPECTOR}

    @property
    def is_administrator(self) -> bool:
        return self.is_superuser or self.role == self.Role.ADMINISTRATOR


# A user's authenticator app (django-otp's TOTPDevice, tracked through a proxy so that the triggers
# and the event table are this app's migrations, as api.APIToken does for knox's tokens): its
# set-up, its confirmation with a first code, and its removal (an administrator resetting a lost
# phone) are kept by database triggers, like every other history here. Who, which and whether
# confirmed only: never the secret key, nor the counters that each sign-in moves.
@pghistory.track(
    pghistory.InsertEvent("added"),
    pghistory.UpdateEvent("changed"),
    pghistory.DeleteEvent("removed"),
    fields=["user", "name", "confirmed"],
    obj_field=None,
    model_name="AuthenticatorEvent",
)
class Authenticator(TOTPDevice):
    class Meta:
        proxy = True
        verbose_name = "authenticator app"
