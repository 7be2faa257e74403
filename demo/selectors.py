"""Reads of the demo's records."""

from accounts.models import User

from .plan import ACCOUNTS


def demo_accounts() -> list[User]:
    """The demo accounts that exist, in the order the demo lists them."""
    order = {spec.email: position for position, spec in enumerate(ACCOUNTS)}
    users = User.objects.filter(email__in=order).select_related("region")
    return sorted(users, key=lambda user: order[user.email])
