from django.urls import path

from . import double_marking_views, inspector_views, views
from .lead_views import summary

app_name = "casework"

case = "<str:reference>/cases/<str:case_reference>/"
urlpatterns = [
    path("<str:reference>/cases/new/", views.new_case, name="new_case"),
    path(case, views.case_review, name="case_review"),
    path(case + "details/", views.case_details, name="case_details"),
    path(case + "sections/<str:slug>/", views.section, name="section"),
    path(case + "check/", inspector_views.check_answers, name="check_answers"),
    path(case + "submit/", inspector_views.submit, name="submit"),
    path(case + "comments/reply/", inspector_views.reply, name="reply"),
    path(case + "return/", views.return_review, name="return"),
    path(case + "moderate/", views.moderate, name="moderate"),
    path(case + "reassign/", views.reassign, name="reassign"),
    path(case + "history/", views.history, name="history"),
    path("<str:reference>/double-marking/", double_marking_views.choose_cases, name="double_marking"),
    path("<str:reference>/moderation/", double_marking_views.moderation, name="moderation"),
    path(case + "second-review/", double_marking_views.second_review, name="second_review"),
    path(case + "second-review/resolve/", double_marking_views.resolve, name="resolve"),
    path(case + "summary/", summary, name="summary"),
]
