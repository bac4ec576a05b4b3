"""The page cache in front of Django: a hit is answered here without entering Django at all.

Only anonymous GET/HEAD requests are looked up. A request carrying a session cookie is a
signed-in reader (or an editor) and always goes to Django, so personal pages are never shared.
"""

from __future__ import annotations

from django.conf import settings

from . import store


def wrap(django_app):
    if not settings.BROADSHEET_PAGECACHE["ENABLED"]:
        return django_app
    base = store.root()
    session_marker = settings.SESSION_COOKIE_NAME + "="
    load = store.load
    key_for = store.key_for

    def application(environ, start_response):
        method = environ["REQUEST_METHOD"]
        if method == "GET" or method == "HEAD":
            if session_marker not in environ.get("HTTP_COOKIE", ""):
                host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
                hit = load(base, key_for(host, environ.get("PATH_INFO", "/"),
                                         environ.get("QUERY_STRING", "")))
                if hit is not None:
                    status, headers, body = hit
                    start_response(f"{status} OK", [*headers, ("X-Page-Cache", "hit")])
                    return [b""] if method == "HEAD" else [body]
        return django_app(environ, start_response)

    return application
