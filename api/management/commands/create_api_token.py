from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from api.tokens import MAX_DAYS, MIN_DAYS, api_token_create, default_days
from inspections.errors import Refused


class Command(BaseCommand):
    help = (
        "Create an API token for an analyst, regional director or administrator and print it: only the token, "
        "on standard output, so a script can capture it. It is shown once (stored hashed) and is revoked on the "
        "API tokens page. The creation is in the audit history."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="The account's email address")
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"How many days the token works, {MIN_DAYS} to {MAX_DAYS} (default: API_TOKEN_DAYS, {default_days()})",
        )

    def handle(self, *args, email, days, **options):
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No account has the email address {email!r}")
        try:
            _, token = api_token_create(user=user, days=days, reason="created with manage.py create_api_token")
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        except Refused as refused:
            raise CommandError(f"{user.email}: {refused.message}") from None
        self.stdout.write(token)
