"""Popular and Trending: the stories readers are reading, by honestly counted views.

Popular is a time-decayed count of unique views. A unique view is a visitor's first counted
view of a story in an hour; each adds weight 2 ** -(age / h) with half-life h =
BROADSHEET_POPULAR_HALF_LIFE_HOURS (6 by default), so

    score(story, now) = sum over its unique views v of  2 ** -((now - t_v) / h)

A view six hours old counts half, a day old one sixteenth. Scores are stored in forward-decay
form relative to a landmark time (folding.py adds 2 ** ((t_v - landmark) / h) per unique
view), which ranks stories exactly as the formula does at any moment, so the list is a plain
index scan of StoryScore: no aggregation over views at read time. The fold runs every second
and the list is cached for POPULAR_CACHE_SECONDS, so Popular is at most a minute behind.

Trending compares the last 60 minutes' views with the 60 before (from the hourly counts):
    trend = (recent - previous) / sqrt(previous + 1), for stories with >= TRENDING_MIN views
in the last hour, so a story going from 2 to 40 views outranks one going from 900 to 950.
"""

from __future__ import annotations

import math
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q, Sum
from django.utils import timezone

from broadsheet.articles.models import ArticlePage
from broadsheet.articles.visibility import restricted_q

from .folding import decayed
from .models import FoldState, HourlyViews, StoryScore

POPULAR_SIZE = 5
# Pages that show Popular are cached this long (BROADSHEET_PAGE_CACHE_MAX_AGE, default 30);
# the list itself for POPULAR_CACHE_SECONDS. With the defaults a page shows a list at most
# 25 + 30 s (+ a second of folding) old.
POPULAR_TTL_SECONDS = settings.BROADSHEET_PAGECACHE["MAX_AGE"]
POPULAR_CACHE_SECONDS = 25
TRENDING_MIN = 3


def _live_story_ids():

    return ArticlePage.objects.live().exclude(restricted_q()).values("id")


def most_read_ids(limit: int = POPULAR_SIZE, *, section_id: int | None = None) -> list[int]:
    """The `limit` live stories with the highest Popular score, site-wide or in a section.

    Walks the score index from the top in chunks and keeps the stories that are live and
    public (one primary-key lookup per chunk): two queries in the usual case, whatever the
    number of stories or views, instead of joining every score to the page tree."""

    scores = StoryScore.objects.filter(score__gt=0)
    if section_id is not None:
        scores = scores.filter(section_id=section_id)
    scores = scores.order_by("-score", "-page_id").values_list("page_id", flat=True)
    chosen: list[int] = []
    chunk, start = max(4 * limit, 20), 0
    while len(chosen) < limit:
        ids = list(scores[start:start + chunk])
        if not ids:
            break
        live = set(ArticlePage.objects.live().exclude(restricted_q()).filter(id__in=ids)
                   .values_list("id", flat=True))
        chosen += [i for i in ids if i in live][:limit - len(chosen)]
        start += chunk
        chunk *= 4  # many unpublished at the top: look further, faster
    return chosen


def cached_most_read_ids(limit: int = POPULAR_SIZE, *, section_id: int | None = None
                         ) -> list[int]:
    """most_read_ids, shared by all workers for POPULAR_CACHE_SECONDS."""
    key = f"broadsheet:popular:{limit}:{section_id or ''}"
    return cache.get_or_set(key, lambda: most_read_ids(limit, section_id=section_id),
                            POPULAR_CACHE_SECONDS)


def most_read(limit: int = POPULAR_SIZE, *, section_id: int | None = None) -> list:
    """The Popular list as teasers."""

    ids = cached_most_read_ids(limit, section_id=section_id)
    if not ids:
        return []
    stories = {s.id: s for s in ArticlePage.objects.teasers().filter(id__in=ids)}
    # A story unpublished since the list was cached drops out here, not a minute later.
    return [stories[i] for i in ids if i in stories]


def current_scores(page_ids: list[int], *, now=None) -> dict[int, float]:
    """The decayed Popular score of each story now (for the JSON list and the dashboard)."""

    state = FoldState.objects.filter(pk=1).first()
    if state is None:
        return {}
    now = now or timezone.now()
    return {p: decayed(s, landmark=state.landmark, now=now)
            for p, s in StoryScore.objects.filter(page_id__in=page_ids)
            .values_list("page_id", "score")}


def trending_ids(limit: int = POPULAR_SIZE, *, now=None) -> list[tuple[int, int, int]]:
    """(story id, views in the last hour, views in the hour before), fastest rising first.

    Read from the hourly counts, not the raw views: the last 60 minutes are this hour so far
    plus the unelapsed share of the previous hour, and likewise for the 60 before (views are
    taken as even within an hour)."""
    now = now or timezone.now()
    this_hour = now.replace(minute=0, second=0, microsecond=0)
    f = (now - this_hour).total_seconds() / 3600
    hours = [this_hour - timedelta(hours=n) for n in range(3)]
    # Every page's counts first (one index range over three hours), liveness for the few
    # that rank after: joining all of them to the page tree costs more than the counting.
    rows = (HourlyViews.objects.filter(hour__in=hours, page__isnull=False)
            .values("page_id")
            .annotate(h0=Sum("views", filter=Q(hour=hours[0]), default=0),
                      h1=Sum("views", filter=Q(hour=hours[1]), default=0),
                      h2=Sum("views", filter=Q(hour=hours[2]), default=0)))
    ranked = []
    for r in rows:
        recent = round(r["h0"] + r["h1"] * (1 - f))
        previous = round(r["h1"] * f + r["h2"] * (1 - f))
        if recent >= TRENDING_MIN and recent > previous:
            ranked.append((r["page_id"], recent, previous))
    ranked.sort(key=lambda r: (-(r[1] - r[2]) / math.sqrt(r[2] + 1), -r[1], -r[0]))
    candidates = ranked[:max(4 * limit, 50)]
    live = set(_live_story_ids().filter(id__in=[r[0] for r in candidates])
               .values_list("id", flat=True))
    return [r for r in candidates if r[0] in live][:limit]


def cached_trending_ids(limit: int = POPULAR_SIZE) -> list[tuple[int, int, int]]:
    key = f"broadsheet:trending:{limit}"
    return cache.get_or_set(key, lambda: trending_ids(limit), POPULAR_CACHE_SECONDS)


def forget_popular() -> None:
    cache.delete_many([f"broadsheet:popular:{n}:" for n in range(1, 21)]
                      + [f"broadsheet:trending:{n}" for n in range(1, 21)])
