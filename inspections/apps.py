from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def _after_migrate(sender, using, **kwargs) -> None:
    from .database import grant_application_role, install_fast_trigger_helpers

    connection = connections[using]
    install_fast_trigger_helpers(connection)
    grant_application_role(connection)


class InspectionsConfig(AppConfig):
    name = "inspections"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Sent after every migrate, once all apps' migrations have run (and rewritten the
        # trigger helpers): see inspections/database.py.
        post_migrate.connect(_after_migrate, sender=self, dispatch_uid="inspections_after_migrate")
