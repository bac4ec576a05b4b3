"""Stores what Django renders for anonymous readers, tagged with what the page shows, and
tells any HTTP cache in front the same (edge/headers.py): what it may share and what it shows."""

from __future__ import annotations

import time

from django.conf import settings
from django.utils.cache import patch_vary_headers

from broadsheet.edge import headers as edge

from . import encodings, store

# Headers that belong to one response, not to the page. (Vary is the page's: a hit says what
# the miss said, Cookie included, with Accept-Encoding added where there are copies.)
_SKIP_HEADERS = {"set-cookie", "date", "content-length"}
OVERTAKEN = "public, max-age=0, s-maxage=1, stale-while-revalidate=0"


class PageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.enabled = settings.BROADSHEET_PAGECACHE["ENABLED"]

    def __call__(self, request):
        started = request.pagecache_started = time.time()  # fragments.py: stored only if later
        response = self.get_response(request)
        # A parameter no page reads (random values, a cache-buster) is answered and never
        # kept, here or in any cache in front: it would fill them with copies of one page.
        query = store.normal_query(request.META.get("QUERY_STRING", ""))
        cacheable = query is not None and self._cacheable(request, response)
        # Purges keep pages current; the hour is only a backstop. Pages showing a widget with
        # its own clock (Popular) asked for a shorter life through expires_soon().
        max_age = getattr(request, "pagecache_max_age", None) or 3600
        if cacheable:
            for name, value in edge.shared_headers(request.pagecache_tags, max_age):
                if name != "Cache-Control" or "Cache-Control" not in response:
                    response[name] = value
        elif request.method in ("GET", "HEAD") and self._personal(request, response):
            response["Cache-Control"] = edge.PERSONAL
        variants = None
        if (cacheable and not response.has_header("Content-Encoding")
                and encodings.compressible(response.get("Content-Type", ""),
                                           len(response.content))):
            # Once: the copies are stored, and this reader is sent one of them.
            variants = encodings.compress(response.content)
        if self.enabled and cacheable:
            headers = [(k, v) for k, v in response.items() if k.lower() not in _SKIP_HEADERS]
            store.store(
                store.key_for(request.META.get("HTTP_HOST")
                              or request.META.get("SERVER_NAME", ""), request.path_info, query),
                status=response.status_code, headers=headers, body=response.content,
                tags=request.pagecache_tags, max_age=max_age, started_at=started,
                variants=variants)
            response["X-Page-Cache"] = "miss"
        if cacheable and started <= store.last_purge():
            # A purge came while this page was rendering, so it may show what the purge was
            # about. The page store has not kept it (store.store); a cache in front, which
            # has had that purge already, may keep it a second, with its tags, and must then
            # fetch it again. Not no-store: a cache holding back every reader of a purged
            # page for this one fetch would then send them to Broadsheet a few at a time.
            response["Cache-Control"] = OVERTAKEN
        if variants:
            self._send_compressed(request, response, variants)
        return response

    def _send_compressed(self, request, response, variants: dict[str, bytes]) -> None:
        """The copy the reader accepts, as a hit would send it."""
        patch_vary_headers(response, ("Accept-Encoding",))
        coding = encodings.choose(request.META.get("HTTP_ACCEPT_ENCODING", ""),
                                  tuple(variants))
        if coding == encodings.IDENTITY:
            return
        response.content = variants[coding]
        response["Content-Encoding"] = coding
        response["Content-Length"] = str(len(response.content))
        if response.has_header("ETag"):
            response["ETag"] = encodings.etag_for(response["ETag"], coding)

    def _personal(self, request, response) -> bool:
        """For one person: a session, a cookie set (a CSRF token on a form)."""
        return bool(settings.SESSION_COOKIE_NAME in request.COOKIES or response.cookies
                    or "private" in response.get("Cache-Control", ""))

    def _cacheable(self, request, response) -> bool:
        return (
            request.method == "GET"
            and response.status_code == 200
            and getattr(request, "pagecache_tags", None)
            and not response.streaming
            and not response.cookies
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
            and "private" not in response.get("Cache-Control", "")
            and "no-store" not in response.get("Cache-Control", "")
        )
