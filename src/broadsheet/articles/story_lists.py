"""Lists of stories as JSON, for apps and newsletters: Popular and Trending (readership),
Most discussed (comments). One shape for every list, whichever feature ranks it."""

from __future__ import annotations

from django.http import JsonResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control

from .models import ArticlePage

DEFAULT_LIMIT = 5


def limit_from(request) -> int | None:
    """The list length a request asks for (`?limit=1..20`), or None if it is not one."""
    raw = request.GET.get("limit", str(DEFAULT_LIMIT))
    if not raw.isdigit() or not 1 <= int(raw) <= 20:
        return None
    return int(raw)


def bad_request(message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=400)


def live_stories(ids: list[int]) -> dict:

    return ArticlePage.objects.live().public().in_bulk(ids) if ids else {}


def story_json(story, **extra) -> dict:
    return {"id": story.pk, "title": story.title, "url": story.full_url,
            "first_published_at": (story.first_published_at.isoformat()
                                   if story.first_published_at else None), **extra}


def list_response(name: str, stories: list[dict], *, max_age: int) -> JsonResponse:
    response = JsonResponse({"list": name, "generated_at": timezone.now().isoformat(),
                             "stories": stories})
    # Shared caches and apps may keep the list as long as its ranking is kept.
    patch_cache_control(response, public=True, max_age=max_age)
    return response
