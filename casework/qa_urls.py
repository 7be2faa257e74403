"""/qa/: the lead inspector's quality-assurance queue, across every inspection they lead."""

from django.urls import path

from . import lead_views

app_name = "qa"

urlpatterns = [
    path("", lead_views.queue, name="queue"),
]
