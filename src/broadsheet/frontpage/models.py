"""The front page and the Spotlight: what editors put in front of every reader."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.models import Orderable, Page

from broadsheet.articles.visibility import RestrictionsRemembered
from broadsheet.assembly import Assembled
from broadsheet.site_paths import SiteRootPathsPerRequest

from .routing import route_below


class HomePage(Assembled, SiteRootPathsPerRequest, RestrictionsRemembered, Page):
    """The site's front page: lead story, top stories, a block per section, Popular."""

    top_stories_count = models.PositiveSmallIntegerField(
        default=6, help_text="How many stories follow the lead at the top of the page.")
    stories_per_section = models.PositiveSmallIntegerField(default=4)

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["sections.SectionPage", "masthead.StandardPage"]
    content_panels = [*Page.content_panels, FieldPanel("top_stories_count"),
                      FieldPanel("stories_per_section")]
    max_count_per_parent = 1

    class Meta:
        verbose_name = "home page"

    def route(self, request, path_components):
        if not path_components:
            return super().route(request, path_components)

        return route_below(self, request, path_components)


@register_setting(icon="pick")
class Spotlight(BaseSiteSetting, ClusterableModel):
    """Editor picks shown in the Spotlight box on every story, in the order given here."""

    size = models.PositiveSmallIntegerField(default=4, help_text="How many picks to show.")

    panels = [FieldPanel("size"), InlinePanel("picks", label="Picks")]

    class Meta:
        verbose_name = "Spotlight"


class SpotlightPick(Orderable):
    spotlight = ParentalKey(Spotlight, on_delete=models.CASCADE, related_name="picks")
    story = models.ForeignKey("articles.ArticlePage", on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Drop the pick from the Spotlight after this time.")

    panels = [FieldPanel("story"), FieldPanel("expires_at")]

    def is_current(self, now=None) -> bool:
        return self.expires_at is None or self.expires_at > (now or timezone.now())
