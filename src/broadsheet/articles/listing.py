"""The newest stories of each section, remembered by id.

"More from <Section>" appears on every story page; asking the database for the newest stories
of a section with ten thousand of them means sorting them all (SQLite has no index that
serves "under this path, newest first"). The answer changes only when a story in the section
is published, unpublished, moved or deleted, so it is kept in the shared cache and dropped at
exactly those moments.
"""

from __future__ import annotations

from django.db.models.signals import post_delete
from wagtail.signals import page_published, page_unpublished, post_page_move

from broadsheet import derived

from .models import ArticlePage

LATEST_KEPT = 6  # five to show, plus one in case the page showing them is among them
_KEY = "broadsheet:section-latest:{}"


def latest_ids(section) -> list[int]:

    return derived.remembered(_KEY.format(section.pk), lambda: list(
        ArticlePage.objects.newest().descendant_of(section)
        .values_list("id", flat=True)[:LATEST_KEPT]), 3600)


def forget_sections_of(page) -> None:
    # Not a delete: a reader may put the old list back while the change commits (derived.py).
    derived.forget(*(_KEY.format(pk) for pk in page.get_ancestors().values_list("pk", flat=True)))


def _changed(sender, instance, **kwargs):
    forget_sections_of(instance)


def _moved(sender, instance, parent_page_before=None, parent_page_after=None, **kwargs):
    for parent in (parent_page_before, parent_page_after):
        if parent is not None:
            derived.forget(_KEY.format(parent.pk), *(
                _KEY.format(pk) for pk in parent.get_ancestors().values_list("pk", flat=True)))


def connect() -> None:

    page_published.connect(_changed, dispatch_uid="latest-published")
    page_unpublished.connect(_changed, dispatch_uid="latest-unpublished")
    post_page_move.connect(_moved, dispatch_uid="latest-moved")
    post_delete.connect(_changed, sender=ArticlePage, dispatch_uid="latest-deleted")
