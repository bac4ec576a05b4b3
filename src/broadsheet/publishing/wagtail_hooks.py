"""Admin rules the roles need beyond Wagtail's page permissions.

- Wagtail lets anyone who may change a page delete it while it is not live. For a Writer that
  is another writer's draft or scheduled story: people who cannot publish delete only pages
  they own (every page below included), and not once an editor has scheduled them. Wagtail
  grants moving on the same terms as deleting (a move is a delete and a re-add), so the same
  rule holds for moves, one at a time or in bulk: a Writer cannot carry a colleague's draft
  off into another section, nor their own scheduled story to another address.
- A Writer may change and delete the pictures they uploaded, and an Editor any picture. But a
  new file (or crop) under a picture a published story shows changes that story at once,
  with no publish step and no editor; and deleting the masthead's site icon or share
  picture, or an author's photo, changes the masthead (the Admins') or the author (the
  Editors'). So a picture something public shows is changed or deleted only by those who
  may publish or change that: the live pages, the Masthead setting, the author.
- The page chooser (behind links in rich text, Spotlight, ...) lists every page, drafts too,
  to anyone who may enter the admin. Without a page permission (Moderators) it lists none, so
  unpublished headlines stay with the people who write and edit them.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import redirect
from wagtail import hooks
from wagtail.images import get_image_model
from wagtail.models import Page, Revision
from wagtail.permission_policies.collections import CollectionOwnershipPermissionPolicy
from wagtail.permission_policies.pages import PagePermissionPolicy
from wagtail.permissions import policy_registry

from broadsheet.articles.pictures_in_use import live_stories_showing
from broadsheet.masthead.models import Masthead
from broadsheet.people.models import Author


def may_delete(user, page: Page) -> bool:
    if user.is_superuser:
        return True
    if page.permissions_for_user(user).can_publish():
        return True
    pages = page.get_descendants(inclusive=True)
    if pages.exclude(owner=user).exists():
        return False
    # Nor one an editor has scheduled: deleting or moving it would undo their decision as
    # surely as unscheduling it, which needs the right to publish.
    ids = [str(pk) for pk in pages.values_list("pk", flat=True)]
    return not Revision.page_revisions.filter(object_id__in=ids,
                                              approved_go_live_at__isnull=False).exists()


@hooks.register("before_delete_page")
def only_own_pages_without_publishing(request, page):
    if not may_delete(request.user, page):
        messages.error(request, f"“{page.title}” is someone else's or scheduled: only an "
                                "editor can delete it now.")
        return redirect("wagtailadmin_explore", page.get_parent().pk)
    return None


@hooks.register("before_move_page")
def only_own_pages_move_without_publishing(request, page, destination):
    if not may_delete(request.user, page):
        messages.error(request, f"“{page.title}” is someone else's or scheduled: only an "
                                "editor can move it now.")
        return redirect("wagtailadmin_explore", page.get_parent().pk)
    return None


@hooks.register("before_bulk_action")
def only_own_pages_in_bulk(request, action_type, objects, action_class_instance):
    if action_type not in ("delete", "move"):
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


def may_change_picture(user, image) -> bool:
    if user.is_superuser:
        return True
    holders = ((Masthead, ("site_icon", "default_share_image"), "masthead.change_masthead"),
               (Author, ("photo",), "people.change_author"))
    for model, fields, permission in holders:
        shows = Q()
        for field in fields:
            shows |= Q(**{field: image})
        if not user.has_perm(permission) and model.objects.filter(shows).exists():
            return False
    # live_stories_showing names at most five pages; page permissions are granted on the
    # root (roles.py), so whoever may publish one of them may publish them all.
    return all(page.permissions_for_user(user).can_publish()
               for page in live_stories_showing(image))


class PicturesShownToReaders(CollectionOwnershipPermissionPolicy):
    """Wagtail's own policy for pictures, but changing or deleting a picture that readers
    see needs the right to change what shows it (may_change_picture). Every admin path asks
    the policy registry (edit and delete views, multiple upload, bulk actions), so they all
    hold. Deleting a picture a live page shows stays refused to everyone by the model
    (articles/pictures_in_use.py)."""

    def user_has_any_permission_for_instance(self, user, actions, instance):
        # Wagtail's user_has_permission_for_instance asks this with one action.
        mine = super().user_has_any_permission_for_instance
        return any(mine(user, [action], instance)
                   and (action not in ("change", "delete")
                        or may_change_picture(user, instance))
                   for action in actions)


# For the exact class: Wagtail looks there first, so this holds whichever runs last of this
# module and wagtail.images' ready() (which registers its policy for Image and subclasses;
# wagtail.snippets' ready() loads every wagtail_hooks module before it).
policy_registry.register(get_image_model(), PicturesShownToReaders(
    get_image_model(), auth_model="wagtailimages.Image", owner_field_name="uploaded_by_user"),
    exact_class=True)
