from django.urls import path

from . import api_tokens, letters_views, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("inspections/", views.inspection_list_page, name="inspection_list"),
    path("inspections/<str:reference>/", views.inspection_detail, name="inspection_detail"),
    path("inspections/<str:reference>/recommendations/", letters_views.recommendations, name="recommendations"),
    path(
        "inspections/<str:reference>/recommendations/add/",
        letters_views.recommendation_add,
        name="recommendation_add",
    ),
    path(
        "inspections/<str:reference>/recommendations/<int:pk>/",
        letters_views.recommendation_edit,
        name="recommendation_edit",
    ),
    path(
        "inspections/<str:reference>/recommendations/<int:pk>/delete/",
        letters_views.recommendation_delete_page,
        name="recommendation_delete",
    ),
    path(
        "inspections/<str:reference>/recommendations/<int:pk>/move/",
        letters_views.recommendation_move_action,
        name="recommendation_move",
    ),
    # An analyst's, director's or administrator's own API tokens (api/tokens.py has the rules).
    path("account/api-tokens/", api_tokens.api_tokens, name="api_tokens"),
    path("account/api-tokens/<str:token_key>/revoke/", api_tokens.api_token_revoke_page, name="api_token_revoke"),
    path("regional-letters/", letters_views.regional_reviews, name="regional_reviews"),
    path("regional-letters/new/", letters_views.regional_review_new, name="regional_review_new"),
    path("regional-letters/<slug:slug>/", letters_views.regional_review, name="regional_review"),
    path(
        "regional-letters/<slug:slug>/findings/<int:pk>/",
        letters_views.regional_finding_edit,
        name="regional_finding_edit",
    ),
    path(
        "regional-letters/<slug:slug>/findings/<int:pk>/delete/",
        letters_views.regional_finding_delete_page,
        name="regional_finding_delete",
    ),
]
