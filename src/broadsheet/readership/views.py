"""The view beacon. Cached pages cannot count themselves, so they report here after load."""

from __future__ import annotations

import base64

from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from wagtail.models import Page

from .counting import record_view

# A 1x1 transparent GIF for the <noscript> fallback.
_PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _page_id(value: str | None) -> int | None:
    if not value or not value.isdigit() or len(value) > 18:
        return None
    page_id = int(value)
    # Only live pages count: a beacon for a draft or an invented id is dropped.
    if not Page.objects.live().public().filter(id=page_id).exists():
        return None
    return page_id


# The beacon carries no session data and changes nothing but a counter; a cached page has no
# CSRF token to send, so the check is waived here and only here.
@csrf_exempt
@require_POST
@never_cache
def beacon(request):
    page_id = _page_id(request.POST.get("page"))
    if page_id is None:
        return HttpResponse(status=400)
    record_view(page_id, request.META)
    return HttpResponse(status=204)


@require_GET
@never_cache
def pixel(request):
    page_id = _page_id(request.GET.get("page"))
    if page_id is not None:
        record_view(page_id, request.META)
    return HttpResponse(_PIXEL, content_type="image/gif")
