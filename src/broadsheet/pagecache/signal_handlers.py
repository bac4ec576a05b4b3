"""Purge on publish: every cached page that shows a story goes when the story changes."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from wagtail.signals import page_published, page_unpublished

from .dependencies import SPOTLIGHT, STORIES, page_tag
from .store import purge_all, purge_tags

log = logging.getLogger("broadsheet.pagecache")


def tags_for_page(page) -> set[str]:
    """The page itself and every ancestor (its sections and the home page list it)."""
    tags = {page_tag(page.pk), STORIES}
    tags.update(page_tag(pk) for pk in page.get_ancestors().values_list("pk", flat=True))
    return tags


def purge_page(page) -> None:
    tags = tags_for_page(page)
    # After commit: a reader fetching the page between purge and commit would cache the old
    # version again.
    transaction.on_commit(lambda: log.debug("purged %d pages", purge_tags(tags)))


def _on_publish_change(sender, instance, **kwargs):
    purge_page(instance)


def _on_spotlight_change(sender, instance, **kwargs):
    transaction.on_commit(lambda: purge_tags({SPOTLIGHT}))


def _on_masthead_change(sender, instance, created=False, **kwargs):
    # The masthead is on every page (its share image and hotlinking choice too): all go. A
    # row just made with the defaults (a site's first request makes one) changes nothing.
    if not created:
        transaction.on_commit(purge_all)


def connect() -> None:
    page_published.connect(_on_publish_change, dispatch_uid="pagecache-published")
    page_unpublished.connect(_on_publish_change, dispatch_uid="pagecache-unpublished")
    from broadsheet.frontpage.models import Spotlight, SpotlightPick
    from broadsheet.masthead.models import Masthead

    post_save.connect(_on_masthead_change, sender=Masthead, dispatch_uid="pc-masthead")

    for model in (Spotlight, SpotlightPick):
        post_save.connect(_on_spotlight_change, sender=model, dispatch_uid=f"pc-{model}")
        post_delete.connect(_on_spotlight_change, sender=model, dispatch_uid=f"pc-d-{model}")
