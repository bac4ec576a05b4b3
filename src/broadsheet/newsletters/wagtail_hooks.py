"""Newsletters in the admin: the newsletters themselves as snippets, their editions (build,
preview, test, schedule, cancel, figures), a "Send as alert" button on live stories, and the
suppression list read-only (addresses are suppressed by bounces, complaints and readers, not
by hand here)."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets import Button
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

import broadsheet.ids  # noqa: F401  (the <id:...> path converter)
from broadsheet.articles.models import ArticlePage

from . import admin_views
from .models import Newsletter, Suppression


class NewsletterViewSet(SnippetViewSet):
    model = Newsletter
    icon = "mail"
    menu_label = "Newsletters"
    menu_order = 210
    add_to_admin_menu = True
    list_display = ["name", "kind", "active"]
    search_fields = ["name"]


register_snippet(NewsletterViewSet)


class ViewOnly(ModelPermissionPolicy):
    def user_has_permission(self, user, action):
        return action in {"view", "inspect"} and super().user_has_permission(user, "view")

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action)


register_permission_policy(Suppression, ViewOnly(Suppression))


class SuppressionViewSet(ModelViewSet):
    model = Suppression
    icon = "cross"
    menu_label = "Suppressed addresses"
    add_to_settings_menu = True
    list_display = ["email", "reason", "created_at"]
    list_filter = ["reason"]
    search_fields = ["email"]
    inspect_view_enabled = True
    form_fields = []


@hooks.register("register_admin_viewset")
def register_suppression_viewset():
    return SuppressionViewSet("suppressions")


@hooks.register("register_admin_urls")
def register_edition_urls():
    v = admin_views
    return [
        path("newsletters/editions/", v.index, name="newsletter_editions"),
        path("newsletters/editions/new/", v.new, name="newsletter_edition_new"),
        path("newsletters/editions/<id:pk>/", v.detail, name="newsletter_edition"),
        path("newsletters/editions/<id:pk>/preview/<str:part>/", v.preview,
             name="newsletter_edition_preview"),
        path("newsletters/editions/<id:pk>/test/", v.send_test, name="newsletter_edition_test"),
        path("newsletters/editions/<id:pk>/schedule/", v.schedule,
             name="newsletter_edition_schedule"),
        path("newsletters/editions/<id:pk>/cancel/", v.cancel, name="newsletter_edition_cancel"),
        path("newsletters/<id:pk>/figures/", v.figures, name="newsletter_figures"),
        path("newsletters/alert/<id:page_id>/", v.alert, name="newsletter_alert"),
    ]


class EditionsMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm(admin_views.VIEW)


@hooks.register("register_admin_menu_item")
def register_editions_menu_item():
    return EditionsMenuItem("Editions", reverse("newsletter_editions"), icon_name="mail",
                            order=211)


@hooks.register("register_page_header_buttons")
def alert_button(page, user, view_name, next_url=None):
    if (page.live and issubclass(page.specific_class or object, ArticlePage)
            and admin_views.can_send(user)):
        yield Button("Send as alert", reverse("newsletter_alert", args=[page.pk]),
                     icon_name="mail", priority=90)
