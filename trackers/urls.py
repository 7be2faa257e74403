from django.urls import path

from . import views

app_name = "trackers"

recommendation = "<slug:region>/<str:reference>/<int:order>/"
action = recommendation + "actions/<int:number>/"
urlpatterns = [
    path("<slug:region>/", views.tracker, name="tracker"),
    path("<slug:region>/download/<str:fmt>/", views.download, name="download"),
    path(recommendation, views.recommendation, name="recommendation"),
    path(recommendation + "response/", views.response, name="response"),
    path(recommendation + "actions/", views.action_add, name="action_add"),
    path(action, views.action_update, name="action_update"),
    path(action + "notes/", views.note_add, name="note_add"),
    path(recommendation + "follow-up/", views.follow_up, name="follow_up"),
    path(recommendation + "follow-up/close/", views.close, name="close"),
]
