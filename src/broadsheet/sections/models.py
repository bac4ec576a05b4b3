"""Sections: the desks a newsroom files stories under (World, Science, World > Middle East)."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.db import models
from django.utils.functional import cached_property
from wagtail.admin.panels import FieldPanel
from wagtail.models import Page

from broadsheet.articles.models import ArticlePage
from broadsheet.articles.visibility import (
    RestrictionsRemembered,
    restricted_paths,
    restricted_q,
)
from broadsheet.assembly import Assembled
from broadsheet.site_paths import SiteRootPathsPerRequest


def live_sections() -> list[SectionPage]:
    """Every live, public section in the editors' order (tree order). Read from the sections'
    own table and filtered here: any condition on, or ordering by, the page table has SQLite
    walk the whole tree of a big archive (100,000 pages) to find a handful of sections."""
    restricted = tuple(restricted_paths())
    found = [s for s in SectionPage.objects.order_by().only(
                 "title", "url_path", "slug", "path", "depth", "live", "in_navigation",
                 "last_published_at")
             if s.live and not (restricted and s.path.startswith(restricted))]
    return sorted(found, key=lambda s: s.path)


def child_sections(parent: Page, *, in_navigation: bool | None = None) -> list[SectionPage]:
    """Live, public sections right below `parent`, in the editors' order."""
    return [s for s in live_sections()
            if s.depth == parent.depth + 1 and s.path.startswith(parent.path)
            and (in_navigation is None or s.in_navigation == in_navigation)]


class StoryPaginator(Paginator):
    """Counts a section's stories from the page table's index alone: joining 12,000 story
    rows only to count them cost 50 ms in a 100,000-story archive."""

    def __init__(self, stories, per_page: int, *, section: Page):
        super().__init__(stories, per_page)
        self.section = section

    @cached_property
    def count(self) -> int:
        return (Page.objects.filter(
            content_type=ContentType.objects.get_for_model(ArticlePage), live=True,
            path__startswith=self.section.path, depth__gt=self.section.depth)
            .exclude(restricted_q()).order_by().count())


class SectionPage(Assembled, SiteRootPathsPerRequest, RestrictionsRemembered, Page):
    """A section front: its stories, newest first, including those of its subsections."""

    intro = models.TextField(blank=True, help_text="One or two sentences shown under the name.")
    in_navigation = models.BooleanField(
        default=True, help_text="List this section in the site's main navigation.")
    share_image = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
        help_text="Shown when the section, or one of its stories without a picture of its own, "
                  "is shared or found in search. Leave empty to use the site's. Best "
                  "1200x630 px or larger.")

    parent_page_types = ["frontpage.HomePage", "sections.SectionPage"]
    subpage_types = ["sections.SectionPage", "articles.ArticlePage"]
    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("in_navigation")]
    promote_panels = [*Page.promote_panels, FieldPanel("share_image")]

    page_size = 20

    class Meta:
        verbose_name = "section"

    def subsections(self) -> list[SectionPage]:
        return child_sections(self)

    def stories_page(self, number):
        """One page of the section's stories, newest first (its subsections' included)."""

        stories = ArticlePage.objects.newest().descendant_of(self)
        return StoryPaginator(stories, self.page_size, section=self).get_page(number)
