"""Reader page views, counted honestly: no crawlers, no repeats, nothing personal kept."""

from __future__ import annotations

from django.db import models


class PageView(models.Model):
    """One counted view of a page by one (anonymous) visitor.

    `visitor` is a salted hash of address and user agent whose salt changes every day, so a
    visitor can be told apart within a day and never identified (the Plausible model).
    """

    page = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="+",
                             db_index=False)
    visitor = models.CharField(max_length=32)
    viewed_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["page", "visitor", "viewed_at"], name="view_page_visitor_time"),
        ]


class DailySalt(models.Model):
    """The salt for one day's visitor hashes. Older salts are deleted, which makes old hashes
    unlinkable to anyone."""

    day = models.DateField(unique=True)
    salt = models.CharField(max_length=64)
