"""The site's icon at the addresses browsers and phones ask for."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control

from broadsheet.pagecache.dependencies import shows

from .icons import BROWSER_MAX_AGE, SITE_ICON, served_icon


def site_icon(request, *, kind: str):
    icon = served_icon(request, kind)
    if icon is None:
        raise Http404("This site has no icon")
    response = get_conditional_response(request, etag=icon["etag"])
    if response is None:
        response = HttpResponse(icon["body"], content_type="image/png")
        response["ETag"] = icon["etag"]
        # In the page cache until an editor changes the icon (which purges this tag).
        shows(request, tags=[SITE_ICON])
    patch_cache_control(response, public=True, max_age=BROWSER_MAX_AGE)
    return response
