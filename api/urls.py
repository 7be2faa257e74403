"""/api/v1/: the analysts' API, its OpenAPI schema and its documentation (served from our static files)."""

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView
from rest_framework.routers import SimpleRouter

from . import views, views_results
from .dictionary import DataDictionaryView

app_name = "api"

# The one page whose Content-Security-Policy is relaxed, and only for styles (docs/decisions/0012).
# ReDoc renders with styled-components, which writes <style> elements and style attributes as it
# draws, so it cannot work under style-src 'self'. Its scripts are still ours only (no inline script:
# templates/api/redoc.html loads static files), and the page shows the public schema and guide, no
# case data. ReDoc's search runs in a Worker started from a blob: address.
REDOC_CSP = csp_update({"style-src": [UNSAFE_INLINE], "worker-src": ["blob:"]})

router = SimpleRouter(trailing_slash=True)
router.register("regions", views.RegionViewSet, basename="region")
router.register("pdus", views.PDUViewSet, basename="pdu")
router.register("inspections", views.InspectionViewSet, basename="inspection")
router.register("case-reviews", views.CaseReviewViewSet, basename="case-review")
router.register("answers", views.AnswerViewSet, basename="answer")
router.register("frameworks", views_results.FrameworkViewSet, basename="framework")
router.register("ratings", views_results.RatingsViewSet, basename="rating")
router.register("findings", views_results.FindingsViewSet, basename="finding")
router.register("double-marking", views_results.DoubleMarkingViewSet, basename="double-marking")
router.register("recommendations", views_results.RecommendationViewSet, basename="recommendation")
router.register("actions", views_results.ActionViewSet, basename="action")

urlpatterns = [
    path("v1/", include(router.urls)),
    path("v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Our template: drf-spectacular's links Google Fonts, and the docs must load from our own static files.
    path(
        "v1/docs/",
        REDOC_CSP(SpectacularRedocView.as_view(url_name="api:schema", template_name="api/redoc.html")),
        name="docs",
    ),
    # Each column's meaning, type and allowed values (api/dictionary.py), open to all like the schema.
    path("v1/data-dictionary/", DataDictionaryView.as_view(), name="data-dictionary"),
]
