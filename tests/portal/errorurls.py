"""A URLconf for the error-page tests: the site's URLs plus one view that fails."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from keepfaith.urls import handler400, handler403, handler404, handler500, urlpatterns


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug in a view: secret internals 4242424242424242")


urlpatterns = [path("boom/", boom), *urlpatterns]
__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
