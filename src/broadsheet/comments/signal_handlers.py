"""A new, moderated or reacted-to comment changes the story page: purge it from the page
cache after the transaction commits, so the next anonymous reader gets a fresh render.

Purging page:<story> also removes every cached listing that shows the story (home, section
pages), whose teasers carry the comment count."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from broadsheet.pagecache.dependencies import page_tag
from broadsheet.pagecache.store import purge_tags

from .models import Comment, Reaction


@receiver([post_save, post_delete], sender=Comment, dispatch_uid="comment-purge")
def purge_story(sender, instance, **kwargs):
    tags = {page_tag(instance.story_id)}
    transaction.on_commit(lambda: purge_tags(tags))


@receiver([post_save, post_delete], sender=Reaction, dispatch_uid="reaction-purge")
def purge_reacted_story(sender, instance, **kwargs):
    story_id = Comment.objects.filter(pk=instance.comment_id).values_list(
        "story_id", flat=True).first()
    if story_id is not None:
        transaction.on_commit(lambda: purge_tags({page_tag(story_id)}))
