from django.urls import path

from . import views

app_name = "dashboards"

urlpatterns = [
    path("regions/<slug:slug>/", views.region_dashboard, name="region"),
    path("regions/<slug:slug>/cases/", views.region_cases, name="region_cases"),
    path("national/", views.national, name="national"),
    path("national/cases/", views.national_cases, name="national_cases"),
]
