"""Sitemaps: an index pointing at one sitemap of sections and one per month of stories.

Months keep each sitemap small and stable (last month's never changes again, so crawlers can
skip it); Django's sitemap framework pages any month past the protocol's 50,000 URLs.
"""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap
from django.db.models.functions import TruncMonth

from broadsheet.articles.models import ArticlePage
from broadsheet.sections.models import SectionPage


class SectionSitemap(Sitemap):
    changefreq = "hourly"

    def items(self):
        return SectionPage.objects.live().public().order_by("path").only(
            "url_path", "path", "depth", "last_published_at", "slug")

    def location(self, section):
        return section.url

    def lastmod(self, section):
        return section.last_published_at


class MonthSitemap(Sitemap):
    def __init__(self, month):
        self.month = month

    def items(self):
        return (ArticlePage.objects.teasers()
                .filter(first_published_at__year=self.month.year,
                        first_published_at__month=self.month.month)
                .order_by("first_published_at", "id"))

    def location(self, story):
        return story.url

    def lastmod(self, story):
        return story.last_published_at


def all_sitemaps() -> dict[str, Sitemap]:
    months = (ArticlePage.objects.teasers().annotate(month=TruncMonth("first_published_at"))
              .order_by("-month").values_list("month", flat=True).distinct())
    maps: dict[str, Sitemap] = {"sections": SectionSitemap()}
    for month in months:
        if month is not None:
            maps[f"stories-{month:%Y-%m}"] = MonthSitemap(month)
    return maps
