"""The view beacon for Django-served requests, and the readership JSON lists (Popular,
Trending; Most discussed is the comments app's).

`broadsheet serve` answers the beacon in the WSGI layer (wsgi.py) before Django; these views
answer exactly the same way when Django is reached directly (runserver, the test client).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from broadsheet.articles.story_lists import (
    bad_request,
    limit_from,
    list_response,
    live_stories,
    story_json,
)
from broadsheet.sections.models import SectionPage

from .beacon import MAX_BODY, PIXEL, accept, parse_fields
from .counting import readership_settings
from .popular import (
    POPULAR_CACHE_SECONDS,
    cached_most_read_ids,
    cached_trending_ids,
    current_scores,
)


# The beacon carries no session data and changes nothing but a counter; a cached page has no
# CSRF token to send, so the check is waived here and only here.
@csrf_exempt
@require_POST
@never_cache
def beacon(request):
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY:
        return HttpResponse(status=413)
    fields = {key: request.POST.getlist(key) for key in ("page", "r", "q")}
    return HttpResponse(status=accept(request.META, fields, pixel=False))


@require_GET
@never_cache
def pixel(request):
    accept(request.META, parse_fields(request.META.get("QUERY_STRING", "")), pixel=True)
    return HttpResponse(PIXEL, content_type="image/gif")


# --- the lists, for apps and newsletters ------------------------------------------------------

@require_GET
def popular_json(request):
    """GET /api/popular.json[?section=<slug>][&limit=1..20]"""

    limit = limit_from(request)
    if limit is None:
        return bad_request("limit must be a whole number from 1 to 20")
    section_id, slug = None, request.GET.get("section", "")
    if slug:
        section_id = (SectionPage.objects.live().public().filter(slug=slug)
                      .values_list("id", flat=True).first())
        if section_id is None:
            return bad_request(f"section {slug!r} is not a published section")
    ids = cached_most_read_ids(limit, section_id=section_id)
    stories, scores = live_stories(ids), current_scores(ids)
    return list_response("popular", [
        story_json(stories[i], score=round(scores.get(i, 0.0), 3)) for i in ids
        if i in stories], max_age=POPULAR_CACHE_SECONDS)


@require_GET
def trending_json(request):
    """GET /api/trending.json[?limit=1..20]"""
    limit = limit_from(request)
    if limit is None:
        return bad_request("limit must be a whole number from 1 to 20")
    rows = cached_trending_ids(limit)
    stories = live_stories([r[0] for r in rows])
    return list_response("trending", [
        story_json(stories[i], views_last_hour=recent, views_hour_before=previous)
        for i, recent, previous in rows if i in stories], max_age=POPULAR_CACHE_SECONDS)


def privacy_note(request):
    """What readership counting stores, for the site to link to (GET /privacy/readership/)."""

    return render(request, "readership/privacy_note.html", {
        "settings_": readership_settings(),
        "repeat_minutes": settings.BROADSHEET_READERSHIP["REPEAT_WINDOW_SECONDS"] // 60,
        "half_life": settings.BROADSHEET_READERSHIP["HALF_LIFE_HOURS"]})
