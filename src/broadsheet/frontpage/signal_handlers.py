"""Spotlight is on the front page and every story page: a change to it purges them."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from broadsheet.pagecache.dependencies import SPOTLIGHT
from broadsheet.pagecache.purge import purge

from .models import Spotlight, SpotlightPick


def _on_spotlight_change(sender, instance, **kwargs):
    purge({SPOTLIGHT})


def connect() -> None:
    for model in (Spotlight, SpotlightPick):
        post_save.connect(_on_spotlight_change, sender=model, dispatch_uid=f"pc-{model}")
        post_delete.connect(_on_spotlight_change, sender=model, dispatch_uid=f"pc-d-{model}")
