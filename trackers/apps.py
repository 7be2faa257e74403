from django.apps import AppConfig


class TrackersConfig(AppConfig):
    name = "trackers"
    verbose_name = "Recommendation trackers"
    default_auto_field = "django.db.models.BigAutoField"
