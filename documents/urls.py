from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("", views.letters, name="letters"),
    path("letters/<slug:slug>/generate/", views.request_letter, name="request_letter"),
    path("jobs/<int:job_id>/", views.job_status, name="job"),
    path("jobs/<int:job_id>/retry/", views.retry, name="retry"),
    path("jobs/<int:job_id>/download/", views.download, name="download"),
]
