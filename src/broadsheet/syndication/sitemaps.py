"""Sitemaps: an index of one sitemap of sections and one per section and month of stories.

A section's month is small (a busy desk files a few hundred stories) and stable: once the
month is over it never changes again, so crawlers can skip it by its lastmod. Django's sitemap
framework pages any one of them past the protocol's 50,000 URLs, and the index lists each page,
so the protocol's limits hold for any archive size.

Django's own index view asks every sitemap for its page count and lastmod (two queries each:
thousands of queries for a decades-deep archive); the index here is built from one grouped
query instead, and Django's views render the sitemaps themselves.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit
from xml.sax.saxutils import escape as xml_escape

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.sitemaps import Sitemap
from django.db import connection
from wagtail.models import Page

from broadsheet.articles.models import ArticlePage
from broadsheet.articles.visibility import restricted_paths
from broadsheet.sections.models import SectionPage, live_sections

# Root, home page, section: a top-level section's materialised path is three steps long.
SECTION_DEPTH = 3
SECTION_PATH_LENGTH = Page.steplen * SECTION_DEPTH
# stories-<section slug>-<YYYY-MM>; stories filed straight under the home page, outside any
# section, are stories-<YYYY-MM>.
_KEY = re.compile(r"^stories-(?:(?P<slug>[\w-]+)-)?(?P<year>\d{4})-(?P<month>\d{2})$")


class AddressedSitemap(Sitemap):
    """Locations at the configured public address: Django's view would take the scheme and
    host of the request, which behind a proxy is an internal name."""

    def get_protocol(self, protocol=None):
        return urlsplit(settings.BASE_URL).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.BASE_URL).netloc


class SectionSitemap(AddressedSitemap):
    changefreq = "hourly"

    def items(self):
        return live_sections()

    def location(self, section):
        return section.url

    def lastmod(self, section):
        return section.last_published_at


class StoryMonthSitemap(AddressedSitemap):
    """The stories of one top-level section (subsections included) first published in one
    month (UTC), oldest first so that a page's contents never shift as stories are added."""

    def __init__(self, section_path: str, month: datetime):
        self.section_path = section_path
        self.month = month

    def items(self):
        start = self.month
        end = (start.replace(year=start.year + 1, month=1) if start.month == 12
               else start.replace(month=start.month + 1))
        stories = (ArticlePage.objects.newest()
                   .filter(first_published_at__gte=start, first_published_at__lt=end)
                   .order_by("first_published_at", "id"))
        if self.section_path:
            return stories.filter(path__startswith=self.section_path,
                                  depth__gt=SECTION_DEPTH)
        return stories.filter(depth=SECTION_DEPTH)

    def location(self, story):
        return story.url

    def lastmod(self, story):
        return story.last_published_at


# The sitemap index counts live stories per top-level section and UTC month. Months here only
# partition the archive, so UTC serves as well as the newsroom's zone. The SQL is written out
# per engine because each engine's help depends on the exact text of its expressions: the
# planner matches them by shape against an index (SQLite, migration 0004: the groups come
# out of a covering index in order, no sort) or against extended statistics (PostgreSQL,
# migration 0003: a right estimate of the groups, so an in-memory hash instead of a sort of
# 100,000 rows on disk). The database also prints months and lastmods as text: parsing 10,000
# timestamps into Python only to print them again took 20 ms.
SECTION_SQL = {
    "sqlite": f"(CASE WHEN depth > {SECTION_DEPTH} THEN substr(path, 1, {SECTION_PATH_LENGTH})"
              " ELSE '' END)",
    "postgresql": f"(CASE WHEN depth > {SECTION_DEPTH} THEN SUBSTRING(path, 1, "
                  f"{SECTION_PATH_LENGTH}) ELSE '' END)",
}
MONTH_SQL = {  # Django keeps SQLite timestamps as UTC text, 'YYYY-MM-DD HH:MM:SS[.ffffff]'
    "sqlite": "substr(first_published_at, 1, 7)",
    "postgresql": "(date_trunc('month', first_published_at AT TIME ZONE 'UTC'))",
}
_LABEL_SQL = {
    "sqlite": "substr(MIN(first_published_at), 1, 7)",
    "postgresql": "to_char(MIN(first_published_at) AT TIME ZONE 'UTC', 'YYYY-MM')",
}
_LASTMOD_SQL = {
    "sqlite": "(substr(MAX(last_published_at), 1, 10) || 'T' || "
              "substr(MAX(last_published_at), 12, 8) || '+00:00')",
    "postgresql": "to_char(MAX(last_published_at) AT TIME ZONE 'UTC', "
                  "'YYYY-MM-DD\"T\"HH24:MI:SS\"+00:00\"')",
}


