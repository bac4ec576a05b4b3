"""Readership in the Wagtail admin: a menu item for Editors and Admins, and a Readership
button in every page's header that opens that page's own chart."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.widgets import Button

import broadsheet.ids  # noqa: F401  (the <id:...> path converter)

from . import admin_views


@hooks.register("register_admin_urls")
def register_readership_urls():
    return [
        path("readership/", admin_views.site_dashboard, name="readership_dashboard"),
        path("readership/page/<id:page_id>/", admin_views.story_dashboard,
             name="readership_page"),
    ]


class ReadershipMenuItem(MenuItem):
    def is_shown(self, request):
        return admin_views.can_see_readership(request.user)


@hooks.register("register_admin_menu_item")
def register_readership_menu_item():
    return ReadershipMenuItem("Readership", reverse("readership_dashboard"), icon_name="view",
                              order=250)


@hooks.register("register_page_header_buttons")
def readership_button(page, user, view_name, next_url=None):
    if page.live and admin_views.can_see_readership(user):
        yield Button("Readership", reverse("readership_page", args=[page.pk]),
                     icon_name="view", priority=80)
