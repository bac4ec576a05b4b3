"""See what people are discussing: the stories with the most new comments in 24 hours."""

from __future__ import annotations

from datetime import timedelta

from django.core.cache import cache
from django.db.models import Count
from django.utils import timezone

from broadsheet.articles.models import ArticlePage
from broadsheet.articles.visibility import restricted_q

from .comment_counts import visible_q
from .models import Comment

DISCUSSED_SIZE = 5
DISCUSSED_TTL_SECONDS = 60  # cached pages showing the list expire with it (like Popular)


def most_discussed_ids(limit: int = DISCUSSED_SIZE, now=None) -> list[tuple[int, int]]:
    """(story id, comments in the last 24 hours), most first."""

    since = (now or timezone.now()) - timedelta(hours=24)
    rows = (Comment.objects.filter(visible_q(), created_at__gte=since,
                                   story_id__in=ArticlePage.objects.live().exclude(restricted_q())
                                   .values("id"))
            .values("story_id").annotate(n=Count("id")).order_by("-n", "-story_id")[:limit])
    return [(r["story_id"], r["n"]) for r in rows]


def cached_most_discussed_ids(limit: int = DISCUSSED_SIZE) -> list[tuple[int, int]]:
    key = f"broadsheet:discussed:{limit}"
    return cache.get_or_set(key, lambda: most_discussed_ids(limit), DISCUSSED_TTL_SECONDS)


def pick(rows: list[tuple[int, int]], teasers: dict) -> list:
    """Teasers in ranking order, each with `recent_comments`; unpublished ones drop out."""
    out = []
    for story_id, n in rows:
        story = teasers.get(story_id)
        if story is not None:
            story.recent_comments = n
            out.append(story)
    return out


def most_discussed(limit: int = 20) -> list:

    rows = most_discussed_ids(limit)
    if not rows:
        return []
    teasers = {s.id: s for s in ArticlePage.objects.teasers().filter(id__in=[r[0] for r in rows])}
    return pick(rows, teasers)
