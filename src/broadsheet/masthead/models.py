"""The masthead: the site's name, tagline and navigation, shown on every page; and the
site's standing pages (About us, Contact, Terms), which belong to the site, not to a desk."""

from __future__ import annotations

from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import StreamField
from wagtail.models import Page

from broadsheet.articles.blocks import ArticleBodyBlock
from broadsheet.articles.visibility import RestrictionsRemembered
from broadsheet.site_paths import SiteRootPathsPerRequest


@register_setting(icon="site")
class Masthead(BaseSiteSetting):
    tagline = models.CharField(max_length=200, blank=True,
                               help_text="A line under the site's name.")
    footer_text = models.CharField(max_length=300, blank=True,
                                   help_text="Shown at the foot of every page, e.g. a copyright.")
    default_share_image = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
        help_text="Shown when a page is shared or found in search, for stories with no "
                  "picture of their own in a section with no share image. Best 1200x630 px "
                  "or larger.")
    hotlink_wire_pictures = models.BooleanField(
        default=False,
        help_text="While a wire story's picture cannot be fetched, show it from the wire's "
                  "own server. Readers' browsers then ask that server for it (it learns "
                  "their address); allow it only if your agreement with the wire does.")

    site_icon = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
        help_text="A square picture, 512 pixels or more, shown in browser tabs and bookmarks "
                  "and on phones' home screens. `broadsheet setup` makes a plain one with the "
                  "site's initial when there is none.")

    panels = [FieldPanel("tagline"), FieldPanel("footer_text"), FieldPanel("site_icon"),
              FieldPanel("default_share_image"), FieldPanel("hotlink_wire_pictures")]

    class Meta:
        verbose_name = "Masthead"


class StandardPage(SiteRootPathsPerRequest, RestrictionsRemembered, Page):
    """A plain page of the site: About us, Contact, a WordPress page moved in. No byline, no
    date, no comments; it can hold pages below it (Contact > Offices)."""

    body = StreamField(ArticleBodyBlock(), blank=True)

    parent_page_types = ["frontpage.HomePage", "masthead.StandardPage"]
    subpage_types = ["masthead.StandardPage"]
    content_panels = [*Page.content_panels, FieldPanel("body")]

    class Meta:
        verbose_name = "plain page"
