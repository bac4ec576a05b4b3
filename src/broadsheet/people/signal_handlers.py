"""An author's name, role or picture is on their page and in the byline of every story they
wrote: a change purges both (after the transaction commits)."""

from __future__ import annotations

from django.db.models.signals import post_save, pre_delete

from broadsheet.articles.models import Byline
from broadsheet.pagecache.purge import purge, stories

from .models import Author, author_tag


def _on_author_change(sender, instance, **kwargs):
    story_ids = Byline.objects.filter(author_id=instance.pk).values_list("page_id", flat=True)
    purge({author_tag(instance.pk)} | stories(story_ids))


def connect() -> None:
    post_save.connect(_on_author_change, sender=Author, dispatch_uid="people-author-saved")
    # Before the delete: its bylines go with it (cascade), and with them the stories to purge.
    pre_delete.connect(_on_author_change, sender=Author, dispatch_uid="people-author-deleted")
