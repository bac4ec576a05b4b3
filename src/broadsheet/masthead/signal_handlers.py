"""The masthead is on every page (its share image and hotlinking choice too): a change to
it purges them all. Also: the navigation's and the site icon's own handlers."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from wagtail.models import Site

from broadsheet.pagecache.purge import purge_everything

from . import icons, navigation
from .models import Masthead


def _on_masthead_change(sender, instance, created=False, **kwargs):
    # A row just made with the defaults (a site's first request makes one) changes nothing.
    if not created:
        purge_everything()


def _on_site_change(sender, instance, created=False, **kwargs):
    # The site's name and address (Settings > Sites) are on every page too.
    purge_everything()


def connect() -> None:
    post_save.connect(_on_masthead_change, sender=Masthead, dispatch_uid="pc-masthead")
    post_save.connect(_on_site_change, sender=Site, dispatch_uid="pc-site")
    post_delete.connect(_on_site_change, sender=Site, dispatch_uid="pc-site-gone")
    navigation.connect()
    icons.connect()
