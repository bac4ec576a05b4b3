"""Wagtail's site root paths, fetched once a request instead of once a link.

A page's URL is worked out from the site root paths, which Wagtail keeps in the shared cache.
Given a request it remembers them on the request; templates ask for `page.url`, without one,
so Wagtail remembers them on each page instead, and a page of teasers went to the cache (a
Redis round trip, or a file read) once for every story it links to: 22 times for a page of
search results. The middleware makes the current request known to pages built on
SiteRootPathsPerRequest, which then share the request's copy.
"""

from __future__ import annotations

import contextvars
import functools

from django.conf import settings

from broadsheet.address import wagtail_root_url

_request = contextvars.ContextVar("broadsheet_current_request", default=None)


class SiteRootPathsPerRequest:
    """Mixin for page models: remember the site root paths on the current request, and name
    the configured public address where Wagtail's Site cannot (https on a port not 443)."""

    def _get_site_root_paths(self, cache_object=None, **kwargs):
        paths = super()._get_site_root_paths(cache_object or current_request(), **kwargs)
        wagtail_says, address = _root_urls(settings.BASE_URL)
        if wagtail_says == address:
            return paths
        return [p._replace(root_url=address) if p.root_url == wagtail_says else p
                for p in paths]


@functools.lru_cache(maxsize=4)
def _root_urls(base_url: str) -> tuple[str, str]:
    return wagtail_root_url(), base_url


def current_request():
    """The request being answered on this thread, or None outside one."""
    return _request.get()


def middleware(get_response):
    def answer_knowing_the_request(request):
        token = _request.set(request)
        try:
            return get_response(request)
        finally:
            _request.reset(token)

    return answer_knowing_the_request
