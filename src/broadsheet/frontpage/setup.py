"""Making sure the site has a Broadsheet front page at its root."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import Locale, Page, Site

from broadsheet.address import host_and_port

from .models import HomePage


@transaction.atomic
def ensure_home(*, create_root: bool = True) -> HomePage | None:
    """The default site's HomePage, replacing Wagtail's placeholder "Welcome" page."""
    home = HomePage.objects.first()
    root = Page.get_first_root_node()
    if root is None:
        if not create_root:
            return None  # a database being flushed: nothing to attach a home page to
        Locale.objects.get_or_create(language_code=get_supported_content_language_variant(
            settings.LANGUAGE_CODE))
        root = Page.add_root(instance=Page(title="Root", slug="root", live=True))
    if home is None:
        # Wagtail's "Welcome to your new Wagtail site!" placeholder holds the slug; it goes.
        for placeholder in root.get_children().filter(slug="home"):
            if placeholder.specific_class is Page and not placeholder.get_children().exists():
                placeholder.delete()
        root.refresh_from_db()
        home = root.add_child(instance=HomePage(title="Home", slug="home", live=True))
        home.save_revision().publish()
    site = Site.objects.filter(is_default_site=True).first()
    hostname, port = host_and_port()
    if site is None:
        site = Site.objects.create(hostname=hostname, port=port,
                                   root_page=home, is_default_site=True,
                                   site_name=settings.WAGTAIL_SITE_NAME)
    elif site.root_page_id != home.id:
        site.root_page = home
        site.site_name = site.site_name or settings.WAGTAIL_SITE_NAME
        site.save()
    return home
