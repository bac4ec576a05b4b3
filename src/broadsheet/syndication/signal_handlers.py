"""Forget the remembered crops of a share image when the image changes or goes."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from wagtail.images import get_image_model

from .structured import SHARE_KEY


def _forget_share_image(sender, instance, **kwargs):
    cache.delete(SHARE_KEY.format(instance.pk))


def connect() -> None:
    for signal in (post_save, post_delete):
        signal.connect(_forget_share_image, sender=get_image_model(),
                       dispatch_uid=f"share-image-{id(signal)}")
