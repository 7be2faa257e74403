from django.urls import path

from . import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("inspections/", views.inspection_list_page, name="inspection_list"),
    path("inspections/<str:reference>/", views.inspection_detail, name="inspection_detail"),
]
