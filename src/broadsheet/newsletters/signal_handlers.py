"""Story and section pages (and their fragments) are kept between purges with the sign-up
form listing the active newsletters: a newsletter added, renamed, switched off or deleted
purges them, after the transaction commits."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from broadsheet.pagecache.purge import purge

from .models import Newsletter
from .offer import SIGNUP_FORM_TAG


def _on_newsletter_change(sender, instance, **kwargs):
    purge({SIGNUP_FORM_TAG})


def connect() -> None:
    post_save.connect(_on_newsletter_change, sender=Newsletter,
                      dispatch_uid="newsletters-newsletter-saved")
    post_delete.connect(_on_newsletter_change, sender=Newsletter,
                        dispatch_uid="newsletters-newsletter-deleted")
