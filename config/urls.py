from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("accounts.urls")),
    path("", include("web.urls")),
    # /inspections/<reference>/cases/<case reference>/…: the case review pages.
    path("inspections/", include("casework.urls")),
    path("inspections/", include("ratings.urls")),
    path("admin/", admin.site.urls),
]
