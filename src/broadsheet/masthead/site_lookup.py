"""Which Site answers a request, and its home page, looked up once per worker between purges.

Wagtail finds the site with a query on every request and loads its home page with two more
before routing. Both change only through Settings > Sites (which purges everything, see
signal_handlers) or by publishing the home page (which purges it), so the page cache's memo
keeps them. Wagtail caches the site on the request as `request._wagtail_site`
(Site.find_for_request); the middleware fills that in before anyone asks.

The remembered Site is shared by the requests of one worker: nothing on the public side
changes a Site object, and the admin loads its own.
"""

from __future__ import annotations

from django.http.request import split_domain_port
from wagtail.models import Site

from broadsheet.pagecache.memo import remembered


def _site_with_home(request) -> Site | None:
    site = Site._find_for_request(request)
    if site is not None:
        # Routing asks for root_page.localized.specific: the specific home page, loaded now.
        site.root_page = site.root_page.localized.specific
    return site


def site_for(request) -> Site | None:
    host = split_domain_port(request._get_raw_host())[0]
    return remembered(("site", host, request.get_port()), lambda: _site_with_home(request))


def middleware(get_response):
    def answer_with_the_remembered_site(request):
        if not hasattr(request, "_wagtail_site"):
            request._wagtail_site = site_for(request)
        return get_response(request)

    return answer_with_the_remembered_site
