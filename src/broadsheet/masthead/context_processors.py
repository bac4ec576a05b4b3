from __future__ import annotations

from wagtail.models import Site

from .navigation import primary_sections


def masthead(request):
    """Site, masthead settings and navigation for every template. Lazy: a page that does not
    render them (the beacon, a redirect) costs no query."""
    site_cache: dict = {}

    def site():
        if "site" not in site_cache:
            site_cache["site"] = Site.find_for_request(request)
        return site_cache["site"]

    def navigation():
        return primary_sections(site())

    return {"navigation": navigation, "current_site": site}
