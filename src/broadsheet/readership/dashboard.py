"""The newsroom's view of its readers: the numbers behind the admin dashboard and its CSVs.

Views over time come from the hourly counts (kept for good); breakdowns by referrer, device
and campaign from the individual view records (kept for the retention period). Visitors per
day are distinct visitor hashes that day (the salt changes daily, so that is exact); per
hour, the hourly counts' visitors. For a story, "unique views" are views by distinct readers
per hour: what the Popular score counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from broadsheet.articles.models import ArticlePage
from broadsheet.sections.models import SectionPage

from .models import HourlyViews, PageView, StoryScore

RANGES = {"1": 1, "7": 7, "30": 30, "90": 90}  # days, as offered in the range picker


@dataclass(frozen=True)
class Period:
    days: int
    start: datetime
    end: datetime

    @property
    def hourly(self) -> bool:
        return self.days <= 7


def period(days: int, *, now: datetime | None = None) -> Period:
    """The last `days` days up to the end of the current hour (or, beyond a week, of the
    current day), in UTC."""
    now = (now or timezone.now()).astimezone(UTC)
    end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    if days > 7:
        end = end.replace(hour=0) + timedelta(days=1)
    return Period(days, end - timedelta(days=days), end)


def series(p: Period, *, page_id: int | None = None) -> list[dict]:
    """One row per hour (ranges up to a week) or per day: views and visitors, zeros included."""
    rows = HourlyViews.objects.filter(hour__gte=p.start, hour__lt=p.end)
    rows = rows.filter(page_id=page_id) if page_id else rows.filter(page=None)
    step = timedelta(hours=1) if p.hourly else timedelta(days=1)
    buckets, t = {}, p.start
    while t < p.end:
        buckets[t] = {"start": t, "views": 0, "visitors": 0}
        t += step
    if p.hourly:
        for hour, views, visitors in rows.values_list("hour", "views", "visitors"):
            if hour in buckets:
                buckets[hour].update(views=views, visitors=visitors)
        return list(buckets.values())
    for day, views in (rows.annotate(day=TruncDate("hour", tzinfo=UTC)).values("day")
                       .annotate(n=Sum("views")).values_list("day", "n")):
        key = datetime.combine(day, time.min, tzinfo=UTC)
        if key in buckets:
            buckets[key]["views"] = views
    raw = PageView.objects.filter(viewed_at__gte=p.start, viewed_at__lt=p.end)
    if page_id:
        raw = raw.filter(page_id=page_id)
    for day, visitors in (raw.annotate(day=TruncDate("viewed_at", tzinfo=UTC)).values("day")
                          .annotate(n=Count("visitor", distinct=True))
                          .values_list("day", "n")):
        key = datetime.combine(day, time.min, tzinfo=UTC)
        if key in buckets:
            buckets[key]["visitors"] = visitors
    return list(buckets.values())


def top_stories(p: Period, *, limit: int = 20) -> list[dict]:

    rows = list(HourlyViews.objects.filter(hour__gte=p.start, hour__lt=p.end,
                                           page_id__in=ArticlePage.objects.values("id"))
                .values("page_id").annotate(views=Sum("views"), unique=Sum("visitors"))
                .order_by("-views", "-page_id")[:limit])
    titles = dict(ArticlePage.objects.filter(id__in=[r["page_id"] for r in rows])
                  .values_list("id", "title"))
    return [{"page_id": r["page_id"], "title": titles.get(r["page_id"], "?"),
             "views": r["views"], "unique_views": r["unique"]} for r in rows]


def top_sections(p: Period, *, limit: int = 20) -> list[dict]:
    """Views of the stories in each section."""

    section_of = dict(StoryScore.objects.exclude(section_id=None)
                      .values_list("page_id", "section_id"))
    totals: dict[int, list[int]] = {}
    for page_id, views, visitors in (HourlyViews.objects
                                     .filter(hour__gte=p.start, hour__lt=p.end,
                                             page_id__in=list(section_of))
                                     .values("page_id")
                                     .annotate(v=Sum("views"), u=Sum("visitors"))
                                     .values_list("page_id", "v", "u")):
        total = totals.setdefault(section_of[page_id], [0, 0])
        total[0] += views
        total[1] += visitors
    titles = dict(SectionPage.objects.filter(id__in=totals).values_list("id", "title"))
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1][0], kv[0]))[:limit]
    return [{"section_id": s, "title": titles.get(s, "?"), "views": v, "unique_views": u}
            for s, (v, u) in ranked]


def breakdown(p: Period, field: str, *, page_id: int | None = None, limit: int = 20,
              empty: str = "(none)") -> list[dict]:
    """Views by referrer domain, device class or campaign tag (from the retained records)."""
    assert field in {"referrer", "device", "utm_source", "utm_medium", "utm_campaign"}
    rows = PageView.objects.filter(viewed_at__gte=p.start, viewed_at__lt=p.end)
    if page_id:
        rows = rows.filter(page_id=page_id)
    return [{"value": r[field] or empty, "views": r["n"]} for r in
            rows.values(field).annotate(n=Count("id")).order_by("-n", field)[:limit]]


def totals(rows: list[dict]) -> dict:
    return {"views": sum(r["views"] for r in rows),
            "visitors": sum(r["visitors"] for r in rows)}


# --- the chart --------------------------------------------------------------------------------

def chart(rows: list[dict], *, width: int = 760, height: int = 240) -> dict:
    """Coordinates for a server-rendered SVG line chart of views and visitors (no script)."""
    left, right, top, bottom = 48, 12, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([r["views"] for r in rows] + [r["visitors"] for r in rows] + [1])
    n = max(len(rows) - 1, 1)

    def points(key):
        return " ".join(f"{left + i * plot_w / n:.1f},{top + plot_h - r[key] * plot_h / peak:.1f}"
                        for i, r in enumerate(rows))

    ticks = [{"y": top + plot_h - f * plot_h, "label": round(peak * f)} for f in (0, 0.5, 1)]
    every = max(1, len(rows) // 6)
    hourly = len(rows) > 1 and (rows[1]["start"] - rows[0]["start"]) < timedelta(days=1)
    labels = [{"x": left + i * plot_w / n, "anchor": "start" if i == 0 else "middle",
               "label": r["start"].strftime("%d %b %H:00" if hourly else "%d %b")}
              for i, r in enumerate(rows) if i % every == 0]
    return {"width": width, "height": height, "left": left, "top": top,
            "bottom": top + plot_h, "right": left + plot_w, "views": points("views"),
            "visitors": points("visitors"), "ticks": ticks, "labels": labels, "peak": peak}
