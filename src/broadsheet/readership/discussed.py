"""Most discussed: live stories with the most approved reader comments in the last day.

The one place readership reads the comments app, kept to one query so that the comments app
can change around it (it has no such function of its own yet)."""

from __future__ import annotations

from datetime import timedelta

from django.core.cache import cache
from django.db.models import Count
from django.utils import timezone

DISCUSSED_CACHE_SECONDS = 25


def most_discussed_ids(limit: int = 5, *, now=None) -> list[tuple[int, int]]:
    """(story id, approved comments in the last 24 hours), most first."""
    from broadsheet.articles.models import ArticlePage
    from broadsheet.comments.models import Comment

    since = (now or timezone.now()) - timedelta(hours=24)
    rows = (Comment.objects.filter(status=Comment.Status.APPROVED, created_at__gte=since,
                                   story_id__in=ArticlePage.objects.live().public().values("id"))
            .values("story_id").annotate(n=Count("id")).order_by("-n", "-story_id")[:limit])
    return [(r["story_id"], r["n"]) for r in rows]


def cached_most_discussed_ids(limit: int = 5) -> list[tuple[int, int]]:
    key = f"broadsheet:discussed:{limit}"
    rows = cache.get(key)
    if rows is None:
        rows = most_discussed_ids(limit)
        cache.set(key, rows, DISCUSSED_CACHE_SECONDS)
    return rows
