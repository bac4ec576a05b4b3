"""The main navigation: the top-level sections of the site, in the editors' order.

Shown on every page, changed rarely: kept in the shared cache and dropped whenever a page is
published, unpublished, moved or deleted.
"""

from __future__ import annotations

from django.db.models.signals import post_delete
from wagtail.models import Page, Site
from wagtail.signals import page_published, page_unpublished, post_page_move

from broadsheet import derived
from broadsheet.sections.models import SectionPage

_KEY = "broadsheet:nav:{}"


def primary_sections(site: Site | None) -> list:

    if site is None:
        return []
    return derived.remembered(_KEY.format(site.pk), lambda: [
        {"title": s.title, "url": s.get_url(current_site=site)}
        for s in SectionPage.objects.child_of(site.root_page).live().public()
        .filter(in_navigation=True).only("title", "url_path", "slug", "path", "depth")
    ], 3600)


def forget_navigation(**kwargs) -> None:
    derived.forget(*(_KEY.format(pk) for pk in Site.objects.values_list("pk", flat=True)))


def connect() -> None:
    for signal in (page_published, page_unpublished, post_page_move):
        signal.connect(forget_navigation, dispatch_uid=f"nav-{id(signal)}")
    post_delete.connect(forget_navigation, sender=Page, dispatch_uid="nav-delete")
