"""The view beacon for Django-served requests, and the readership JSON lists.

`broadsheet serve` answers the beacon in the WSGI layer (wsgi.py) before Django; these views
answer exactly the same way when Django is reached directly (runserver, the test client).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from broadsheet.comments.discussed import cached_most_discussed_ids

from .beacon import MAX_BODY, PIXEL, accept, parse_fields
from .popular import (
    POPULAR_CACHE_SECONDS,
    POPULAR_SIZE,
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

def _story_json(story, **extra) -> dict:
    return {"id": story.pk, "title": story.title, "url": story.full_url,
            "first_published_at": (story.first_published_at.isoformat()
                                   if story.first_published_at else None), **extra}


def _list_response(request, name: str, stories: list[dict]) -> JsonResponse:
    response = JsonResponse({"list": name, "generated_at": timezone.now().isoformat(),
                             "stories": stories})
    # Shared caches and apps may keep the list as long as we do ourselves.
    patch_cache_control(response, public=True, max_age=POPULAR_CACHE_SECONDS)
    return response


def _limit(request) -> int | None:
    raw = request.GET.get("limit", str(POPULAR_SIZE))
    if not raw.isdigit() or not 1 <= int(raw) <= 20:
        return None
    return int(raw)


def _bad(message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=400)


def _teasers(ids: list[int]) -> dict:
    from broadsheet.articles.models import ArticlePage

    return ArticlePage.objects.live().public().in_bulk(ids) if ids else {}


@require_GET
def popular_json(request):
    """GET /api/popular.json[?section=<slug>][&limit=1..20]"""
    from broadsheet.sections.models import SectionPage

    limit = _limit(request)
    if limit is None:
        return _bad("limit must be a whole number from 1 to 20")
    section_id, slug = None, request.GET.get("section", "")
    if slug:
        section_id = (SectionPage.objects.live().public().filter(slug=slug)
                      .values_list("id", flat=True).first())
        if section_id is None:
            return _bad(f"section {slug!r} is not a published section")
    ids = cached_most_read_ids(limit, section_id=section_id)
    stories, scores = _teasers(ids), current_scores(ids)
    return _list_response(request, "popular", [
        _story_json(stories[i], score=round(scores.get(i, 0.0), 3)) for i in ids
        if i in stories])


@require_GET
def trending_json(request):
    """GET /api/trending.json[?limit=1..20]"""
    limit = _limit(request)
    if limit is None:
        return _bad("limit must be a whole number from 1 to 20")
    rows = cached_trending_ids(limit)
    stories = _teasers([r[0] for r in rows])
    return _list_response(request, "trending", [
        _story_json(stories[i], views_last_hour=recent, views_hour_before=previous)
        for i, recent, previous in rows if i in stories])


@require_GET
def discussed_json(request):
    """GET /api/discussed.json[?limit=1..20]"""
    limit = _limit(request)
    if limit is None:
        return _bad("limit must be a whole number from 1 to 20")
    rows = cached_most_discussed_ids(limit)
    stories = _teasers([r[0] for r in rows])
    return _list_response(request, "most-discussed", [
        _story_json(stories[i], comments_last_day=n) for i, n in rows if i in stories])


def privacy_note(request):
    """What readership counting stores, for the site to link to (GET /privacy/readership/)."""
    from .counting import readership_settings

    return render(request, "readership/privacy_note.html", {
        "settings_": readership_settings(),
        "repeat_minutes": settings.BROADSHEET_READERSHIP["REPEAT_WINDOW_SECONDS"] // 60,
        "half_life": settings.BROADSHEET_READERSHIP["HALF_LIFE_HOURS"]})
