from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("accounts.urls")),
    path("", include("web.urls")),
    # /inspections/<reference>/cases/<case reference>/…: the case review pages.
    path("inspections/", include("casework.urls")),
    path("inspections/", include("ratings.urls")),
    # /qa/: the lead inspector's queue of cases waiting for quality assurance.
    path("qa/", include("casework.qa_urls")),
    # /documents/: regional letters generated as Word or PDF, their jobs and downloads.
    path("documents/", include("documents.urls")),
    # /trackers/<region>/…: the region's action plan against the recommendations.
    path("trackers/", include("trackers.urls")),
    # /regions/<region>/ and /national/: the dashboards, their CSVs and the cases behind their counts.
    path("", include("dashboards.urls")),
    # /api/v1/…: the analysts' read-only API; /api/v1/schema/ and /api/v1/docs/ describe it.
    path("api/", include("api.urls")),
    path("admin/", admin.site.urls),
]

# The GOV.UK error pages (web/errors.py); the 405 page comes from web.middleware.
handler400 = "web.errors.bad_request"
handler403 = "web.errors.permission_denied"
handler404 = "web.errors.page_not_found"
handler500 = "web.errors.server_error"
