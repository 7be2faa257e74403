from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.plan import ACCOUNTS
from demo.selectors import demo_accounts

SITE_URL = "http://127.0.0.1:8000"


class Command(BaseCommand):
    help = "Print the demo accounts, their roles and the shared password."

    def handle(self, *args, **options):
        if not settings.DEMO_LOGINS_ALLOWED:
            raise CommandError("Demo logins are refused under these settings (DEMO_LOGINS_ALLOWED is False).")
        users = demo_accounts()
        if len(users) < len(ACCOUNTS):
            raise CommandError("The demo accounts are not loaded yet: run `python manage.py load_demo` first.")
        rows = [("Email", "Role", "Name")] + [
            (
                user.email,
                user.get_role_display() + (f" ({user.region.name})" if user.region else ""),
                user.get_full_name(),
            )
            for user in users
        ]
        widths = [max(len(row[column]) for row in rows) for column in range(3)]
        lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
        lines.insert(1, "  ".join("-" * width for width in widths))
        self.stdout.write(f"\nDemo running at {SITE_URL} — sign in with any of these accounts:\n")
        self.stdout.write("\n".join(lines))
        self.stdout.write(f"\nPassword for every demo account: {settings.DEMO_PASSWORD}\n")
