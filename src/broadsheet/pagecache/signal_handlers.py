"""Purge on publish: every cached page that shows a page goes when it is published or
withdrawn. Other apps purge for their own changes through purge.py."""

from __future__ import annotations

from wagtail.signals import page_published, page_unpublished

from .purge import purge, tags_for_page


def _on_publish_change(sender, instance, **kwargs):
    purge(tags_for_page(instance))


def connect() -> None:
    page_published.connect(_on_publish_change, dispatch_uid="pagecache-published")
    page_unpublished.connect(_on_publish_change, dispatch_uid="pagecache-unpublished")
