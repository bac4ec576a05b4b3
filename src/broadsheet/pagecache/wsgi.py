"""The page cache in front of Django: a hit is answered here without entering Django at all.

Only anonymous GET/HEAD requests are looked up. A request carrying a session cookie is a
signed-in reader (or an editor) and always goes to Django, so personal pages are never shared.

Each worker keeps the pages it has served in memory, ready to send. Every purge in any worker
sets the store's epoch file's mtime to the nanosecond; one stat() per request tells a worker
whether its memory is still good, so a purge reaches every worker on the next request.
"""

from __future__ import annotations

import os
import time
from http import HTTPStatus

from django.conf import settings

from . import store

MEMORY_LIMIT = 2000  # pages per worker; a busy site's hot set, a few tens of MB at most


def hits():
    """The page cache's answer for a request, or None: `answer(environ)` returns
    (status code, status line, headers, body) for a hit; `broadsheet serve`'s async front
    calls it in its event loop, the WSGI wrapper below for any other server. None if the
    page cache is off."""
    if not settings.BROADSHEET_PAGECACHE["ENABLED"]:
        return None
    base = store.root()
    epoch_file = str(base / "epoch")
    session_marker = settings.SESSION_COOKIE_NAME + "="
    memory: dict[tuple[str, str, str], tuple] = {}
    seen_epoch: list = [0]
    stat, now = os.stat, time.time
    normal_query = store.normal_query

    def lookup(where: tuple[str, str, str]):
        try:
            st = stat(epoch_file)
            epoch = (st.st_mtime_ns, st.st_ino)  # the inode changes if the file is recreated
        except FileNotFoundError:
            epoch = None
        if epoch != seen_epoch[0]:
            memory.clear()
            seen_epoch[0] = epoch
        hit = memory.get(where)
        if hit is not None and hit[0] > now():
            return hit
        key = store.key_for(*where)
        loaded = store.load_entry(base, key)
        if loaded is None:
            memory.pop(where, None)
            return None
        store.used(base, key)
        expires, status, headers, body = loaded
        etag = next((v for k, v in headers if k.lower() == "etag"), None)
        hit = (expires, status, f"{status} {HTTPStatus(status).phrase}",
               [*headers, ("X-Page-Cache", "hit")], body, etag)
        if len(memory) >= MEMORY_LIMIT:
            memory.clear()
        memory[where] = hit
        return hit

    def answer(environ):
        method = environ["REQUEST_METHOD"]
        if ((method != "GET" and method != "HEAD")
                or session_marker in environ.get("HTTP_COOKIE", "")):
            return None
        query = environ.get("QUERY_STRING", "")
        if query:
            query = normal_query(query)
            if query is None:
                return None
        hit = lookup((environ.get("HTTP_HOST") or environ.get("SERVER_NAME", ""),
                      environ.get("PATH_INFO", "/"), query))
        if hit is None:
            return None
        if hit[5] is not None and hit[5] in environ.get("HTTP_IF_NONE_MATCH", ""):
            # A feed reader polling with the ETag it has: nothing new.
            return 304, "304 Not Modified", [("ETag", hit[5]), ("X-Page-Cache", "hit")], b""
        return hit[1], hit[2], hit[3], b"" if method == "HEAD" else hit[4]

    return answer


def wrap(django_app):
    answer = hits()
    if answer is None:
        return django_app

    def application(environ, start_response):
        hit = answer(environ)
        if hit is None:
            return django_app(environ, start_response)
        start_response(hit[1], hit[2])
        return [hit[3]]

    return application
