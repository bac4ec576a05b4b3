"""The site's URLs plus one that fails, for the error-page tests."""

from django.urls import path

from broadsheet.urls import handler500  # noqa: F401
from broadsheet.urls import urlpatterns as site_urls


def boom(request):
    raise RuntimeError("the printing press jammed")


urlpatterns = [path("boom/", boom), *site_urls]
