"""Keeping the search index in step with a story's authors and topics.

Wagtail indexes a page when the page row is saved; bylines and tags are saved just after it
(they are child rows), so they would miss the index until the next edit. Saving or deleting
one re-indexes its story.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from wagtail.search import index

from .models import ArticleTag, Byline


def _reindex(sender, instance, **kwargs):
    story = getattr(instance, "page", None) or getattr(instance, "content_object", None)
    if story is not None and story.pk:
        index.insert_or_update_object(story)


def connect() -> None:

    for model in (Byline, ArticleTag):
        post_save.connect(_reindex, sender=model, dispatch_uid=f"reindex-save-{model.__name__}")
        post_delete.connect(_reindex, sender=model,
                            dispatch_uid=f"reindex-delete-{model.__name__}")
