"""Admin rules the roles need beyond Wagtail's page permissions.

- Wagtail lets anyone who may change a page delete it while it is not live. For a Writer that
  is another writer's draft or scheduled story: people who cannot publish delete only pages
  they own (every page below included).
- The page chooser (behind links in rich text, Spotlight, ...) lists every page, drafts too,
  to anyone who may enter the admin. Without a page permission (Moderators) it lists none, so
  unpublished headlines stay with the people who write and edit them.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from wagtail import hooks
from wagtail.models import Page
from wagtail.permission_policies.pages import PagePermissionPolicy


def may_delete(user, page: Page) -> bool:
    if user.is_superuser:
        return True
    if page.permissions_for_user(user).can_publish():
        return True
    return not page.get_descendants(inclusive=True).exclude(owner=user).exists()


@hooks.register("before_delete_page")
def only_own_pages_without_publishing(request, page):
    if not may_delete(request.user, page):
        messages.error(request, f"“{page.title}” is someone else's: only its writer or an "
                                "editor can delete it.")
        return redirect("wagtailadmin_explore", page.get_parent().pk)
    return None


@hooks.register("before_bulk_action")
def only_own_pages_in_bulk(request, action_type, objects, action_class_instance):
    if action_type != "delete":
        return None
    refused = [p for p in objects if isinstance(p, Page) and not may_delete(request.user, p)]
    if refused:
        raise PermissionDenied(f"{len(refused)} of the pages are someone else's")
    return None


@hooks.register("construct_page_chooser_queryset")
def no_pages_for_roles_without_page_permissions(pages, request):
    if request.user.is_superuser:
        return pages
    if not PagePermissionPolicy().get_cached_permissions_for_user(request.user):
        return pages.none()
    return pages
