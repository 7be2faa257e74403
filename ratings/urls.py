from django.urls import path

from . import views

app_name = "ratings"

ratings = "<str:reference>/ratings/"
standard = ratings + "standards/<str:code>/"
urlpatterns = [
    path(ratings, views.ratings, name="ratings"),
    path(standard + "judgement/", views.judgement, name="judgement"),
    path(standard + "panel/", views.override, name="override"),
    path(standard + "panel/remove/", views.override_remove, name="override_remove"),
    path(ratings + "advance/", views.advance, name="advance"),
    path(ratings + "publish/", views.publish, name="publish"),
    path(ratings + "lock/", views.locking, name="locking"),
    path(ratings + "lock/unlock/", views.unlock, name="unlock"),
    path(ratings + "lock/relock/", views.relock, name="relock"),
]
