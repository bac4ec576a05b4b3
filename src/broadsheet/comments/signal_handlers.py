"""A new, moderated or reacted-to comment changes the story page: purge it from the page
cache (after the transaction commits), so the next anonymous reader gets a fresh render.

Purging page:<story> also removes every cached listing that shows the story (home, section
pages), whose teasers carry the comment count."""

from django.db.models.signals import post_delete, post_save

from broadsheet.pagecache.purge import purge, stories

from .models import Comment, Reaction


def _purge_story(sender, instance, **kwargs):
    purge(stories([instance.story_id]))


def _purge_reacted_story(sender, instance, **kwargs):
    purge(stories(Comment.objects.filter(pk=instance.comment_id)
                  .values_list("story_id", flat=True)))


def connect() -> None:
    for signal in (post_save, post_delete):
        signal.connect(_purge_story, sender=Comment, dispatch_uid=f"comment-purge-{signal}")
        signal.connect(_purge_reacted_story, sender=Reaction,
                       dispatch_uid=f"reaction-purge-{signal}")
