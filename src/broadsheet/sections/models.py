"""Sections: the desks a newsroom files stories under (World, Science, World > Middle East)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.models import Page

from broadsheet.articles.visibility import restricted_q
from broadsheet.pagecache.dependencies import STORIES, shows


class SectionPage(Page):
    """A section front: its stories, newest first, including those of its subsections."""

    intro = models.TextField(blank=True, help_text="One or two sentences shown under the name.")
    in_navigation = models.BooleanField(
        default=True, help_text="List this section in the site's main navigation.")

    parent_page_types = ["frontpage.HomePage", "sections.SectionPage"]
    subpage_types = ["sections.SectionPage", "articles.ArticlePage"]
    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("in_navigation")]

    page_size = 20

    class Meta:
        verbose_name = "section"

    def get_context(self, request, *args, **kwargs):
        from broadsheet.articles.models import ArticlePage

        context = super().get_context(request, *args, **kwargs)
        stories = ArticlePage.objects.teasers().descendant_of(self)
        paginator = Paginator(stories, self.page_size)
        context["stories"] = paginator.get_page(request.GET.get("page"))
        context["subsections"] = list(
            SectionPage.objects.child_of(self).live().exclude(restricted_q())
            .only("title", "url_path", "slug", "path", "depth"))
        shows(request, pages=[self, *context["stories"]], tags=[STORIES])
        from broadsheet.syndication.scopes import section_key

        context["feed_key"] = section_key(self)
        return context