def story_groups_sql() -> tuple[str, list]:
    """SQL for (top-level section path or '', 'YYYY-MM', live public stories, latest
    publication as W3C text) per section and month, in no particular order."""
    vendor = connection.vendor if connection.vendor in SECTION_SQL else "sqlite"
    # Wagtail's paths are base-36 digits: nothing in them for LIKE to read as a wildcard.
    restricted = [f"{path}%" for path in restricted_paths()]
    return (f"SELECT {SECTION_SQL[vendor]}, {_LABEL_SQL[vendor]}, COUNT(*), "  # noqa: S608
            f"{_LASTMOD_SQL[vendor]} FROM wagtailcore_page "
            f"WHERE content_type_id = %s AND live{' AND path NOT LIKE %s' * len(restricted)} "
            f"GROUP BY {MONTH_SQL[vendor]}, {SECTION_SQL[vendor]}",
            [ContentType.objects.get_for_model(ArticlePage).pk, *restricted])


@dataclass(frozen=True, slots=True)
class IndexEntry:
    key: str  # the sitemap's name in /sitemap-<key>.xml
    pages: int
    lastmod: str | None  # W3C datetime

    @property
    def urls(self) -> list[str]:
        """The paths of its pages: the first, then ?p=2, ?p=3, ..."""
        path = f"/sitemap-{self.key}.xml"
        return [path, *(f"{path}?p={n}" for n in range(2, self.pages + 1))]


def _top_level_slugs(sections: list[SectionPage]) -> dict[str, str]:
    return {s.path: s.slug for s in sections if s.depth == SECTION_DEPTH}


def index_entries() -> list[IndexEntry]:
    """Every sitemap with its page count and lastmod, newest months first: two queries
    whatever the size of the archive."""
    sections = live_sections()
    latest = max((s.last_published_at for s in sections if s.last_published_at), default=None)
    entries = [IndexEntry("sections", max(1, math.ceil(len(sections) / Sitemap.limit)),
                          latest.astimezone(UTC).isoformat(timespec="seconds")
                          if latest else None)]
    slugs = _top_level_slugs(sections)
    sql, params = story_groups_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        groups = cursor.fetchall()
    # Newest months first, then sections in the site's order (their paths').
    groups.sort(key=lambda group: group[0])
    groups.sort(key=lambda group: group[1] or "", reverse=True)
    for section_path, month, stories, lastmod in groups:
        if not month:
            continue
        slug = slugs.get(section_path) if section_path else None
        if section_path and slug is None:
            continue  # under a page that is not a section: not a story anyone can reach
        prefix = f"stories-{slug}-" if slug else "stories-"
        entries.append(IndexEntry(f"{prefix}{month}", math.ceil(stories / Sitemap.limit),
                                  lastmod))
    return entries


def sitemap_for(key: str) -> Sitemap | None:
    """The sitemap named `key` in its URL, or None for a name that is not one of ours."""
    if key == "sections":
        return SectionSitemap()
    match = _KEY.match(key)
    if not match:
        return None
    year, month = int(match["year"]), int(match["month"])
    if not 1 <= month <= 12:
        return None
    slug = match["slug"]
    if slug is None:
        section_path = ""
    else:
        section_path = next((path for path, s in _top_level_slugs(live_sections()).items()
                             if s == slug), None)
        if section_path is None:
            return None
    start = datetime(year, month, 1, tzinfo=UTC)
    return StoryMonthSitemap(section_path, start)


def index_xml(entries: list[IndexEntry], base: str) -> str:
    """The sitemap index document. Written directly rather than through a template: a deep
    archive lists thousands of sitemaps, and a template costs a tenth of a millisecond each."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    base = xml_escape(base)
    for entry in entries:
        end = f"</loc><lastmod>{entry.lastmod}</lastmod></sitemap>" if entry.lastmod else (
            "</loc></sitemap>")
        for url in entry.urls:
            lines.append(f"<sitemap><loc>{base}{xml_escape(url)}{end}")
    lines.append(f"<sitemap><loc>{base}/sitemap-news.xml</loc></sitemap>")
    lines.append("</sitemapindex>\n")
    return "\n".join(lines)
