"""How the site's stories leave it: feed settings editors can change."""

from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting


@register_setting(icon="link")
class FeedSettings(BaseSiteSetting):
    full_text = models.BooleanField(
        default=False, help_text="Put whole stories in feeds; otherwise the summary only.")
    items = models.PositiveSmallIntegerField(default=30, help_text="Stories per feed.")

    panels = [FieldPanel("full_text"), FieldPanel("items")]

    class Meta:
        verbose_name = "Feeds"
