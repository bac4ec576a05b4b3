"""A picture shown by a published story cannot be deleted.

Deleting it would take it out of the published page at once, with no publish step and no
editor's decision about the page. Unpublish the story or give it another picture first. The
guard is on the model, so it holds for the admin (which answers 403), its bulk actions and any
script alike.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models.signals import pre_delete
from wagtail.images import get_image_model
from wagtail.models import Page, ReferenceIndex

from .models import ArticlePage


class PictureInUse(PermissionDenied):
    pass


def live_stories_showing(image) -> list:
    # The page rows of live pages hold their published content, so their references (hero
    # pictures, pictures in the body) are what readers see.
    referring = ReferenceIndex.get_references_to(image).filter(
        base_content_type=ContentType.objects.get_for_model(Page)
    ).values_list("object_id", flat=True)
    ids = {int(i) for i in referring if str(i).isdigit()}
    ids |= set(ArticlePage.objects.filter(hero_image=image, live=True).values_list("pk", flat=True))
    return list(Page.objects.live().filter(pk__in=ids).order_by("title")[:5])


def refuse_deleting_pictures_in_use(sender, instance, **kwargs):
    stories = live_stories_showing(instance)
    if stories:
        names = ", ".join(f"“{p.title}”" for p in stories)
        raise PictureInUse(f"The picture “{instance.title}” is shown by published pages "
                           f"({names}); unpublish them or change their picture first.")


def connect() -> None:
    pre_delete.connect(refuse_deleting_pictures_in_use, sender=get_image_model(),
                       dispatch_uid="articles-pictures-in-use")
