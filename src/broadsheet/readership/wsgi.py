"""The view beacon answered in the WSGI layer, before the page cache and Django.

A beacon does not need sessions, CSRF, templates or the ORM: going through Django's
middleware stack would cost more than the work itself. Everything else passes through.
"""

from __future__ import annotations

from django.conf import settings
from django.db import close_old_connections
from django.http.request import split_domain_port, validate_host

from .beacon import MAX_BODY, PIXEL, accept, parse_fields

_STATUS = {200: "200 OK", 204: "204 No Content", 400: "400 Bad Request",
           405: "405 Method Not Allowed", 413: "413 Content Too Large",
           503: "503 Service Unavailable"}
_NO_STORE = ("Cache-Control", "no-store")


def answered_here(environ) -> bool:
    """A beacon this layer answers itself (a form-encoded body, or the pixel); anything else
    at those paths (multipart from older beacons) is Django's to parse."""
    path = environ.get("PATH_INFO", "")
    if path == "/_/view.gif":
        return True
    return path == "/_/view" and environ.get("CONTENT_TYPE", "").startswith(
        "application/x-www-form-urlencoded")


def wrap(app):
    allowed_hosts = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed_hosts:  # as Django's own check does
        allowed_hosts = [".localhost", "127.0.0.1", "[::1]"]

    def host_allowed(environ) -> bool:
        # What Django checks for every other path (HttpRequest.get_host).
        domain, _ = split_domain_port(environ.get("HTTP_HOST") or environ.get("SERVER_NAME", ""))
        return bool(domain) and validate_host(domain, allowed_hosts)

    def application(environ, start_response):
        if not answered_here(environ):
            return app(environ, start_response)
        if not host_allowed(environ):
            start_response(_STATUS[400], [_NO_STORE, ("Content-Length", "0")])
            return [b""]
        method = environ["REQUEST_METHOD"]
        pixel = environ["PATH_INFO"] == "/_/view.gif"
        if method != ("GET" if pixel else "POST"):
            start_response(_STATUS[405], [("Allow", "GET" if pixel else "POST"), _NO_STORE,
                                          ("Content-Length", "0")])
            return [b""]
        if pixel:
            fields = parse_fields(environ.get("QUERY_STRING", ""))
        else:
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = -1
            if not 0 <= length <= MAX_BODY:
                start_response(_STATUS[413], [_NO_STORE, ("Content-Length", "0")])
                return [b""]
            fields = parse_fields(environ["wsgi.input"].read(length))
        try:
            status = accept(environ, fields, pixel=pixel)
        except Exception:
            close_old_connections()  # a broken database connection must not stick
            raise
        if pixel:
            start_response(_STATUS[200], [("Content-Type", "image/gif"), _NO_STORE,
                                          ("Content-Length", str(len(PIXEL)))])
            return [PIXEL]
        start_response(_STATUS[status], [_NO_STORE, ("Content-Length", "0")])
        return [b""]

    return application
