"""The project's URLs plus a page that fails, to see the 500 page as people would."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import handler400, handler403, handler404, handler500  # noqa: F401  (Django reads them here)
from config.urls import urlpatterns as project_urlpatterns


@login_not_required
def broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("A fault in a view")


urlpatterns = [path("test/broken/", broken), *project_urlpatterns]
