"""Reading the Spotlight: the current, live editor picks, in the editors' order."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone
from wagtail.models import Site

from broadsheet.articles.models import ArticlePage

from .models import SpotlightPick


def spotlight_ids(site: Site | None) -> tuple[list[int], int]:
    """Story ids of the current picks in the editors' order, and how many to show (1 query)."""
    if site is None:
        return [], 0
    rows = list(
        SpotlightPick.objects.filter(spotlight__site=site)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .order_by("sort_order").values_list("story_id", "spotlight__size")
    )
    return [r[0] for r in rows], (rows[0][1] if rows else 0)


def spotlight_stories(site: Site | None, *, limit: int | None = None) -> list[ArticlePage]:
    """Picks that have not expired and whose story is live, in order."""
    story_ids, size = spotlight_ids(site)
    if not story_ids:
        return []
    stories = {s.id: s for s in ArticlePage.objects.teasers().filter(id__in=story_ids)}
    return pick_live(story_ids, stories, limit or size)


def pick_live(ids: list[int], stories: dict, size: int) -> list[ArticlePage]:
    """The stories for `ids` that are live (present in `stories`), in order, at most `size`."""
    return [stories[i] for i in ids if i in stories][:size]
