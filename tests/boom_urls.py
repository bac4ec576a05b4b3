"""The site's URLs plus one that fails, for the error-page tests."""

from django.urls import path

from broadsheet.urls import handler500  # noqa: F401
from broadsheet.urls import urlpatterns as site_urls


def boom(request):
    raise RuntimeError("the printing press jammed")


def database_gone(request):
    from django.db import OperationalError

    raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


urlpatterns = [path("boom/", boom), path("database-gone/", database_gone), *site_urls]
