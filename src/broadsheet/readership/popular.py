"""Popular: the most-read live stories, by counted reader views."""

from __future__ import annotations

from datetime import timedelta

from django.core.cache import cache
from django.db.models import Count
from django.utils import timezone

from .models import PageView

POPULAR_SIZE = 5
# The widget may lag real views by up to this long; cached pages that show it expire with it.
POPULAR_TTL_SECONDS = 60


def _ranked_ids(since, exclude: set[int], limit: int) -> list[int]:
    from broadsheet.articles.models import ArticlePage

    live_story_ids = ArticlePage.objects.live().public().values("id")
    rows = (
        PageView.objects.filter(viewed_at__gte=since, page_id__in=live_story_ids)
        .exclude(page_id__in=exclude)
        .values("page_id").annotate(views=Count("id")).order_by("-views", "-page_id")[:limit]
    )
    return [r["page_id"] for r in rows]


def most_read_ids(limit: int = POPULAR_SIZE, now=None) -> list[int]:
    """Top stories over the last 24 hours; if fewer than `limit` were read, the rest of the
    list comes from the last 7 days."""
    now = now or timezone.now()
    ids = _ranked_ids(now - timedelta(hours=24), set(), limit)
    if len(ids) < limit:
        ids += _ranked_ids(now - timedelta(days=7), set(ids), limit - len(ids))
    return ids


def cached_most_read_ids(limit: int = POPULAR_SIZE) -> list[int]:
    """most_read_ids, shared by all workers for POPULAR_TTL_SECONDS."""
    key = f"broadsheet:popular:{limit}"
    ids = cache.get(key)
    if ids is None:
        ids = most_read_ids(limit)
        cache.set(key, ids, POPULAR_TTL_SECONDS)
    return ids


def most_read(limit: int = POPULAR_SIZE) -> list:
    """The Popular list as teasers."""
    from broadsheet.articles.models import ArticlePage

    ids = cached_most_read_ids(limit)
    if not ids:
        return []
    stories = {s.id: s for s in ArticlePage.objects.teasers().filter(id__in=ids)}
    # A story unpublished since the list was cached drops out here, not a minute later.
    return [stories[i] for i in ids if i in stories]


def forget_popular() -> None:
    cache.delete_many([f"broadsheet:popular:{n}" for n in range(1, 11)])
