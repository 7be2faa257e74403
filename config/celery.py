import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.development")

app = Celery("probation_inspections")
# Every CELERY_* setting in Django's settings configures Celery, including the
# beat schedule, so there is one place to read the configuration.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
