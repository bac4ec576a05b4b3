"""A new or moderated comment changes the story page: purge it from the page cache."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from broadsheet.pagecache.dependencies import page_tag
from broadsheet.pagecache.store import purge_tags

from .models import Comment


@receiver([post_save, post_delete], sender=Comment, dispatch_uid="comment-purge")
def purge_story(sender, instance, **kwargs):
    tags = {page_tag(instance.story_id)}
    transaction.on_commit(lambda: purge_tags(tags))
