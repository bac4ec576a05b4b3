"""Reader page views, counted honestly: no crawlers, no repeats, nothing personal kept.

What is stored, and nothing more (the privacy note at /privacy/readership/ says the same):
- PageView: one row per counted view: the page, when, a visitor hash, the referring site's
  domain, campaign tags, and a device class. Kept for the retention period, then deleted.
- HourlyViews: per page (and for the whole site) and hour, how many views and visitors.
  Kept for good; nothing in it can tell one reader from another.
- StoryScore: each story's time-decayed Popular score.
- DailySalt: today's salt for the visitor hash; yesterday's is deleted (overwritten) at the
  first view or rollup of the new day, which makes old hashes unlinkable to anyone.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting


class PageView(models.Model):
    """One counted view of a page by one (anonymous) visitor.

    `visitor` is a salted hash of address and user agent whose salt changes every day, so a
    visitor can be told apart within a day and never identified (the Plausible model).
    """

    class Device(models.TextChoices):
        DESKTOP = "desktop", "Desktop"
        MOBILE = "mobile", "Mobile"
        TABLET = "tablet", "Tablet"

    page = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="+",
                             db_index=False)
    visitor = models.CharField(max_length=32)
    viewed_at = models.DateTimeField(db_index=True)
    # Where the reader came from: the referring site's host name only, never the full URL.
    referrer = models.CharField(max_length=100, blank=True, default="")
    utm_source = models.CharField(max_length=100, blank=True, default="")
    utm_medium = models.CharField(max_length=100, blank=True, default="")
    utm_campaign = models.CharField(max_length=100, blank=True, default="")
    device = models.CharField(max_length=8, choices=Device.choices, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["page", "visitor", "viewed_at"], name="view_page_visitor_time"),
        ]


class HourlyViews(models.Model):
    """Views and distinct visitors of one page (or of the whole site: page is null) in one
    hour. A visitor is counted once per page per hour (and once per hour for the site)."""

    hour = models.DateTimeField()
    page = models.ForeignKey("wagtailcore.Page", null=True, on_delete=models.CASCADE,
                             related_name="+")
    views = models.PositiveIntegerField(default=0)
    visitors = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["page", "hour"], name="hourly_page_hour"),
            models.UniqueConstraint(fields=["hour"], condition=models.Q(page=None),
                                    name="hourly_site_hour"),
        ]
        indexes = [models.Index(fields=["hour"], name="hourly_hour")]


class StoryScore(models.Model):
    """A story's Popular score in forward-decay form (see popular.py): every unique view adds
    2 ** ((t - landmark) / half-life), so a score only ever grows and the order of stories
    at any moment is the order of their decayed scores."""

    page = models.OneToOneField("wagtailcore.Page", primary_key=True, on_delete=models.CASCADE,
                                related_name="+")
    section_id = models.IntegerField(null=True)
    score = models.FloatField(default=0.0)

    class Meta:
        indexes = [models.Index(fields=["-score"], name="score_rank"),
                   models.Index(fields=["section_id", "-score"], name="score_section_rank")]


class FoldState(models.Model):
    """The one row the fold of acknowledged views into the tables above serialises on.

    `generation` changes with every fold, so a folder can tell whether another process
    folded since it last did (and rebuild its memory of recent views from the database)."""

    generation = models.PositiveBigIntegerField(default=0)
    landmark = models.DateTimeField()


class JournalCursor(models.Model):
    """How far one journal segment has been folded, committed with the rows it produced, so
    a view is folded exactly once however often the fold is interrupted."""

    segment = models.CharField(max_length=200, unique=True)
    offset = models.PositiveBigIntegerField(default=0)
    folded_at = models.DateTimeField(auto_now=True)


class DailySalt(models.Model):
    """The salt for one day's visitor hashes. Older salts are deleted, which makes old hashes
    unlinkable to anyone."""

    day = models.DateField(unique=True)
    salt = models.CharField(max_length=64)


@register_setting(icon="view")
class ReadershipSettings(BaseGenericSetting):
    """How the site counts its readers."""

    honour_do_not_track = models.BooleanField(
        default=False,
        help_text="Do not count views from browsers that send Do Not Track (DNT: 1) or Global "
                  "Privacy Control (Sec-GPC: 1). Nothing personal is stored either way.")
    retention_days = models.PositiveIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="Days individual (anonymous) view records are kept before they are deleted. "
                  "Hourly totals per page are kept for good.")

    panels = [FieldPanel("honour_do_not_track"), FieldPanel("retention_days")]

    class Meta:
        verbose_name = "Readership"
