"""The newsroom's roles, as Wagtail groups, and the review workflow stories go through.

Writers draft and submit for review; Editors review, publish, schedule and unpublish;
Moderators handle reader comments; Admins can do everything. Applied after every migrate, so
an install always has them and an upgrade corrects them. Each role gets exactly these
permissions: what Wagtail's own migrations gave groups of the same names (image and document
rights on the root collection for "Editors" and "Moderators"), or anything added by hand, is
taken away again. A newsroom may add people to the groups freely, and may add groups of its
own for anything else.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from wagtail.models import (
    Collection,
    GroupApprovalTask,
    GroupCollectionPermission,
    GroupPagePermission,
    Page,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

WRITERS, EDITORS, MODERATORS, ADMINS = "Writers", "Editors", "Moderators", "Admins"
WORKFLOW_NAME = "Editorial review"

PAGE_PERMISSIONS = {
    WRITERS: ["add_page", "change_page"],
    EDITORS: ["add_page", "change_page", "publish_page", "lock_page", "unlock_page",
              "bulk_delete_page"],
    MODERATORS: [],
    ADMINS: ["add_page", "change_page", "publish_page", "lock_page", "unlock_page",
             "bulk_delete_page"],
}

MODEL_PERMISSIONS = {
    # Writers draft newsletter editions; Editors also schedule and send them (alerts too).
    WRITERS: [("wagtailadmin", "access_admin"), ("people", "view_author"),
              ("newsletters", "view_newsletter"), ("newsletters", "view_edition"),
              ("newsletters", "add_edition"), ("newsletters", "change_edition")],
    EDITORS: [("wagtailadmin", "access_admin"),
              ("people", "add_author"), ("people", "change_author"), ("people", "view_author"),
              ("frontpage", "change_spotlight"), ("comments", "view_comment"),
              # The readership dashboard and its CSVs (readership/admin_views.py).
              ("readership", "view_pageview"),
              ("newsletters", "view_newsletter"), ("newsletters", "add_newsletter"),
              ("newsletters", "change_newsletter"), ("newsletters", "view_edition"),
              ("newsletters", "add_edition"), ("newsletters", "change_edition"),
              ("newsletters", "send_edition"), ("newsletters", "view_suppression")],
    # No delete_comment: the admin's generic delete removes a comment with every reply below
    # it (other readers' words too) and leaves nothing in the moderation log. Moderators
    # reject, which is logged and can be undone.
    MODERATORS: [("wagtailadmin", "access_admin"), ("comments", "view_comment"),
                 ("comments", "change_comment"), ("comments", "moderate_comment"),
                 ("comments", "change_commentrules")],
}

# Pictures and documents are permitted per collection (Wagtail reads nothing else for them);
# these apply to the root collection, so to all of them. Writers upload and choose pictures
# (and may edit or delete their own uploads); Editors edit and delete any. No one deletes a
# picture a published page shows (articles/pictures_in_use.py), and one that live pages, the
# masthead or an author shows is changed only by those who may change them
# (publishing/wagtail_hooks.py). Moderators get none.
COLLECTION_PERMISSIONS = {
    WRITERS: [("wagtailimages", "add_image"), ("wagtailimages", "choose_image"),
              ("wagtaildocs", "add_document"), ("wagtaildocs", "choose_document")],
    EDITORS: [("wagtailimages", "add_image"), ("wagtailimages", "change_image"),
              ("wagtailimages", "choose_image"), ("wagtaildocs", "add_document"),
              ("wagtaildocs", "change_document"), ("wagtaildocs", "choose_document")],
    MODERATORS: [],
}


def _perm(app_label: str, codename: str) -> Permission | None:
    return Permission.objects.filter(content_type__app_label=app_label,
                                     codename=codename).first()


@transaction.atomic
def ensure_roles() -> dict[str, Group]:
    root = Page.get_first_root_node()
    groups = {name: Group.objects.get_or_create(name=name)[0]
              for name in (WRITERS, EDITORS, MODERATORS, ADMINS)}
    if root is None:
        return groups
    for name, codenames in PAGE_PERMISSIONS.items():
        group = groups[name]
        wanted = set(Permission.objects.filter(content_type__app_label="wagtailcore",
                                               codename__in=codenames))
        # Exactly these, on the root page only: none left over on other pages either.
        GroupPagePermission.objects.filter(group=group).exclude(
            page=root, permission__in=wanted).delete()
        for permission in wanted:
            GroupPagePermission.objects.get_or_create(group=group, page=root,
                                                      permission=permission)
    for name, pairs in MODEL_PERMISSIONS.items():
        groups[name].permissions.set([p for p in (_perm(a, c) for a, c in pairs) if p])
    groups[ADMINS].permissions.set(Permission.objects.all())
    collection = Collection.get_first_root_node()
    for name, pairs in COLLECTION_PERMISSIONS.items():
        _set_collection_permissions(groups[name], collection,
                                    [p for p in (_perm(a, c) for a, c in pairs) if p])
    if collection is not None:
        _set_collection_permissions(groups[ADMINS], collection, list(Permission.objects.filter(
            content_type__app_label__in=("wagtailimages", "wagtaildocs"),
            codename__regex=r"^(add|change|delete|choose)_(image|document)$")))
    _ensure_workflow(root, groups[EDITORS])
    return groups


def _set_collection_permissions(group: Group, collection, wanted: list[Permission]) -> None:
    stale = GroupCollectionPermission.objects.filter(group=group)
    if collection is not None:
        stale = stale.exclude(collection=collection, permission__in=wanted)
    stale.delete()
    if collection is None:
        return
    for permission in wanted:
        GroupCollectionPermission.objects.get_or_create(group=group, collection=collection,
                                                        permission=permission)


def _ensure_workflow(root: Page, editors: Group) -> None:
    task = GroupApprovalTask.objects.filter(name="Editor approval").first()
    if task is None:
        task = GroupApprovalTask.objects.create(name="Editor approval")
    task.groups.set([editors])
    workflow, _ = Workflow.objects.get_or_create(name=WORKFLOW_NAME)
    if not WorkflowTask.objects.filter(workflow=workflow, task=task).exists():
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    WorkflowPage.objects.update_or_create(page=root, defaults={"workflow": workflow})
    # Wagtail's stock "Moderators approval" workflow would send stories to comment moderators.
    Workflow.objects.exclude(pk=workflow.pk).filter(name="Moderators approval").update(
        active=False)
