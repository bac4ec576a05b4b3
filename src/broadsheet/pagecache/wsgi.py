"""The page cache in front of Django: a hit is answered here without entering Django at all.

Only anonymous GET/HEAD requests are looked up. A request carrying a session cookie is a
signed-in reader (or an editor) and always goes to Django, so personal pages are never shared.

Each worker keeps the pages it has served in memory, ready to send. Every purge in any worker
sets the store's epoch file's mtime to the nanosecond; one fstat() per request tells a worker
whether its memory is still good, so a purge reaches every worker on the next request.
"""

from __future__ import annotations

import os
import time
from http import HTTPStatus

from django.conf import settings

from . import encodings, store

MEMORY_LIMIT = 2000  # pages per worker; a busy site's hot set, a few tens of MB at most

# Headers a 304 repeats from the 200 it stands for (RFC 9110 15.4.5).
_REVALIDATED = frozenset({"cache-control", "expires", "content-location", "vary"})


class _Page:
    """A cached page as this worker remembers it: the copies readers asked for, each with its
    headers ready to send (a page compressed once is kept in memory only in the codings that
    were asked for)."""

    __slots__ = ("expires", "stored", "status", "status_line", "codings", "copies")

    def __init__(self, entry: store.Entry):
        self.expires, self.stored, self.status = entry.expires, entry.stored, entry.status
        self.status_line = f"{entry.status} {HTTPStatus(entry.status).phrase}"
        self.codings = entry.codings
        self.copies: dict[str, tuple] = {}
        self.add(entry)

    def add(self, entry: store.Entry) -> tuple:
        """(headers, body, etag, headers of a 304) of the copy `entry` holds."""
        coding, body = entry.coding, entry.body
        etag = None
        headers = []
        vary = "Accept-Encoding" if self.codings else ""
        for name, value in entry.headers:
            lowered = name.lower()
            if lowered == "etag":
                value = etag = encodings.etag_for(value, coding)
            elif lowered == "vary" and vary:
                # As the miss said it (patch_vary_headers): Django's own first (Cookie).
                vary = value if "accept-encoding" in value.lower() else f"{value}, {vary}"
                continue
            headers.append((name, value))
        if vary:
            headers.append(("Vary", vary))
        if coding != encodings.IDENTITY:
            headers.append(("Content-Encoding", coding))
        headers += [("Content-Length", str(len(body))), ("X-Page-Cache", "hit")]
        not_modified = [(k, v) for k, v in headers if k.lower() in _REVALIDATED]
        not_modified += [("ETag", etag), ("X-Page-Cache", "hit")] if etag else []
        copy = self.copies[coding] = (headers, body, etag, not_modified)
        return copy


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
    memory: dict[tuple[str, str, str], _Page] = {}
    seen_epoch: list = [0]
    opened: list = [None]  # the epoch file, open while it is still the one in the store
    fstat, now = os.fstat, time.time
    normal_query = store.normal_query
    acceptable, choose = encodings.acceptable, encodings.choose

    def current_epoch():
        # fstat() of an open file is under half the cost of stat() by name (no path to walk),
        # and this runs for every request. A file removed from the store (the store deleted
        # and made again) has no links left: the one now in its place is opened instead, and
        # the old one is closed when no thread is still looking at it.
        epoch_fh = opened[0]
        if epoch_fh is not None:
            st = fstat(epoch_fh.fileno())
            if st.st_nlink:
                return st.st_mtime_ns, st.st_ino
        try:
            epoch_fh = open(epoch_file, "rb")  # noqa: SIM115 - kept open on purpose
        except FileNotFoundError:
            return None
        opened[0] = epoch_fh
        st = fstat(epoch_fh.fileno())
        return st.st_mtime_ns, st.st_ino  # the inode changes if the file is recreated

    def lookup(where: tuple[str, str, str], accept_encoding: str):
        epoch = current_epoch()
        if epoch != seen_epoch[0]:
            memory.clear()
            seen_epoch[0] = epoch
        page = memory.get(where)
        if page is not None and page.expires > now():
            copy = page.copies.get(choose(accept_encoding, page.codings))
            if copy is not None:
                return page, copy
        key = store.key_for(*where)
        loaded = store.load_entry(base, key, acceptable(accept_encoding))
        if loaded is None:
            memory.pop(where, None)
            return None
        if current_epoch() != epoch:
            # A purge began after the look above: it moves the epoch first and removes the
            # files after, so this file may be one it was about to remove. Kept, it would be
            # served from memory until the next purge; Django renders the page instead.
            return None
        store.used(base, key)
        if page is None or page.stored != loaded.stored:  # not another copy of the same page
            page = _Page(loaded)
            if len(memory) >= MEMORY_LIMIT:
                memory.clear()
            memory[where] = page
            return page, page.copies[loaded.coding]
        return page, page.add(loaded)

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
        found = lookup((environ.get("HTTP_HOST") or environ.get("SERVER_NAME", ""),
                        environ.get("PATH_INFO", "/"), query),
                       environ.get("HTTP_ACCEPT_ENCODING", ""))
        if found is None:
            return None
        page, (headers, body, etag, not_modified) = found
        # As an HTTP cache says it: how long ago this copy was made, which caches and
        # browsers in front take off their own freshness.
        age = ("Age", str(max(0, int(now() - page.stored))))
        condition = environ.get("HTTP_IF_NONE_MATCH")
        if etag is not None and condition and encodings.matches(condition, etag):
            # A feed reader polling with the ETag it has: nothing new.
            return 304, "304 Not Modified", [*not_modified, age], b""
        return page.status, page.status_line, [*headers, age], b"" if method == "HEAD" else body

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
