"""The masthead: the site's name, tagline and navigation, shown on every page."""

from __future__ import annotations

from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting


@register_setting(icon="site")
class Masthead(BaseSiteSetting):
    tagline = models.CharField(max_length=200, blank=True,
                               help_text="A line under the site's name.")
    footer_text = models.CharField(max_length=300, blank=True,
                                   help_text="Shown at the foot of every page, e.g. a copyright.")

    panels = [FieldPanel("tagline"), FieldPanel("footer_text")]

    class Meta:
        verbose_name = "Masthead"
