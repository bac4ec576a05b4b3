"""Newsletters in the admin: the newsletters themselves as snippets, and the suppression list
read-only (addresses are suppressed by bounces, complaints and readers, not by hand here)."""

from wagtail import hooks
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

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
